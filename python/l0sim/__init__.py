"""l0sim: the DeepSets golden model of the L0 trigger simulator on numpy arrays.

    >>> import l0sim
    >>> m = l0sim.Model.load("model/default.json")
    >>> stim = l0sim.read_stimulus("orbit.l0s")
    >>> x, n = m.features(stim)            # the network input, (clusters, cells, features)
    >>> p = m.predict(x, n)                # p.raw, p.value, p.energy: bit for bit the C model

Everything runs in libl0sim.so (the C golden model, the stimulus reader, ap_fixed casts, the
generator); `run` runs the `l0sim run` executable (the verilated RTL). Errors from C raise
L0simError with the C message; wrong argument types raise TypeError, wrong shapes ValueError.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _capi

__version__ = "0.1.0"
__all__ = ["L0simError", "Model", "Prediction", "Tensor", "FxResult", "fx", "fx_type",
           "read_stimulus", "generate", "run", "library_path"]

_lib, _lib_path = _capi.load(__version__)
_ffi = _capi.ffi
_ERRLEN = 1024

PathLike = Union[str, os.PathLike]


class L0simError(RuntimeError):
    """An error reported by the C library (its message names the file, field or value)."""


def library_path() -> Path:
    """The libl0sim.so this package uses."""
    return _lib_path


def _errbuf():
    return _ffi.new("char[]", _ERRLEN)


def _raise(err) -> None:
    raise L0simError(_ffi.string(err).decode(errors="replace"))


def _ptr(ctype: str, a: np.ndarray):
    return _ffi.cast(ctype, a.ctypes.data)


def _array(name: str, a: Any, dtype, ndim: int) -> np.ndarray:
    """Check an argument: a numpy array of exactly this dtype kind and ndim."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {a.shape}")
    want = np.dtype(dtype)
    if want.kind == "f" and a.dtype != want:
        raise TypeError(f"{name}: expected dtype {want}, got {a.dtype} (convert with "
                        f".astype(np.{want.name}))")
    if want.kind == "i" and a.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer dtype, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=want)


@dataclass(frozen=True)
class Prediction:
    """The golden model's output for each cluster.

    raw: the output raws (int64) of the last layer's result type `type`;
    value: their values in network units (float64, exact);
    energy: value * target_scale, the calibrated energy in GeV (as `l0sim infer`'s pred_fixed).
    """
    raw: np.ndarray
    value: np.ndarray
    energy: np.ndarray
    type: str


@dataclass(frozen=True)
class Tensor:
    """One tensor of a per-layer trace: rows x cols, float and fixed side by side."""
    name: str
    type: str
    float: np.ndarray
    fixed: np.ndarray
    raw: np.ndarray


