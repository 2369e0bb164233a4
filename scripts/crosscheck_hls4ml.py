"""Cross-check l0sim's golden model and RTL against hls4ml (run by scripts/crosscheck-hls4ml).

Builds the same DeepSets in tf.keras (Keras 2), with fixed seeds, saves it as a legacy .h5 file
and an hls4ml configuration (YAML), imports both into l0sim (`l0sim import m.h5
--hls4ml-config cfg.yml`), converts the model with hls4ml (Keras 2 frontend, Vivado backend,
io_parallel, Latency) with the same configuration, compiles hls4ml's C simulation and compares its
output bits with l0sim's golden model (and the RTL engine) on a data set made by `l0sim gen`:

  variant a  a float Keras model; the precisions come from the hls4ml configuration
             (per-layer types, rounding and saturation modes, explicit and auto accumulators)
  variant b  a QKeras model (QDense with quantized_bits kernels and biases, quantized_relu,
             quantized_bits on the input and after the sum); the precisions come from the
             quantizers, the configuration adds what QKeras does not say

hls4ml has no KSum layer: it is added through hls4ml's extension API (a Keras layer handler, an
hls4ml layer, its Vivado templates and its HLS C++, which sums exactly and casts once, as l0sim
does). Each model is imported twice: padded (`--padding C`, the golden model pads clusters to C
rows of -6 and sums them all, as hls4ml sums every input row) and unpadded (l0sim sums the real
cells only; hls4ml then sums the zero rows of the test bench too: identical results are expected
on full clusters only). The RTL engine, built for the padded model (it pads as the golden model
does), is compared with the golden model and with hls4ml on every cluster.

Before the outputs, the script compares what both compute with: every type hls4ml ends up with
(after its optimizer passes) against the l0sim model's, and every weight and bias value (hls4ml's
C simulation reads the text hls4ml writes, then casts it). Weights that differ are explained
(hls4ml's text rounding across a step of the type; hls4ml 1.0.0 dropping a per-cell QDense's
quantizers) and the outputs are then also compared with the golden model of l0sim's model with
hls4ml's weights, which must agree bit for bit (and the RTL is built for that model). Every
layer's output is compared on a few clusters (l0sim infer --trace against hls_model.trace).

Writes WORK/crosscheck.txt (the summary printed at the end) and, per variant, WORK/<v>/: the
model (.h5), the hls4ml configuration (.yml), the l0sim models, test-bench files, hls4ml's
project, clusters.csv (every cluster's output raws), the RTL build and rtl.csv, log.txt.
Exit status 0 when everything that should agree agrees, 1 otherwise, 2 for a usage or setup
error.
"""
import argparse
import contextlib
import csv
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")

C = 16  # cells per cluster (the Keras input's fixed cell axis)
NF = 4  # features per cell: l0sim's default energy:log, deta, dphi, layer
PAD = -6.0
MAX_LISTED = 5


# --- fixed-point types ----------------------------------------------------------------------


class FxType:
    """An ap_fixed type (signed, W, I, Q, O) parsed from hls4ml's or l0sim's spelling."""

    Q_MODES = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
    O_MODES = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")

    def __init__(self, signed, w, i, q="TRN", o="WRAP", n=0):
        self.signed, self.w, self.i, self.q, self.o, self.n = signed, w, i, q, o, n

    @classmethod
    def parse(cls, s):
        s = str(s).strip().replace(" ", "")
        m = re.fullmatch(r"(ap_)?(u?)(fixed|int)<([^>]*)>", s)
        if not m:
            raise ValueError(f"not a fixed-point type: {s!r}")
        signed = m.group(2) != "u"
        args = [a for a in m.group(4).split(",") if a != ""]
        if m.group(3) == "int":
            w = int(args[0])
            i, rest = w, args[1:]
        else:
            w, i, rest = int(args[0]), int(args[1]), args[2:]
        q = rest[0].upper().removeprefix("AP_") if len(rest) > 0 else "TRN"
        o = rest[1].upper().removeprefix("AP_") if len(rest) > 1 else "WRAP"
        n = int(rest[2]) if len(rest) > 2 else 0
        if q not in cls.Q_MODES or o not in cls.O_MODES:
            raise ValueError(f"unknown quantization or overflow mode in {s!r}")
        return cls(signed, w, i, q, o, n)

    @classmethod
    def from_hls4ml(cls, p):
        """From an hls4ml PrecisionType (FixedPrecisionType or IntegerPrecisionType)."""
        w = p.width
        i = getattr(p, "integer", w)
        rm = getattr(p, "rounding_mode", None)
        sm = getattr(p, "saturation_mode", None)
        q = rm.name if rm is not None and hasattr(rm, "name") else (str(rm) if rm else "TRN")
        o = sm.name if sm is not None and hasattr(sm, "name") else (str(sm) if sm else "WRAP")
        n = getattr(p, "saturation_bits", 0) or 0
        return cls(bool(p.signed), w, i, q.upper(), o.upper(), int(n))

    @property
    def f(self):
        return self.w - self.i

    def key(self):
        return (self.signed, self.w, self.i, self.q, self.o, self.n)

    def __eq__(self, other):
        return isinstance(other, FxType) and self.key() == other.key()

    def hls(self):
        """hls4ml's spelling (for the configuration)."""
        base = f"{'' if self.signed else 'u'}fixed<{self.w},{self.i}"
        if self.q == "TRN" and self.o == "WRAP" and self.n == 0:
            return base + ">"
        return base + f",{self.q},{self.o}" + (f",{self.n}" if self.n else "") + ">"

    def ap(self):
        base = f"ap_{'' if self.signed else 'u'}fixed<{self.w},{self.i}"
        if self.q == "TRN" and self.o == "WRAP" and self.n == 0:
            return base + ">"
        return base + f",AP_{self.q},AP_{self.o}" + (f",{self.n}" if self.n else "") + ">"

    __str__ = ap


def auto_accum(t_in, t_w, t_b, n_in):
    """hls4ml 1.0's infer_precision rule for a Dense/Conv accumulator (docs/model-format.md)."""
    g = math.ceil(math.log2(n_in)) if n_in > 1 else 0
    w = t_w.w + t_in.w + g
    i = t_w.i + t_in.i + g
    s = t_w.signed or t_in.signed
    frac = w - i
    i = max(i + (t_b.signed and not s), t_b.i + (s and not t_b.signed)) + 1
    w = i + max(frac, t_b.w - t_b.i)
    return FxType(s or t_b.signed, w, i)


