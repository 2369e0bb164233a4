"""The l0sim Python package against the C tools, bit for bit, and its errors."""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import l0sim
from conftest import TOP, infer


@pytest.mark.parametrize("kind", ["singles", "stream"])
def test_predict_bit_exact_with_l0sim_infer(exe, model_path, model, data, kind):
    ref = infer(exe, model_path, data[kind], data["dir"] / f"infer_{kind}")
    stim = l0sim.read_stimulus(data[kind])
    idx = l0sim.infer_clusters(stim)
    assert idx.size == ref["fixed_raw"].size > 50
    cl = stim["clusters"]
    assert np.array_equal(cl["record"][idx], ref["event"].astype(np.int64))
    assert np.array_equal(cl["index"][idx], ref["cluster"])
    x, n = model.features(stim, idx)
    assert np.array_equal(n, ref["n_cells"].astype(np.int32))
    p = model.predict(x, n)
    assert p.raw.dtype == np.int64
    assert np.array_equal(p.raw, ref["fixed_raw"]), "fixed raws differ from l0sim infer"
    assert np.array_equal(p.energy, ref["pred_fixed"])  # bit for bit, float64
    f = model.predict_float(x, n) * model.target_scale
    assert np.array_equal(f, ref["pred_float"])
    # the values are the raws' values in the output type
    v = l0sim.fx(p.type, p.value)
    assert np.array_equal(v.raw, p.raw) and not v.overflow.any()


def test_predict_padding_rows_ignored_and_cells_max(model, data):
    stim = l0sim.read_stimulus(data["singles"])
    x, n = model.features(stim)
    p = model.predict(x, n)
    # garbage beyond n_cells changes nothing; a wider array changes nothing
    y = x.copy()
    for k in range(len(n)):
        y[k, n[k]:, :] = 1e3
    wide = np.concatenate([y, np.full((len(n), 7, x.shape[2]), -5.0)], axis=1)
    assert np.array_equal(model.predict(wide, n).raw, p.raw)
    assert np.array_equal(model.predict_float(wide, n), model.predict_float(x, n))


def test_trace_matches_predict_and_infer_trace(exe, model_path, model, data):
    stim = l0sim.read_stimulus(data["singles"])
    x, n = model.features(stim)
    p, f = model.predict(x, n), model.predict_float(x, n)
    k = int(np.argmax(n))
    t = model.trace(x[k], int(n[k]))
    names = list(t)
    assert names[0] == "input" and names[-1] == f"rho{model.n_rho - 1}" and "ksum" in names
    assert t["input"].raw.shape == (n[k], model.n_features)
    assert t[names[-1]].raw[0, 0] == p.raw[k] and t[names[-1]].float[0, 0] == f[k]
    # against `l0sim infer --trace`: every raw of every tensor
    out = subprocess.run([exe, "infer", "--model", model_path, "--data", str(data["singles"]),
                          "-o", str(data["dir"] / "tr"), "--trace", str(k)], check=True,
                         capture_output=True, text=True).stdout
    blocks = re.split(r"\n(?=\w+: \d+ x \d+, )", out)
    seen = 0
    for b in blocks:
        m = re.match(r"(\w+): (\d+) x (\d+), ", b)
        if not m or m.group(1) not in t:
            continue
        rows = [ln.split() for ln in b.splitlines()[2:] if ln.strip() and ln.split()[0].lstrip("-").isdigit()]
        raws = np.array([int(r[-1]) for r in rows])
        assert np.array_equal(raws, t[m.group(1)].raw.reshape(-1)), m.group(1)
        seen += 1
    assert seen == len(t)


def test_fx_matches_l0sim_fx(exe):
    typ = "ap_fixed<16,6,AP_RND,AP_SAT>"
    vals = [-18.375, 1.3, 100.0, -0.0009765625 / 2, 31.999]
    r = l0sim.fx(typ, vals)
    for v, raw, ovf in zip(vals, r.raw, r.overflow):
        j = json.loads(subprocess.run([exe, "fx", "--json", typ, repr(v)], check=True,
                                      capture_output=True, text=True).stdout)
        assert j["raw"] == raw and j["overflow"] == bool(ovf)
    assert l0sim.fx_type("ap_ufixed<8,0>")["lsb"] == 2.0 ** -8
    with pytest.raises(l0sim.L0simError, match="not a finite number"):
        l0sim.fx(typ, [1.0, float("nan")])
    with pytest.raises(l0sim.L0simError):
        l0sim.fx("ap_fixed<0,6>", [1.0])
    with pytest.raises(TypeError, match="type"):
        l0sim.fx(16, [1.0])


def test_read_stimulus_columns(data):
    s = l0sim.read_stimulus(data["stream"])
    assert s["kind"] == "stream" and s["records"]["bx"].size == 40
    assert np.array_equal(s["records"]["bx"], np.arange(40))
    cl = s["clusters"]
    assert cl["n_cells"].sum() == s["cells"]["e"].size
    assert np.all(np.diff(cl["first_cell"]) == cl["n_cells"][:-1])
    assert int(s["options"]["seed"]) == 12
    assert l0sim.read_stimulus(data["stream"], max_records=3)["records"]["bx"].size == 3


