#!/usr/bin/env python3
"""bench_python.py [MODEL] [N]: the Python package's predict() against the C `l0sim infer` on
the same N single-pion clusters (generated with seed 5): clusters per second of each, the ratio,
and a bit-for-bit check of the outputs. Needs the package (scripts/python-env) and an l0sim
executable (L0SIM_EXE, default build/sim/l0sim). Prints figures; not a test."""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import l0sim

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "model", "default.json")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
exe = os.environ.get("L0SIM_EXE", os.path.join(top, "build", "sim", "l0sim"))
with tempfile.TemporaryDirectory() as d:
    data = os.path.join(d, "singles.l0s")
    subprocess.run([exe, "gen", "--singles", str(n), "--seed", "5", "-q", "-o", data], check=True)
    t0 = time.perf_counter()
    subprocess.run([exe, "infer", "--model", model, "--data", data, "-o",
                    os.path.join(d, "inf"), "-q"], check=True)
    t_c = time.perf_counter() - t0
    m = l0sim.Model.load(model)
    stim = l0sim.read_stimulus(data)
    x, nc = m.features(stim)
    t0 = time.perf_counter()
    p = m.predict(x, nc)
    t_py = time.perf_counter() - t0
    ref = np.load(os.path.join(d, "inf.npz"))
    same = np.array_equal(p.raw, ref["fixed_raw"])
    k = len(nc)
    print(f"bench_python: {model}, {k} clusters ({int(nc.sum())} cells)")
    print(f"  l0sim infer (C, whole command: read, float and fixed, write): {k / t_c:10.0f} clusters/s")
    print(f"  Model.predict (fixed point, numpy in and out):             {k / t_py:10.0f} clusters/s")
    print(f"  predict time / infer time: {t_py / t_c:.2f} (target <= 1.5)")
    print(f"  outputs bit for bit equal to l0sim infer's: {same}")