class Model:
    """A DeepSets model file and its golden model (fixed and float inference)."""

    def __init__(self, handle, path: str):
        self._h = handle
        self.path = path
        info = _ffi.new("l0sim_model_info *")
        _lib.l0sim_model_get_info(handle, info)
        self.name: str = _ffi.string(info.name).decode()
        self.n_features: int = info.n_feat
        self.cells_max: int = info.cells_max
        self.pad_cells: int = info.pad_cells
        self.pad_value: float = info.pad_value
        self.target_scale: float = info.target_scale
        self.n_phi: int = info.n_phi
        self.n_rho: int = info.n_rho
        self.ksum_width: int = info.ksum_width
        self.output_type: str = _ffi.string(info.out_type).decode()
        self.input_type: str = _ffi.string(info.in_type).decode()

    @classmethod
    def load(cls, path: PathLike) -> "Model":
        """Load and check a model file (docs/model-format.md). Raises L0simError naming the
        file and field, FileNotFoundError-like errors included."""
        err = _errbuf()
        p = os.fspath(path)
        h = _lib.l0sim_model_load(p.encode(), err, _ERRLEN)
        if h == _ffi.NULL:
            _raise(err)
        return cls(_ffi.gc(h, _lib.l0sim_model_free), p)

    def __repr__(self) -> str:
        return (f"Model({self.name!r}, features={self.n_features}, cells_max={self.cells_max}, "
                f"output {self.output_type})")

    # --- input -------------------------------------------------------------------------------

    def features(self, stim: Dict[str, Any], clusters: Optional[np.ndarray] = None,
                 cells: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The network input of clusters of a stimulus (read_stimulus), computed in C exactly as
        the golden model does: returns (x, n_cells) with x float64 of shape (clusters, C,
        n_features) and n_cells int32. clusters: indices into stim["clusters"] (default: those
        `l0sim infer` uses, see infer_clusters); C = cells, default the largest used count."""
        cl, ce = stim["clusters"], stim["cells"]
        idx = infer_clusters(stim) if clusters is None else _array(
            "clusters", np.asarray(clusters) if not isinstance(clusters, np.ndarray) else clusters,
            np.int64, 1)
        if idx.size and (idx.min() < 0 or idx.max() >= cl["n_cells"].size):
            raise ValueError(f"clusters: indices must be in 0..{cl['n_cells'].size - 1}")
        nc = np.minimum(cl["n_cells"][idx].astype(np.int64), self.cells_max)
        cmax = int(cells) if cells is not None else max(1, int(nc.max()) if nc.size else 1)
        if not 1 <= cmax <= 128:
            raise ValueError(f"cells: {cmax} not in 1..128")
        n = idx.size
        x = np.zeros((n, cmax, self.n_features), dtype=np.float64)
        rows = np.zeros(n, dtype=np.int32)
        eta = np.ascontiguousarray(cl["eta"][idx])
        phi = np.ascontiguousarray(cl["phi"][idx])
        first = np.ascontiguousarray(cl["first_cell"][idx])
        ncu = np.ascontiguousarray(cl["n_cells"][idx])
        e, ceta, cphi, lay = (np.ascontiguousarray(ce[k]) for k in ("e", "eta", "phi", "layer"))
        err = _errbuf()
        if _lib.l0sim_features(self._h, n, _ptr("float *", eta), _ptr("float *", phi),
                               _ptr("int64_t *", first), _ptr("uint16_t *", ncu), e.size,
                               _ptr("float *", e), _ptr("float *", ceta), _ptr("float *", cphi),
                               _ptr("uint8_t *", lay), cmax, _ptr("double *", x),
                               _ptr("int32_t *", rows), err, _ERRLEN):
            _raise(err)
        return x, rows

    def _check(self, cells: Any, n_cells: Any) -> Tuple[np.ndarray, np.ndarray]:
        x = _array("cells", cells, np.float64, 3)
        if x.shape[2] != self.n_features:
            raise ValueError(f"cells: the last axis must hold the model's {self.n_features} "
                             f"features, got shape {x.shape}")
        if x.shape[1] < 1 or x.shape[1] > 128:
            raise ValueError(f"cells: 1..128 cells per cluster (axis 1), got shape {x.shape}")
        n = _array("n_cells", n_cells, np.int32, 1)
        if n.shape[0] != x.shape[0]:
            raise ValueError(f"n_cells: {n.shape[0]} entries for {x.shape[0]} clusters (cells "
                             f"has shape {x.shape})")
        bad = np.flatnonzero((n < 0) | (n > x.shape[1]))
        if bad.size:
            raise ValueError(f"n_cells[{bad[0]}] = {n[bad[0]]}: not in 0..{x.shape[1]}")
        return x, n

    # --- inference ---------------------------------------------------------------------------

    def predict(self, cells: np.ndarray, n_cells: np.ndarray) -> Prediction:
        """The fixed-point golden model (the numeric contract of the RTL) on clusters.

        cells: float64 (clusters, C, n_features), the network input (already preprocessed, as
        features() gives it), the most energetic cell first; n_cells: integers (clusters,), the
        real cells of each (the first min(n_cells, cells_max) rows are used; the model's padding
        is added as for a cluster). Bit for bit the C golden model (`l0sim infer`)."""
        x, n = self._check(cells, n_cells)
        raw = np.empty(x.shape[0], dtype=np.int64)
        val = np.empty(x.shape[0], dtype=np.float64)
        err = _errbuf()
        if _lib.l0sim_predict(self._h, _ptr("double *", x), x.shape[0], x.shape[1],
                              _ptr("int32_t *", n), _ptr("int64_t *", raw),
                              _ptr("double *", val), err, _ERRLEN):
            _raise(err)
        return Prediction(raw, val, val * self.target_scale, self.output_type)

    def predict_float(self, cells: np.ndarray, n_cells: np.ndarray) -> np.ndarray:
        """The float network (no casts) on the same input, in network units (float64);
        multiply by target_scale for GeV."""
        x, n = self._check(cells, n_cells)
        out = np.empty(x.shape[0], dtype=np.float64)
        err = _errbuf()
        if _lib.l0sim_predict_float(self._h, _ptr("double *", x), x.shape[0], x.shape[1],
                                    _ptr("int32_t *", n), _ptr("double *", out), err, _ERRLEN):
            _raise(err)
        return out

    def trace(self, cells: np.ndarray, n_cells: int) -> Dict[str, Tensor]:
        """Every layer's output for one cluster, like hls4ml's trace: an ordered dict of
        Tensor (input, phi0.., ksum, rho0..; the last is the output). cells: float64 (C,
        n_features) or (1, C, n_features)."""
        if isinstance(cells, np.ndarray) and cells.ndim == 2:
            cells = cells[np.newaxis]
        if not isinstance(n_cells, (int, np.integer)) or isinstance(n_cells, bool):
            raise TypeError(f"n_cells: expected an int, got {type(n_cells).__name__}")
        x, n = self._check(cells, np.array([n_cells], dtype=np.int32))
        if x.shape[0] != 1:
            raise ValueError(f"cells: one cluster, got shape {x.shape}")
        err = _errbuf()
        t = _lib.l0sim_trace_run(self._h, _ptr("double *", x), int(n[0]), err, _ERRLEN)
        if t == _ffi.NULL:
            _raise(err)
        try:
            out: Dict[str, Tensor] = {}
            name, typ = _ffi.new("char[16]"), _ffi.new("char[96]")
            rows, cols = _ffi.new("int *"), _ffi.new("int *")
            for k in range(_lib.l0sim_trace_count(t)):
                _lib.l0sim_trace_tensor(t, k, name, rows, cols, typ)
                shape = (rows[0], cols[0])
                f = np.empty(shape, np.float64)
                fx_ = np.empty(shape, np.float64)
                r = np.empty(shape, np.int64)
                _lib.l0sim_trace_copy(t, k, _ptr("double *", f), _ptr("double *", fx_),
                                      _ptr("int64_t *", r))
                nm = _ffi.string(name).decode()
                out[nm] = Tensor(nm, _ffi.string(typ).decode(), f, fx_, r)
            return out
        finally:
            _lib.l0sim_trace_free(t)

    def overflows(self) -> Dict[str, int]:
        """Casts that saturated or wrapped in predict() since load or reset_overflows()."""
        o = _ffi.new("l0sim_ovf *")
        _lib.l0sim_model_ovf(self._h, o)
        d = {"input": int(o.input), "ksum": int(o.ksum)}
        for k in range(self.n_phi + self.n_rho):
            nm = f"phi{k}" if k < self.n_phi else f"rho{k - self.n_phi}"
            d[nm + ".accum"] = int(o.accum[k])
            d[nm + ".result"] = int(o.result[k])
        return d

    def reset_overflows(self) -> None:
        _lib.l0sim_model_reset_ovf(self._h)


# --- fixed point ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FxResult:
    """ap_fixed casts: the stored raws, their values and whether the overflow step acted."""
    type: str
    raw: np.ndarray
    value: np.ndarray
    overflow: np.ndarray


def fx_type(type: str) -> Dict[str, Any]:
    """A type's parameters: w, i, signed, quant, overflow, lsb, min, max, canonical spelling."""
    if not isinstance(type, str):
        raise TypeError(f"type: expected a str such as 'ap_fixed<16,6>', got "
                        f"{type.__class__.__name__}")
    info = _ffi.new("l0sim_fx_info *")
    err = _errbuf()
    if _lib.l0sim_fx_type(type.encode(), info, err, _ERRLEN):
        _raise(err)
    return {"type": _ffi.string(info.canon).decode(), "w": info.w, "i": info.i,
            "signed": bool(info.is_signed), "quant": _ffi.string(info.quant).decode(),
            "overflow": _ffi.string(info.ovf).decode(), "lsb": info.lsb, "min": info.min,
            "max": info.max}


def fx(type: str, values: Union[float, Sequence[float], np.ndarray]) -> FxResult:
    """Cast values (doubles, exactly) into an ap_fixed type, as Xilinx's ap_types does:
    fx('ap_fixed<16,6,AP_RND,AP_SAT>', [1.3, 100]). NaN or infinity raises L0simError."""
    canon = fx_type(type)["type"]
    v = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    shape = np.shape(values)
    raw = np.empty(v.size, np.int64)
    val = np.empty(v.size, np.float64)
    ovf = np.empty(v.size, np.uint8)
    err = _errbuf()
    if _lib.l0sim_fx_cast(type.encode(), _ptr("double *", v), v.size, _ptr("int64_t *", raw),
                          _ptr("double *", val), _ptr("uint8_t *", ovf), err, _ERRLEN):
        _raise(err)
    return FxResult(canon, raw.reshape(shape), val.reshape(shape), ovf.astype(bool).reshape(shape))


# --- stimulus files ---------------------------------------------------------------------------

def read_stimulus(path: PathLike, max_records: int = 0) -> Dict[str, Any]:
    """A stimulus file (docs/stimulus-format.md) as numpy columns:
    {"kind": "singles"|"stream", "options": {generator options}, "version": int,
     "records": {orbit, bx, filled, n_hard, n_clusters, first_cluster},
     "clusters": {record, index, e, et, eta, phi, truth_e, truth_pdg, n_cells, n_cells_total,
                  first_cell},
     "cells": {e, eta, phi, sigma, layer}}
    Cluster k's cells are cells[...][first_cell[k] : first_cell[k] + n_cells[k]]. A truncated
    or corrupt file raises L0simError naming the file and byte offset."""
    err = _errbuf()
    s = _lib.l0sim_stim_read(os.fspath(path).encode(), int(max_records), err, _ERRLEN)
    if s == _ffi.NULL:
        _raise(err)
    try:
        sz = _ffi.new("l0sim_stim_sizes *")
        _lib.l0sim_stim_get_sizes(s, sz)
        nr, nc, ncell = sz.records, sz.clusters, sz.cells

        def cols(n, spec):
            return {k: np.empty(n, dt) for k, dt in spec}
        rec = cols(nr, [("orbit", np.uint32), ("bx", np.uint16), ("filled", np.uint8),
                        ("n_hard", np.uint8), ("n_clusters", np.uint32),
                        ("first_cluster", np.int64)])
        cl = cols(nc, [("record", np.int64), ("index", np.uint32), ("e", np.float32),
                       ("et", np.float32), ("eta", np.float32), ("phi", np.float32),
                       ("truth_e", np.float32), ("truth_pdg", np.int32), ("n_cells", np.uint16),
                       ("n_cells_total", np.uint16), ("first_cell", np.int64)])
        ce = cols(ncell, [("e", np.float32), ("eta", np.float32), ("phi", np.float32),
                          ("sigma", np.float32), ("layer", np.uint8)])

        def p(a):
            return _ffi.cast("void *", a.ctypes.data)
        _lib.l0sim_stim_records(s, *(p(rec[k]) for k in rec))
        _lib.l0sim_stim_clusters(s, *(p(cl[k]) for k in cl))
        _lib.l0sim_stim_cells(s, *(p(ce[k]) for k in ce))
        return {"kind": _ffi.string(_lib.l0sim_stim_kind(s)).decode(),
                "options": json.loads(_ffi.string(_lib.l0sim_stim_options(s)).decode() or "{}"),
                "version": int(sz.version), "records": rec, "clusters": cl, "cells": ce}
    finally:
        _lib.l0sim_stim_free(s)


def infer_clusters(stim: Dict[str, Any]) -> np.ndarray:
    """The clusters `l0sim infer` (and l0sim's studies) use, in its row order: the matched
    cluster (the first) of every record of a singles file, every cluster of a stream."""
    if stim["kind"] == "singles":
        r = stim["records"]
        return r["first_cluster"][r["n_clusters"] > 0].astype(np.int64)
    return np.arange(stim["clusters"]["n_cells"].size, dtype=np.int64)


# --- commands ---------------------------------------------------------------------------------

def _opts(options: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    for k, v in options.items():
        if v is None or v is False:
            continue
        flag = "--" + k.replace("_", "-")
        args += [flag] if v is True else [flag, str(v)]
    return args


def generate(output: PathLike, *, singles: Optional[int] = None, orbits: Optional[int] = None,
             crossings: Optional[int] = None, seed: Optional[int] = None,
             quiet: bool = True, **options: Any) -> Dict[str, Any]:
    """Simulate clusters into a stimulus file with the C generator (`l0sim gen`: the executable
    when one is found (exe rules of run()), else in process through libl0sim.so):
    singles=N single particles, or orbits=N / crossings=N bunch slots of a stream. Other
    options are `l0sim gen`'s, with underscores: mu=200, particle="pion", e_min=1, cells=64,
    hard_fraction=0.1, threads=2, ... The same seed and options give the same bytes. Returns
    read_stimulus(output). A bad option raises L0simError with the command's message."""
    args = ["gen", "-o", os.fspath(output)]
    args += _opts({"singles": singles, "orbits": orbits, "crossings": crossings, "seed": seed})
    args += _opts(options)
    if quiet:
        args.append("-q")
    exe = None
    try:
        exe = _exe(None)
    except FileNotFoundError:
        pass
    if exe:  # the executable when there is one: no getopt state shared between calls
        r = subprocess.run([exe] + args, capture_output=True, text=True)
        if r.returncode != 0:
            lines = [ln for ln in r.stderr.replace("\r", "\n").splitlines() if ln.startswith("l0sim")]
            raise L0simError(lines[-1] if lines else r.stderr.strip() or f"l0sim gen: exit {r.returncode}")
        if not quiet and r.stderr:
            sys.stderr.write(r.stderr)
        return read_stimulus(output)
    argv_keep = [_ffi.new("char[]", a.encode()) for a in args]
    argv = _ffi.new("char *[]", argv_keep + [_ffi.NULL])
    # The command prints its errors (and progress) on stderr: capture fd 2 to carry the message.
    sys.stderr.flush()
    with tempfile.TemporaryFile() as cap:
        saved = os.dup(2)
        os.dup2(cap.fileno(), 2)
        try:
            rc = _lib.l0sim_cmd_gen(len(args), argv)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        cap.seek(0)
        text = cap.read().decode(errors="replace")
    if rc != 0:
        lines = [ln for ln in text.replace("\r", "\n").splitlines() if ln.startswith("l0sim")]
        raise L0simError(lines[-1] if lines else text.strip() or f"l0sim gen: exit {rc}")
    if not quiet and text:
        sys.stderr.write(text)
    return read_stimulus(output)


def _exe(exe: Optional[PathLike]) -> str:
    cand = [os.fspath(exe)] if exe else []
    if os.environ.get("L0SIM_EXE"):
        cand.append(os.environ["L0SIM_EXE"])
    w = shutil.which("l0sim")
    if w:
        cand.append(w)
    for c in cand:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise FileNotFoundError("l0sim.run: no l0sim executable (it holds the verilated RTL "
                            "engine): pass exe=build/sim/l0sim, set L0SIM_EXE, or put it on PATH")


def run(data: PathLike, output: Optional[PathLike] = None, *, exe: Optional[PathLike] = None,
        junit: Optional[PathLike] = None, **options: Any) -> Dict[str, Any]:
    """An event stream through the RTL: `l0sim run --data DATA -o OUTPUT [options]` (options as
    `l0sim run`'s, with underscores: nodes=48, budget_ns=1000, shard="0/2", ...). Returns the
    report (report.json) as a dict, with "exit_status" (0 PASS, 1 FAIL) and "passed" added: a
    failed check is a verdict, not an exception. An input or usage error (exit 2) raises
    L0simError with the command's message. Without output, a temporary directory is used."""
    tmp = None
    if output is None:
        tmp = tempfile.TemporaryDirectory(prefix="l0sim-run-")
        output = tmp.name
    try:
        args = [_exe(exe), "run", "--data", os.fspath(data), "-o", os.fspath(output), "-q"]
        if junit is not None:
            args += ["--junit", os.fspath(junit)]
        args += _opts(options)
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode not in (0, 1):
            msg = [ln for ln in p.stderr.splitlines() if ln.startswith("l0sim")]
            raise L0simError(msg[-1] if msg else (p.stderr.strip() or f"exit {p.returncode}"))
        with open(Path(output) / "report.json") as f:
            rep = json.load(f)
        rep["exit_status"] = p.returncode
        rep["passed"] = p.returncode == 0
        return rep
    finally:
        if tmp is not None:
            tmp.cleanup()