def test_generate_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.l0s", tmp_path / "b.l0s"
    l0sim.generate(a, singles=20, seed=3, threads=1)
    l0sim.generate(b, singles=20, seed=3, threads=2)
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(l0sim.L0simError, match=r"l0sim gen: mu -1"):
        l0sim.generate(tmp_path / "c.l0s", singles=5, mu=-1)
    assert not (tmp_path / "c.l0s").exists()


def test_bad_files_raise_with_the_c_message(tmp_path, data):
    with pytest.raises(l0sim.L0simError, match="nope.json"):
        l0sim.Model.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    j = json.loads((TOP / "model" / "default.json").read_text())
    j["phi"][1]["precision"]["result"] = "ap_fixed<99,6>"
    bad.write_text(json.dumps(j))
    with pytest.raises(l0sim.L0simError, match=r"phi\[1\]"):
        l0sim.Model.load(bad)
    raw = data["singles"].read_bytes()
    cut = tmp_path / "cut.l0s"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(l0sim.L0simError, match="cut.l0s"):
        l0sim.read_stimulus(cut)
    with pytest.raises(l0sim.L0simError, match="nothing.l0s"):
        l0sim.read_stimulus(tmp_path / "nothing.l0s")


def test_wrong_arguments_name_the_argument(model):
    x = np.zeros((3, 4, model.n_features))
    n = np.array([1, 2, 3])
    model.predict(x, n)
    with pytest.raises(TypeError, match="cells.*float64"):
        model.predict(x.astype(np.float32), n)
    with pytest.raises(TypeError, match="cells.*ndarray"):
        model.predict(x.tolist(), n)
    with pytest.raises(ValueError, match="cells.*3 dimensions"):
        model.predict(x[0], n)
    with pytest.raises(ValueError, match="cells.*features"):
        model.predict(np.zeros((3, 4, model.n_features + 1)), n)
    with pytest.raises(TypeError, match="n_cells.*integer"):
        model.predict(x, n.astype(float))
    with pytest.raises(ValueError, match="n_cells.*2 entries"):
        model.predict(x, n[:2])
    with pytest.raises(ValueError, match=r"n_cells\[2\] = 5"):
        model.predict(x, np.array([1, 2, 5]))
    with pytest.raises(TypeError, match="n_cells"):
        model.trace(x[0], 1.5)


def test_run_report_and_junit(exe, data, tmp_path):
    rep = l0sim.run(data["stream"], tmp_path / "ok", exe=exe, no_plots=True,
                    junit=tmp_path / "ok.xml")
    assert rep["passed"] and rep["verdict"] == "PASS" and rep["exit_status"] == 0
    rep = l0sim.run(data["stream"], exe=exe, no_plots=True, budget_cluster_ns=100,
                    junit=tmp_path / "tight.xml")
    assert not rep["passed"] and rep["verdict"] == "FAIL" and rep["exit_status"] == 1
    root = ET.parse(tmp_path / "tight.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == ["golden_model_mismatches", "dropped_clusters", "late_clusters",
                           "late_events", "truncation"]
    fail = cases["late_clusters"].find("failure")
    assert fail is not None and "--budget-cluster-ns 100.0" in fail.get("message")
    assert re.search(r"^\d+ clusters over", fail.get("message"))
    assert all(cases[k].find("failure") is None for k in cases if k != "late_clusters")
    ok = ET.parse(tmp_path / "ok.xml").getroot()
    assert ok.get("failures") == "0"
    with pytest.raises(l0sim.L0simError, match="--nodes"):
        l0sim.run(data["stream"], exe=exe, nodes=0)


def _py(code, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e)


def test_import_errors():
    r = _py("import l0sim", L0SIM_LIBRARY="/nonexistent/libl0sim.so")
    assert r.returncode != 0 and "ImportError" in r.stderr and "L0SIM_LIBRARY" in r.stderr
    r = _py("import l0sim", L0SIM_LIBRARY="/lib/x86_64-linux-gnu/libz.so.1")
    assert "ImportError" in r.stderr and "not an l0sim library" in r.stderr
    r = _py("import l0sim._capi as c; c.load('9.9.9')")
    assert "ImportError" in r.stderr and "version mismatch" in r.stderr


def test_cdef_declares_the_whole_c_api():
    from l0sim import _capi
    hdr = (TOP / "capi" / "l0sim_capi.h").read_text()
    names = set(re.findall(r"\b(l0sim_\w+)\(", hdr))
    missing = {n for n in names if n + "(" not in _capi.CDEF}
    assert not missing, f"declared in the header, not in the cdef: {missing}"
    abi = int(re.search(r"#define L0SIM_CAPI_ABI (\d+)", hdr).group(1))
    assert abi == _capi.ABI


def test_version_matches_the_project():
    cm = (TOP / "CMakeLists.txt").read_text()
    v = re.search(r"project\(l0sim VERSION ([0-9.]+)", cm).group(1)
    assert l0sim.__version__ == v
    assert re.search(rf'version = "{re.escape(v)}"', (TOP / "python" / "pyproject.toml").read_text())