# --- running things ---------------------------------------------------------------------------


class Setup(Exception):
    """A setup or usage error: exit status 2."""


def run(cmd, log=None, cwd=None, check=True):
    """Run cmd; its output goes to log (appended) or is returned."""
    if log:
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=cwd)
        if check and r.returncode != 0:
            raise Setup(f"{' '.join(cmd)}: exit {r.returncode} (log: {log})")
        return r.returncode
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if check and r.returncode != 0:
        raise Setup(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


@contextlib.contextmanager
def quiet(log):
    """Send everything written to stdout and stderr (Python's and the C level's: hls4ml prints a
    lot, g++ too) to log."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "a") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            with contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def say(msg=""):
    print(msg, flush=True)


# --- the Keras side -----------------------------------------------------------------------------

tf = keras = hls4ml = np = yaml = None  # imported in main (slow, noisy)
KSum = None


def import_python_stack(log):
    global tf, keras, hls4ml, np, yaml, KSum
    with quiet(log):
        import numpy as np_
        import tensorflow as tf_
        import yaml as yaml_
        import hls4ml as hls4ml_
    tf, keras, hls4ml, np, yaml = tf_, tf_.keras, hls4ml_, np_, yaml_

    class KSum_(keras.layers.Layer):
        """The reference study's sum over the cells: (batch, cells, n) -> (batch, n)."""

        def call(self, x):
            return tf.reduce_sum(x, axis=1)

        def compute_output_shape(self, s):
            return (s[0], s[2])

        def get_config(self):
            return super().get_config()

    KSum_.__name__ = KSum_.__qualname__ = "KSum"
    KSum = KSum_


def set_weights(model, rng):
    """Deterministic weights: He-normal kernels, random biases (not zeros: a zero bias would
    leave the bias casts untested)."""
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        for w in ws:
            if w.ndim == 2:
                new.append(rng.normal(0.0, math.sqrt(2.0 / w.shape[0]), w.shape))
            else:
                new.append(rng.normal(0.0, 0.4, w.shape))
        layer.set_weights([v.astype(np.float32) for v in new])


def build_variant_a(seed):
    """A float Keras DeepSets: phi Dense 8, 8 (relu inline: hls4ml names the activation
    '<dense>_relu'), KSum, rho Dense 8 followed by a ReLU layer, Dense(1)."""
    keras.utils.set_random_seed(seed)
    L = keras.layers
    inp = L.Input((C, NF), name="cells")
    x = L.Dense(8, activation="relu", name="phi0")(inp)
    x = L.Dense(8, activation="relu", name="phi1")(x)
    x = KSum(name="ksum")(x)
    x = L.Dense(8, name="rho0")(x)
    x = L.ReLU(name="rho0_act")(x)
    out = L.Dense(1, name="out")(x)
    m = keras.Model(inp, out, name="xcheck_a")
    set_weights(m, np.random.default_rng(seed))
    return m


def build_variant_b(seed):
    """A QKeras DeepSets: quantized_bits on the input, QDense with quantized_bits kernels and
    biases, quantized_relu activations, quantized_bits after the sum."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    keras.utils.set_random_seed(seed)
    L = keras.layers

    def qb(bits, integer):
        return quantized_bits(bits, integer, alpha=1)

    inp = L.Input((C, NF), name="cells")
    x = QActivation(qb(12, 4), name="cells_q")(inp)
    x = QDense(8, kernel_quantizer=qb(8, 1), bias_quantizer=qb(8, 3), name="phi0")(x)
    x = QActivation(quantized_relu(10, 4), name="phi0_act")(x)
    x = QDense(8, kernel_quantizer=qb(6, 0), bias_quantizer=qb(10, 4), name="phi1")(x)
    x = QActivation(quantized_relu(10, 5), name="phi1_act")(x)
    x = KSum(name="ksum")(x)
    x = QActivation(qb(14, 8), name="ksum_q")(x)
    x = QDense(8, kernel_quantizer=qb(8, 2), bias_quantizer=qb(8, 3), name="rho0")(x)
    x = QActivation(quantized_relu(12, 6), name="rho0_act")(x)
    out = QDense(1, kernel_quantizer=qb(10, 2), bias_quantizer=qb(10, 3), name="out")(x)
    m = keras.Model(inp, out, name="xcheck_b")
    set_weights(m, np.random.default_rng(seed))
    return m


# --- hls4ml: the KSum extension ---------------------------------------------------------------

KSUM_H = r"""#ifndef NNET_KSUM_H_
#define NNET_KSUM_H_

#include "nnet_common.h"

namespace nnet {

// KSum (l0sim's DeepSets sum over the cells): res[c] = (res_T) sum over the n_rows rows of
// data[r][c], the sum exact (sum_t holds it: the input type with ceil(log2 n_rows) more integer
// bits), then one cast to res_T.
struct ksum_config {
    static const unsigned n_rows = 1;
    static const unsigned n_chan = 1;
    typedef ap_fixed<32, 16> sum_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void ksum(data_T data[CONFIG_T::n_rows * CONFIG_T::n_chan], res_T res[CONFIG_T::n_chan]) {
    #pragma HLS PIPELINE
    #pragma HLS ARRAY_PARTITION variable=data complete
    #pragma HLS ARRAY_PARTITION variable=res complete
Chan:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        #pragma HLS UNROLL
        typename CONFIG_T::sum_t acc = 0;
    Rows:
        for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
            #pragma HLS UNROLL
            acc += data[r * CONFIG_T::n_chan + c];
        }
        res[c] = (res_T)acc;
    }
}

} // namespace nnet

