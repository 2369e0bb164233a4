#!/usr/bin/env python3
"""examples/response.py [MODEL] [N]: load a model, generate N single pions, predict with the
fixed-point golden model (bit for bit the RTL's numbers), and plot the response (calibrated /
true energy) against the true energy, next to the EM-scale sum, into response_example.png.
Without matplotlib it prints the binned medians instead."""
import os
import subprocess
import sys
import tempfile

import numpy as np

import l0sim

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "model", "default.json")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
exe = os.environ.get("L0SIM_EXE", os.path.join(top, "build", "sim", "l0sim"))

model = l0sim.Model.load(model_path)
with tempfile.TemporaryDirectory() as d:
    data = os.path.join(d, "singles.l0s")
    subprocess.run([exe, "gen", "--singles", str(n), "--seed", "11", "-q", "-o", data], check=True)
    stim = l0sim.read_stimulus(data)
idx = l0sim.infer_clusters(stim)
x, n_cells = model.features(stim, idx)
pred = model.predict(x, n_cells)
cl = stim["clusters"]
truth, e_em = cl["truth_e"][idx], cl["e"][idx]
ok = truth > 0
r_nn, r_em, t = pred.energy[ok] / truth[ok], e_em[ok] / truth[ok], truth[ok]
edges = np.geomspace(max(1.0, t.min()), t.max(), 12)
mid = np.sqrt(edges[1:] * edges[:-1])
med = lambda r: [np.median(r[(t >= a) & (t < b)]) if np.any((t >= a) & (t < b)) else np.nan
                 for a, b in zip(edges[:-1], edges[1:])]
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: the binned median responses instead")
    for e, a, b in zip(mid, med(r_nn), med(r_em)):
        print(f"  {e:8.1f} GeV   DeepSets {a:.3f}   EM scale {b:.3f}")
    sys.exit(0)
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(t, r_nn, s=2, alpha=0.3, label="DeepSets (fixed point)")
ax.scatter(t, r_em, s=2, alpha=0.3, label="EM-scale sum")
ax.plot(mid, med(r_nn), "k-o", label="DeepSets median")
ax.plot(mid, med(r_em), "k--s", label="EM-scale median")
ax.set_xscale("log")
ax.set_ylim(0, 2)
ax.set_xlabel("true energy (GeV)")
ax.set_ylabel("response (calibrated / true)")
ax.set_title(f"{model.name}: {ok.sum()} pions")
ax.legend(loc="upper right", fontsize=8)
fig.savefig("response_example.png", dpi=110, bbox_inches="tight")
print(f"wrote response_example.png ({ok.sum()} pions, {model.name})")