#endif
"""

_registered = False


def register_ksum(srcdir):
    """Teach hls4ml the KSum layer (hls4ml's extension API)."""
    global _registered
    if _registered:
        return
    Layer = hls4ml.model.layers.Layer

    class KSum(Layer):
        """hls4ml's node for KSum: (n_rows, n_chan) -> (n_chan,). Named as the Keras class, so
        that a configuration's LayerType 'KSum' reaches it."""

        def initialize(self):
            inp = self.get_input_variable()
            self.add_output_variable([inp.shape[-1]], [inp.dim_names[-1]])

    def parse_ksum(keras_layer, input_names, input_shapes, data_reader):
        cfg = keras_layer["config"]
        if cfg.get("axis", 1) != 1 or len(input_shapes[0]) != 3:
            raise Exception(f"KSum {cfg['name']}: only a sum over axis 1 of (batch, rows, n)")
        layer = {
            "class_name": "KSum",
            "name": cfg["name"],
            "n_rows": input_shapes[0][1],
            "n_chan": input_shapes[0][2],
        }
        if input_names is not None:
            layer["inputs"] = input_names
        return layer, [input_shapes[0][0], input_shapes[0][2]]

    config_template = """struct config{index} : nnet::ksum_config {{
    static const unsigned n_rows = {n_rows};
    static const unsigned n_chan = {n_chan};
    typedef {sum_t} sum_t;
}};\n"""
    function_template = "nnet::ksum<{input_t}, {output_t}, {config}>({input}, {output});"

    class HKSumConfigTemplate(hls4ml.backends.template.LayerConfigTemplate):
        def __init__(self):
            super().__init__(KSum)
            self.template = config_template

        def format(self, node):
            params = self._default_config_params(node)
            t = FxType.from_hls4ml(node.get_input_variable().type.precision)
            g = math.ceil(math.log2(node.get_attr("n_rows")))
            params["sum_t"] = f"ap_{'' if t.signed else 'u'}fixed<{t.w + g},{t.i + g}>"
            return self.template.format(**params)

    class HKSumFunctionTemplate(hls4ml.backends.template.FunctionCallTemplate):
        def __init__(self):
            super().__init__(KSum, include_header=["nnet_utils/nnet_ksum.h"])
            self.template = function_template

        def format(self, node):
            return self.template.format(**self._default_function_params(node))

    hls4ml.converters.register_keras_layer_handler("KSum", parse_ksum)
    hls4ml.model.layers.register_layer("KSum", KSum)
    backend = hls4ml.backends.get_backend("Vivado")
    backend.register_template(HKSumConfigTemplate)
    backend.register_template(HKSumFunctionTemplate)
    path = os.path.join(srcdir, "nnet_ksum.h")
    with open(path, "w") as f:
        f.write(KSUM_H)
    backend.register_source(path)
    _registered = True


# --- the precisions ----------------------------------------------------------------------------


def precisions_a():
    """Variant a: hls4ml configuration entries (layer name -> {key: type}), none left to
    hls4ml's defaults. Every activation after a Dense (hls4ml's '<dense>_relu' for an inline
    relu, '<dense>_linear' for a Dense without activation, a separate ReLU layer) gets its
    Dense's result type: l0sim has one result type per layer (cast once, then ReLU in it), and
    hls4ml casts again into each activation's type (left 'auto', that is the default
    fixed<16,6>)."""
    return {
        "cells": {"result": "fixed<14,5,RND,SAT>"},
        "phi0": {"weight": "fixed<12,3>", "bias": "fixed<12,4>", "accum": "auto",
                 "result": "fixed<18,8,RND,SAT>"},
        "phi0_relu": {"result": "fixed<18,8,RND,SAT>"},
        "phi1": {"weight": "fixed<10,2>", "bias": "fixed<16,6>", "accum": "fixed<26,12>",
                 "result": "fixed<16,6,RND_CONV,SAT>"},
        "phi1_relu": {"result": "fixed<16,6,RND_CONV,SAT>"},
        "ksum": {"result": "fixed<15,7,RND,SAT>"},
        "rho0": {"weight": "fixed<16,6>", "bias": "fixed<16,6>", "accum": "auto",
                 "result": "fixed<16,6,TRN,SAT>"},
        "rho0_linear": {"result": "fixed<16,6,TRN,SAT>"},
        "rho0_act": {"result": "fixed<16,6,TRN,SAT>"},
        "out": {"weight": "fixed<12,4>", "bias": "fixed<12,4>", "accum": "auto",
                "result": "fixed<18,8>"},
        "out_linear": {"result": "fixed<18,8>"},
    }


def precisions_b(config):
    """Variant b: what QKeras's quantizers do not say. The network input gets the input
    quantizer's type (so hls4ml casts the doubles once, to that type, as l0sim does, and not
    first to the default fixed<16,6> and then to the quantizer's type); the sum over the cells
    gets the exact type (phi's output type with ceil(log2 C) more bits), which the quantizer
    after it then casts, as in l0sim; Dense results stay 'auto' (exact: their accumulators)."""
    q_in = FxType.parse(config["LayerName"]["cells_q"]["Precision"]["result"])
    phi_out = FxType.parse(config["LayerName"]["phi1_act"]["Precision"]["result"])
    g = math.ceil(math.log2(C))
    ksum = FxType(phi_out.signed, phi_out.w + g, phi_out.i + g)
    return {"cells": {"result": q_in.hls()}, "ksum": {"result": ksum.hls()}}


def make_config(model, variant):
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    cfg["Model"]["Strategy"] = "Latency"
    cfg["Model"]["ReuseFactor"] = 1
    for entry in cfg["LayerName"].values():
        entry["Trace"] = True  # per-layer outputs (hls_model.trace), for the per-layer check
    prec = precisions_a() if variant == "a" else precisions_b(cfg)
    for name, p in prec.items():
        if name not in cfg["LayerName"]:
            raise Setup(f"hls4ml's configuration has no layer {name!r}: {sorted(cfg['LayerName'])}")
        cfg["LayerName"][name].setdefault("Precision", {}).update(p)
    return cfg


# --- l0sim ---------------------------------------------------------------------------------------


def read_infer_csv(path):
    with open(path) as f:
        return [{"n_cells": int(r["n_cells"]), "raw": int(r["fixed_raw"]),
                 "event": int(r["event"]), "cluster": int(r["cluster"])}
                for r in csv.DictReader(f)]


def parse_overflows(text):
    """l0sim infer's overflow table: {tensor: (type, casts, overflows)}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s+(\S+)\s+(auto\s+)?(\S+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            out[m.group(1)] = (m.group(3), int(m.group(4)), int(m.group(5)))
    return out


# --- the comparison ---------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.lines = []
        self.failed = False

    def add(self, s=""):
        self.lines.append(s)
        say(s)

    def fail(self, s):
        self.failed = True
        self.add(s)


def to_raws(values, t, what):
    """Output values (doubles) as raws of type t: exact (they are values of t)."""
    raws = []
    scale = 2.0 ** t.f
    for v in values:
        r = float(v) * scale
        if not r.is_integer():
            raise Setup(f"{what}: {v!r} is not a value of {t}")
        raws.append(int(r))
    return raws


def compare(rep, title, a_name, a, b_name, b, rows, short_by_design):
    """Compare raws a and b cluster by cluster; every difference is unexpected, except on
    clusters with fewer than C cells when short_by_design. Returns the unexpected ones."""
    n = len(a)
    same = [a[i] == b[i] for i in range(n)]
    if not short_by_design:
        bad = [i for i in range(n) if not same[i]]
        rep.add(f"  {title}: {n} clusters: {n - len(bad)} identical, "
                f"{len(bad)} differing unexpectedly")
    else:
        short = [i for i in range(n) if rows[i]["n_cells"] < C]
        full = [i for i in range(n) if rows[i]["n_cells"] >= C]
        bad = [i for i in full if not same[i]]
        s_same = sum(same[i] for i in short)
        rep.add(f"  {title}: {n} clusters; {len(full)} with {C} cells or more: "
                f"{len(full) - len(bad)} identical, {len(bad)} differing unexpectedly; "
                f"{len(short)} with fewer: differ by design ({len(short) - s_same} differ, "
                f"{s_same} agree)")
    for i in bad[:MAX_LISTED]:
        r = rows[i]
        rep.add(f"    cluster {i} (event {r['event']}, {r['n_cells']} cells): "
                f"{a_name} raw {a[i]}, {b_name} raw {b[i]}")
    if bad:
        rep.failed = True
    return bad


def fx_values(l0sim, t, values):
    """Cast doubles to t with l0sim fx --json; the values of the results (exact doubles)."""
    out = []
    for k in range(0, len(values), 200):
        chunk = values[k:k + 200]
        txt = run([l0sim, "fx", "--json", t.ap()] + [repr(float(v)) for v in chunk])
        for line in txt.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(math.ldexp(int(json.loads(line)["raw"]), -t.f))
    if len(out) != len(values):
        raise Setup(f"l0sim fx gave {len(out)} results for {len(values)} values")
    return out


def hls4ml_dense_nodes(hm):
    """The nodes computing l0sim's Dense layers, in order (a Dense on the cells' 3-D tensor
    is a Conv1D in hls4ml)."""
    return [layer for layer in hm.get_layers()
            if layer.class_name in ("Dense", "Conv1D", "PointwiseConv1D")]


def check_weights(rep, hm, mj, keras_model, l0sim):
    """The weights and biases the two compute with, value by value: l0sim's (the model file's
    doubles cast to its types) and hls4ml's (C simulation reads the text hls4ml writes, as many
    decimals as the type has fractional bits, as a double, and casts it). Returns the hls4ml
    values in the model file's layout ([(weights n_out x n_in, bias)] per layer) and the
    number of values that differ."""
    layers = mj["phi"] + mj["rho"]
    nodes = hls4ml_dense_nodes(hm)
    kclass = {layer.name: layer.__class__.__name__ for layer in keras_model.layers}
    hvals, n_total, n_diff, listed, causes = [], 0, 0, [], {}
    for k, (lj, node) in enumerate(zip(layers, nodes)):
        tag = f"phi{k}" if k < len(mj["phi"]) else f"rho{k - len(mj['phi'])}"
        n_in, n_out = lj["n_in"], lj["n_out"]
        p = lj["precision"]
        out = []
        kw = keras_model.get_layer(node.name).get_weights() if node.name in kclass else []
        unquantized = {"weight": [float(x) for x in np.ravel(kw[0])] if kw else [],
                       "bias": [float(x) for x in np.ravel(kw[1])] if len(kw) > 1 else []}
        for wname, l0vals, l0type in (
                ("weight", [lj["weights"][o][i] for i in range(n_in) for o in range(n_out)],
                 p["weight"]),
                ("bias", list(lj["bias"]), p["bias"])):
            var = node.weights[wname]
            t_h = FxType.from_hls4ml(var.type.precision)
            text = [float(sv) for sv in var]  # what hls4ml writes (WeightVariable.__iter__)
            data = [float(x) for x in np.asarray(var.data).ravel()]
            if len(text) != len(l0vals):
                raise Setup(f"{node.name}.{wname}: hls4ml has {len(text)} values, l0sim "
                            f"{len(l0vals)}")
            l0v = fx_values(l0sim, FxType.parse(l0type), l0vals)
            hv = fx_values(l0sim, t_h, text)
            hd = fx_values(l0sim, t_h, data)
            for idx, (a, b) in enumerate(zip(l0v, hv)):
                n_total += 1
                if a == b:
                    continue
                n_diff += 1
                if hd[idx] == a:
                    cause = ("by design: hls4ml's text form of the value (as many decimals as "
                             "fractional bits) rounds across a step of the type")
                elif (node.class_name != "Dense" and kclass.get(node.name) == "QDense"
                      and unquantized[wname][idx] == data[idx]):
                    cause = ("by design: hls4ml 1.0.0 replaces a Dense on a 3-D input by a "
                             "Conv1D (optimizer pass replace_multidimensional_dense_with_conv) "
                             "without the QDense's kernel and bias quantizers: it casts the "
                             "float kernel and bias (AP_TRN) instead of QKeras's quantized "
                             "values")
                else:
                    cause = "UNEXPECTED: hls4ml computes with other values"
                    rep.failed = True
                causes[cause] = causes.get(cause, 0) + 1
                if wname == "weight":
                    i, o = divmod(idx, n_out)
                    where = f"{tag}.weights[{o}][{i}]"
                else:
                    where = f"{tag}.bias[{idx}]"
                if len(listed) < MAX_LISTED:
                    listed.append(f"    {where} ({node.name}): file {l0vals[idx]!r}, l0sim "
                                  f"{a!r}, hls4ml {b!r} (written {text[idx]!r})")
            if wname == "weight":
                w = [[hv[i * n_out + o] for i in range(n_in)] for o in range(n_out)]
            else:
                out.append((w, hv))
        hvals.append(out[0])
    rep.add(f"  weights and biases: {n_total} values, {n_total - n_diff} the same in l0sim and "
            f"hls4ml, {n_diff} different")
    for cause, cnt in causes.items():
        rep.add(f"    {cnt} {cause}")
    for line in listed:
        rep.add(line)
    return hvals, n_diff


def with_weights(src, dst, hvals):
    """A copy of model file src with the weights and biases hvals (hls4ml's values: they lie on
    the same grid, so l0sim's casts keep them)."""
    with open(src) as f:
        m = json.load(f)
    for lj, (w, b) in zip(m["phi"] + m["rho"], hvals):
        lj["weights"], lj["bias"] = w, b
    m["name"] = m["name"] + "_hls4ml_weights"
    with open(dst, "w") as f:
        json.dump(m, f, indent=1)


def layer_types(hm):
    """hls4ml's final types per node: {name: (class, {weight/bias/accum/result: FxType})}."""
    out = {}
    for layer in hm.get_layers():
        d = {}
        for tname, nt in layer.types.items():
            key = tname[:-2] if tname.endswith("_t") else tname
            try:
                d[key] = FxType.from_hls4ml(nt.precision)
            except Exception:
                pass
        d["result"] = FxType.from_hls4ml(layer.get_output_variable().type.precision)
        out[layer.name] = (layer.class_name, d)
    return out


def contains(a, b):
    """Every value of type b is a value of type a (a cast from b to a is exact)."""
    if a.f < b.f or (b.signed and not a.signed):
        return False
    return a.i >= b.i + (1 if a.signed and not b.signed else 0)


def chain_check(start, chain, t, relu):
    """hls4ml computes a layer's output as a chain of casts: from the exact value (type start)
    into the Dense's result type, then into each activation's type (a ReLU takes max(x, 0)
    before its cast). l0sim casts once into t, then takes max(x, 0). The two agree when exactly
    one cast of the chain can lose anything, into t, the others are exact, and the chain ends
    in t; and, when the ReLU comes before that cast, t does not wrap (a saturating or rounding
    cast of a negative number is not positive; a wrapping one can be). chain: [(name, type,
    'relu' or 'linear' or None)]. Returns (ok, why)."""
    prev, lossy, relu_before = start, None, False
    for name, typ, act in chain:
        if not contains(typ, prev):
            if lossy is not None:
                return False, f"a second rounding cast, into {typ} ({name}), after {lossy}'s"
            if typ != t:
                return False, f"{name} casts into {typ}, l0sim into {t}"
            lossy = name
            relu_before = act == "relu"
        prev = typ
    if prev != t:
        return False, f"the chain ends in {prev}, l0sim's result is {t}"
    if relu and relu_before and t.o == "WRAP":
        return False, (f"the ReLU comes before the cast into the wrapping {t}: the two differ "
                       f"where that cast overflows")
    return True, ""


def check_types(rep, hm, mj):
    """The types hls4ml ended up with (after its optimizer passes), side by side with the l0sim
    model's. They must describe the same arithmetic, else the comparison is void."""
    ht = layer_types(hm)
    names = [layer.name for layer in hm.get_layers()]
    classes = {n: ht[n][0] for n in names}
    ok = True
    rows = []

    def row(what, l0, h, good, why=""):
        nonlocal ok
        ok &= good
        rows.append(f"    {what:<30} {str(l0):<36} {str(h):<36} "
                    f"{'' if good else 'DIFFERENT'}{('  ' + why) if why else ''}")

    def acts_after(name):
        chain, j = [], names.index(name) + 1
        while j < len(names) and classes[names[j]] == "Activation":
            act = next(layer for layer in hm.get_layers() if layer.name == names[j])
            chain.append((names[j], ht[names[j]][1]["result"],
                          str(act.get_attr("activation", "")).lower()))
            j += 1
        return chain

    # The input: every cast of the doubles on the way must be into l0sim's input_t.
    t_in = FxType.parse(mj["precision"]["input"])
    inp = next(n for n in names if classes[n] == "Input")
    for name, typ, act in [(inp, ht[inp][1]["result"], None)] + acts_after(inp):
        row(f"input ({name})", t_in, typ, typ == t_in,
            "" if typ == t_in else "hls4ml casts the input more than once")
    layers = mj["phi"] + mj["rho"]
    dense = [layer.name for layer in hls4ml_dense_nodes(hm)]
    if len(layers) != len(dense):
        rep.fail(f"  l0sim has {len(layers)} Dense layers, hls4ml {len(dense)}: {dense}")
        return False
    prev = t_in
    for k, (lj, hn) in enumerate(zip(layers, dense)):
        tag = f"phi{k}" if k < len(mj["phi"]) else f"rho{k - len(mj['phi'])}"
        p, hd = lj["precision"], ht[hn][1]
        tw, tb = FxType.parse(p["weight"]), FxType.parse(p["bias"])
        # Weights: the same grid and range (the modes only matter for the cast from the file's
        # doubles, which check_weights compares value by value).
        def grid(t):
            return (t.signed, t.w, t.i)

        for what, t_l, t_h in ((f"{tag}.weight ({hn})", tw, hd["weight"]),
                               (f"{tag}.bias", tb, hd["bias"])):
            row(what, t_l, t_h, grid(t_l) == grid(t_h),
                "the same grid (values compared below)" if grid(t_l) == grid(t_h) and t_l != t_h
                else "")
        if p["accum"] == "auto":
            acc = auto_accum(prev, tw, tb, lj["n_in"])
        else:
            acc = FxType.parse(p["accum"])
        row(f"{tag}.accum{' (auto)' if p['accum'] == 'auto' else ''}", acc, hd["accum"],
            acc == hd["accum"])
        tr = FxType.parse(p["result"])
        chain = [(hn, hd["result"], None)] + acts_after(hn)
        relus = sum(a == "relu" for _, _, a in chain)
        others = [a for _, _, a in chain[1:] if a not in ("relu", "linear")]
        good, why = chain_check(acc, chain, tr, lj["activation"] == "relu")
        if relus != (lj["activation"] == "relu") or others:
            good, why = False, (f"activations {[a for _, _, a in chain[1:]]}, l0sim "
                                f"{lj['activation']}")
        for j, (name, typ, act) in enumerate(chain):
            label = f"{tag}.result" if j == 0 else f"  then {act} ({name})"
            last = j == len(chain) - 1
            row(label, tr if last else "", typ, good or not last, why if last else "")
        prev = tr
        if k == len(mj["phi"]) - 1:
            t_ks = FxType.parse(mj["precision"]["ksum"])
            kn = next(n for n in names if classes[n] == "KSum")
            g = math.ceil(math.log2(C))
            exact = FxType(tr.signed, tr.w + g, tr.i + g)
            chain = [(kn, ht[kn][1]["result"], None)] + acts_after(kn)
            good, why = chain_check(exact, chain, t_ks, False)
            for j, (name, typ, act) in enumerate(chain):
                last = j == len(chain) - 1
                row("ksum" if j == 0 else f"  then {act} ({name})", t_ks if last else "", typ,
                    good or not last, why if last else "")
            prev = t_ks
    rep.add(f"  types: {'the same arithmetic in l0sim and hls4ml' if ok else 'DIFFERENT'} "
            f"(hls4ml's after its optimizer passes)")
    rep.add(f"    {'tensor':<30} {'l0sim':<36} {'hls4ml':<36}")
    for r in rows:
        rep.add(r)
    if not ok:
        rep.failed = True
    return ok


# --- per-layer check -----------------------------------------------------------------------------


def l0_trace(l0, mj, data, row, wd):
    """l0sim infer --trace ROW: {tensor: fixed values (rows x cols)}, from the raws (the
    printed values are rounded)."""
    txt = run([l0, "infer", "--model", mj, "--data", data, "-o", os.path.join(wd, "trace_tmp"),
               "--trace", str(row), "--max-clusters", str(row + 1), "-q"])
    out, cur, frac = {}, None, 0
    for line in txt.splitlines():
        m = re.match(r"^(\w+): (\d+) x (\d+), ([^ ]+>),", line)
        if m:
            cur = m.group(1)
            out[cur] = np.zeros((int(m.group(2)), int(m.group(3))))
            frac = FxType.parse(m.group(4)).f
            continue
        f = line.split()
        if cur and len(f) == 6 and re.fullmatch(r"\d+", f[0]) and re.fullmatch(r"\d+", f[1]):
            out[cur][int(f[0]), int(f[1])] = math.ldexp(int(f[5]), -frac)
        elif not line.strip():
            cur = None
    for ext in (".csv", ".npz"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(wd, "trace_tmp" + ext))
    return out


def check_layers(rep, hm, mj, model_file, data, x, rows_sel, l0, wd, log):
    """Every layer's output, l0sim's trace against hls4ml's (hls_model.trace), on a few
    clusters: the tensor after each Dense's last activation, and after the sum's."""
    names = [layer.name for layer in hm.get_layers()]
    classes = {layer.name: layer.class_name for layer in hm.get_layers()}

    def last_of_chain(name):
        j = names.index(name)
        while j + 1 < len(names) and classes[names[j + 1]] == "Activation":
            j += 1
        return names[j]

    nodes = [layer.name for layer in hls4ml_dense_nodes(hm)]
    n_phi = len(mj["phi"])
    pairs = [(f"phi{k}", last_of_chain(nodes[k])) for k in range(n_phi)]
    pairs.append(("ksum", last_of_chain(next(n for n in names if classes[n] == "KSum"))))
    pairs += [(f"rho{k}", last_of_chain(nodes[n_phi + k])) for k in range(len(mj["rho"]))]
    with quiet(log):
        _, tr = hm.trace(np.ascontiguousarray(x[rows_sel]))
    bad = []
    for j, row in enumerate(rows_sel):
        lt = l0_trace(l0, model_file, data, row, wd)
        for l0name, hname in pairs:
            a = lt[l0name]
            b = np.asarray(tr[hname][j], dtype=np.float64).reshape(a.shape)
            if not np.array_equal(a, b):
                k = int(np.argmax(a != b))
                bad.append(f"    cluster {row}, {l0name} ({hname}): {int(np.sum(a != b))} of "
                           f"{a.size} values differ, first l0sim {a.ravel()[k]!r}, hls4ml "
                           f"{b.ravel()[k]!r}")
    rep.add(f"  per layer (l0sim infer --trace, hls4ml trace), {len(rows_sel)} clusters, tensors "
            f"{', '.join(f'{a} ({b})' for a, b in pairs)}: "
            + ("every value identical" if not bad else f"{len(bad)} tensors differ"))
    for line in bad[:MAX_LISTED]:
        rep.add(line)
    if bad:
        rep.failed = True


# --- one variant ---------------------------------------------------------------------------------


def l0_golden(l0, mj, data, args, log, tbdir=None):
    """l0sim infer (and export-tb into tbdir): rows, overflow table, (inputs, fixed, float)."""
    prefix = os.path.splitext(mj)[0] + "_golden"
    txt = run([l0, "infer", "--model", mj, "--data", data, "-o", prefix,
               "--max-clusters", str(args.clusters)])
    with open(log, "a") as f:
        f.write(txt)
    rows = read_infer_csv(prefix + ".csv")
    tb = None
    if tbdir:
        run([l0, "export-tb", "--model", mj, "--data", data, "-o", tbdir,
             "--clusters", str(args.clusters)], log)
        x = np.loadtxt(os.path.join(tbdir, "tb_input_features.dat"), dtype=np.float64, ndmin=2)
        y = np.loadtxt(os.path.join(tbdir, "tb_output_fixed.dat"), dtype=np.float64, ndmin=1)
        yf = np.loadtxt(os.path.join(tbdir, "tb_output_predictions.dat"), dtype=np.float64,
                        ndmin=1)
        if x.shape != (len(rows), C * NF) or y.shape[0] != len(rows):
            raise Setup(f"{tbdir}: {x.shape} inputs, {y.shape} outputs for {len(rows)} "
                        f"clusters of l0sim infer")
        tb = (x.reshape(-1, C, NF), y, yf)
    return rows, parse_overflows(txt), tb


def run_variant(v, args, rep, data):
    wd = os.path.join(args.work, v)
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    log = os.path.join(wd, "log.txt")
    l0 = args.l0sim
    t0 = time.time()

    # 1. The Keras model and the hls4ml configuration.
    with quiet(log):
        register_ksum(args.work)
        model = build_variant_a(args.seed) if v == "a" else build_variant_b(args.seed)
        h5 = os.path.join(wd, "m.h5")
        model.save(h5)
        cfg = make_config(model, v)
    cfg_path = os.path.join(wd, "hls4ml_config.yml")
    with open(cfg_path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    title = ("a: float Keras, precisions from an hls4ml configuration" if v == "a" else
             "b: QKeras, precisions from the quantizers (and the hls4ml configuration)")
    rep.add(f"variant {title}")
    rep.add(f"  model {model.name}: input ({C}, {NF}), phi 8,8 (Dense per cell), KSum, "
            f"rho 8,1; {h5}, {cfg_path}")

    # 2. l0sim: import (padded and unpadded), test benches, golden outputs.
    models, golden, tb, overflows = {}, {}, {}, {}
    for kind in ("padded", "unpadded"):
        mj = os.path.join(wd, f"m_{kind}.json")
        cmd = [l0, "import", h5, "-o", mj, "--hls4ml-config", cfg_path]
        if kind == "padded":
            cmd += ["--padding", f"{C}:{PAD:g}"]
        run(cmd, log)
        models[kind] = mj
        golden[kind], overflows[kind], tb[kind] = l0_golden(
            l0, mj, data, args, log, os.path.join(wd, f"tb_{kind}"))
    n = len(golden["padded"])
    rows = golden["unpadded"]
    with open(models["unpadded"]) as f:
        mj = json.load(f)

    # 3. hls4ml: convert, compile, predict (float64 inputs: the bridge casts double -> input_t).
    prj = os.path.join(wd, "hls4ml_prj")
    with quiet(log):
        hm = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, backend="Vivado", io_type="io_parallel",
            output_dir=prj, project_name="xcheck")
        hm.compile()
        hy = {kind: np.asarray(hm.predict(np.ascontiguousarray(tb[kind][0]))).reshape(-1)
              for kind in tb}
        ky = np.asarray(model.predict(tb["padded"][0].astype(np.float32), verbose=0)).reshape(-1)
    t_out = FxType.from_hls4ml(hm.get_output_variables()[0].type.precision)
    rep.add(f"  hls4ml: Vivado backend, io_parallel, Latency, C simulation compiled in {prj} "
            f"({time.time() - t0:.0f} s); output type {t_out}")

    # 4. The types and the weights.
    check_types(rep, hm, mj)
    hvals, n_wdiff = check_weights(rep, hm, mj, model, l0)

    # 5. Output bits.
    h = {kind: to_raws(hy[kind], t_out, f"hls4ml ({kind} inputs)") for kind in hy}
    for kind in ("padded", "unpadded"):
        if to_raws(tb[kind][1], t_out, f"{kind} tb_output_fixed.dat") != \
                [r["raw"] for r in golden[kind]]:
            rep.fail(f"  {kind}: tb_output_fixed.dat and l0sim infer's fixed_raw disagree")
    ref, ref_models = golden, models
    if n_wdiff:
        # The weights differ by design: the network hls4ml computes is l0sim's model with
        # hls4ml's weights. Check that this one agrees bit for bit, and how much the weights
        # alone change the outputs.
        for kind in ("padded", "unpadded"):
            g = [r["raw"] for r in golden[kind]]
            nd = sum(a != b for a, b in zip(g, h[kind]))
            rep.add(f"  hls4ml vs golden, {kind} model: {nd} of {n} clusters differ, through "
                    f"the weights above")
        ref, ref_models = {}, {}
        for kind in ("padded", "unpadded"):
            sub = os.path.join(wd, f"m_{kind}_hls4ml_weights.json")
            with_weights(models[kind], sub, hvals)
            ref_models[kind] = sub
            ref[kind] = l0_golden(l0, sub, data, args, log)[0]
        rep.add("  the golden model of l0sim's model with hls4ml's weights and biases "
                "(m_*_hls4ml_weights.json):")
    g_p = [r["raw"] for r in ref["padded"]]
    g_u = [r["raw"] for r in ref["unpadded"]]
    bad_p = compare(rep, f"hls4ml vs golden, padded model (--padding {C}, every cluster)",
                    "golden", g_p, "hls4ml", h["padded"], ref["padded"], False)
    compare(rep, "hls4ml vs golden, unpadded model", "golden", g_u, "hls4ml", h["unpadded"],
            rows, True)
    rep.add(f"    by design: export-tb fills a cluster's missing rows with zeros; hls4ml, like "
            f"the Keras model, sums all {C} rows, the zero rows included (phi(0) is not 0), "
            f"l0sim sums the real cells only (the padded model sums {C} rows, the missing ones "
            f"{PAD:g}, in both)")
    sel = sorted(set(range(min(n, args.trace))) | set(bad_p[:3]))
    if sel:
        with open(ref_models["padded"]) as f:
            check_layers(rep, hm, json.load(f), ref_models["padded"], data, tb["padded"][0], sel,
                         l0, wd, log)
    with open(os.path.join(wd, "clusters.csv"), "w") as f:
        cols = ["golden_padded", "hls4ml_padded", "golden_unpadded", "hls4ml_unpadded"]
        vals = [[r["raw"] for r in golden["padded"]], h["padded"], g_u if not n_wdiff else
                [r["raw"] for r in golden["unpadded"]], h["unpadded"]]
        if n_wdiff:
            cols += ["golden_padded_hls4ml_weights", "golden_unpadded_hls4ml_weights"]
            vals += [g_p, g_u]
        f.write("row,event,cluster,n_cells," + ",".join(cols) + "\n")
        for i in range(n):
            f.write(f"{i},{rows[i]['event']},{rows[i]['cluster']},{rows[i]['n_cells']},"
                    + ",".join(str(c[i]) for c in vals) + "\n")
    full = [i for i in range(n) if rows[i]["n_cells"] >= C]
    same_full = sum(h["padded"][i] == h["unpadded"][i] for i in full)
    if same_full != len(full):
        rep.fail(f"  hls4ml on full clusters: padded and unpadded inputs give other outputs on "
                 f"{len(full) - same_full} of {len(full)}")

    # 6. Keras itself.
    if v == "a":
        rel = np.abs(ky - tb["padded"][2]) / np.maximum(np.abs(tb["padded"][2]), 1e-3)
        rep.add(f"  float: Keras (float32) vs l0sim's float model (padded), {n} clusters: "
                f"largest difference {rel.max():.2g} relative")
        if rel.max() > 1e-4:
            rep.fail("  float: Keras and l0sim's float model differ by more than 1e-4")
    else:
        kr = [v_ * 2.0 ** t_out.f for v_ in ky]
        nk = sum(a == b for a, b in zip(kr, [r["raw"] for r in golden["padded"]]))
        rep.add(f"  QKeras's own predictions (float32 inputs) equal the golden model's output "
                f"(padded) on {nk} of {n} clusters (information: QKeras computes in float32)")
    ov = overflows["padded"]
    sat = [f"{k} {o} of {c}" for k, (_, c, o) in ov.items() if o > 0]
    rep.add(f"  casts that saturated or wrapped in the golden model (padded): "
            f"{', '.join(sat) if sat else 'none'}")

    # 7. The RTL engine, built for the padded model (with hls4ml's weights if they differ).
    if args.rtl:
        run_rtl(args, rep, data, ref_models["padded"], ref["padded"], h["padded"], wd,
                log, n_wdiff > 0)
    rep.add(f"  ({time.time() - t0:.0f} s)")
    rep.add()


def run_rtl(args, rep, data, model, rows, h_u, wd, log, sub):
    bdir = os.path.join(wd, "build-rtl")
    t0 = time.time()
    try:
        run(["cmake", "-S", args.repo, "-B", bdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
             f"-DL0SIM_MODEL={model}"], log)
        run(["ninja", "-C", bdir, "l0sim"], log)
    except Setup as e:
        rep.fail(f"  RTL: the engine build for {model} failed: {e}")
        return
    l0rtl = os.path.join(bdir, "sim", "l0sim")
    out = os.path.join(wd, "rtl.csv")
    run([l0rtl, "rtl-infer", "--model", model, "--data", data, "-o", out,
         "--max-clusters", str(args.clusters)], log)
    with open(out) as f:
        rr = list(csv.DictReader(f))
    if len(rr) != len(rows):
        rep.fail(f"  RTL: {len(rr)} clusters in {out}, golden {len(rows)}")
        return
    for i, (r, g) in enumerate(zip(rr, rows)):
        if (int(r["event"]), int(r["cluster"]), int(r["n_cells"])) != \
                (g["event"], g["cluster"], g["n_cells"]):
            rep.fail(f"  RTL: cluster {i} of {out} is not the golden's cluster {i}")
            return
    rtl = [int(r["rtl_raw"]) for r in rr]
    if [int(r["golden_raw"]) for r in rr] != [g["raw"] for g in rows]:
        rep.fail("  RTL: rtl-infer's golden_raw differs from l0sim infer's fixed_raw")
    rep.add(f"  RTL engine verilated for the padded model{' with hls4ml weights' if sub else ''}"
            f" ({os.path.basename(model)}; build and run {time.time() - t0:.0f} s):")
    compare(rep, "RTL vs golden (every cluster)", "golden", [g["raw"] for g in rows], "RTL",
            rtl, rows, False)
    compare(rep, "RTL vs hls4ml (every cluster)", "hls4ml", h_u, "RTL", rtl, rows, False)


# --- main -----------------------------------------------------------------------------------------


def versions(args):
    import platform
    from importlib.metadata import version
    v = {"python": platform.python_version()}
    for pkg in ("tensorflow", "keras", "QKeras", "hls4ml", "numpy", "h5py"):
        try:
            v[pkg.lower()] = version(pkg)
        except Exception:
            v[pkg.lower()] = "not installed"
    try:
        gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout
        v["g++"] = gxx.splitlines()[0].split()[-1]
    except Exception:
        pass
    v["l0sim"] = run([args.l0sim, "--help"]).splitlines()[0].split(":")[0].split()[-1]
    try:
        rev = subprocess.run(["git", "-C", args.repo, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        if rev:
            v["l0sim source"] = rev
    except Exception:
        pass
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--l0sim", required=True, help="the l0sim binary")
    ap.add_argument("--repo", required=True, help="the l0sim source tree (for the RTL build)")
    ap.add_argument("--work", required=True, help="work directory (created; variants replaced)")
    ap.add_argument("--clusters", type=int, default=300)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--variants", default="a,b")
    ap.add_argument("--trace", type=int, default=8,
                    help="clusters compared layer by layer (default 8)")
    ap.add_argument("--no-rtl", dest="rtl", action="store_false")
    args = ap.parse_args()
    args.work = os.path.abspath(args.work)
    args.l0sim = os.path.abspath(args.l0sim)
    args.repo = os.path.abspath(args.repo)
    variants = [v for v in args.variants.split(",") if v]
    if not variants or any(v not in ("a", "b") for v in variants) or args.clusters < 1:
        ap.error("--variants: a, b or a,b; --clusters: at least 1")
    os.makedirs(args.work, exist_ok=True)
    rep = Report()
    t0 = time.time()
    try:
        if not os.access(args.l0sim, os.X_OK):
            raise Setup(f"{args.l0sim}: not an executable (build l0sim first: scripts/build)")
        if "--hls4ml-config" not in run([args.l0sim, "import", "--help"], check=False):
            raise Setup(f"{args.l0sim}: 'l0sim import' has no --hls4ml-config (too old a build?)")
        if args.rtl and "rtl-infer" not in run([args.l0sim, "--help"], check=False):
            raise Setup(f"{args.l0sim}: no 'l0sim rtl-infer' (too old a build?); --no-rtl skips "
                        f"the RTL")
        import_python_stack(os.path.join(args.work, "python.log"))
        ver = versions(args)
        rep.add(f"l0sim vs hls4ml cross-check, {datetime.datetime.now():%Y-%m-%d %H:%M}")
        rep.add("  " + ", ".join(f"{k} {val}" for k, val in ver.items()))
        data = os.path.join(args.work, "data.l0s")
        run([args.l0sim, "gen", "--singles", str(args.clusters), "--seed", str(args.seed),
             "-o", data], os.path.join(args.work, "gen.log"))
        rep.add(f"  data: {data}: l0sim gen --singles {args.clusters} --seed {args.seed} "
                f"(pions, log-uniform 1-500 GeV, pile-up 200), one cluster per record")
        rep.add()
        for v in variants:
            run_variant(v, args, rep, data)
    except Setup as e:
        rep.add(f"crosscheck-hls4ml: {e}")
        write_report(rep, args)
        return 2
    except Exception as e:  # hls4ml, TensorFlow, g++: the traceback goes to error.log
        import traceback
        path = os.path.join(args.work, "error.log")
        with open(path, "w") as f:
            traceback.print_exc(file=f)
        rep.add(f"crosscheck-hls4ml: {type(e).__name__}: {e} (traceback in {path}; the "
                f"variant's log.txt has hls4ml's and g++'s output)")
        write_report(rep, args)
        return 2
    verdict = "FAIL" if rep.failed else "PASS"
    rep.add(f"{verdict}: " + ("a difference that is not by design (listed above)" if rep.failed
                              else "identical bits wherever l0sim and hls4ml define the same "
                              "arithmetic") + f" ({time.time() - t0:.0f} s)")
    write_report(rep, args)
    return 1 if rep.failed else 0


def write_report(rep, args):
    path = os.path.join(args.work, "crosscheck.txt")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(rep.lines) + "\n")
    os.replace(path + ".tmp", path)
    say(f"(written to {path})")


if __name__ == "__main__":
    sys.exit(main())
