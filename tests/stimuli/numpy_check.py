"""Load l0sim's .npz and CSV exports with numpy alone and check shapes, dtypes and values.

Run by numpy_check.sh (a test only: the product needs no Python)."""
import json
import sys

import numpy as np

out, fixtures = sys.argv[1], sys.argv[2]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def same(a, b):
    """Equal as float32, NaN equal to NaN."""
    return np.array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32), equal_nan=True)


z = np.load(out + "/full.npz")
n = len(z["cluster_e"])
c = z["cells"].shape[1]
check(z["cells"].shape == (n, c, 5) and z["cells"].dtype == np.float32, "cells shape/dtype")
check(c == int(z["n_cells"].max()), "default C is the largest n_cells")
for name, dt in [("n_cells", np.int32), ("n_cells_total", np.int32), ("cluster_e", np.float32),
                 ("cluster_et", np.float32), ("cluster_eta", np.float32),
                 ("cluster_phi", np.float32), ("truth_e", np.float32), ("truth_pdg", np.int32),
                 ("event", np.int64), ("bx", np.uint16), ("orbit", np.uint32)]:
    check(z[name].shape == (n,), f"{name} shape {z[name].shape}")
    check(z[name].dtype == np.dtype(dt), f"{name} dtype {z[name].dtype}")
r = len(z["event_bx"])
check(r == 300, f"{r} records, expected 300")
check(int(z["event_n_clusters"].sum()) == n, "event_n_clusters does not sum to N")
first = np.concatenate([[0], np.cumsum(z["event_n_clusters"])[:-1]])
check(np.array_equal(z["event_first_cluster"], first), "event_first_cluster")
check(np.array_equal(z["event"], np.repeat(np.arange(r), z["event_n_clusters"])), "event index")
check(np.array_equal(z["bx"], z["event_bx"][z["event"]]), "cluster bx vs event_bx")
check(z["kind"].item() == b"stream", f"kind {z['kind']!r}")
check(json.loads(z["options"].item().decode())["seed"] == 21, "options")
check(int(z["version"]) == 1, "version")

# The fixed first record (stim_synth.c).
check(z["orbit"][0] == 7 and z["bx"][0] == 1 and z["event"][1] == 0, "record 0 crossing")
check(z["cluster_e"][0] == 12.5 and z["cluster_et"][0] == 10.25, "cluster 0 energy")
check(z["truth_e"][0] == 20.0 and z["truth_pdg"][0] == 211, "cluster 0 truth")
check(z["n_cells"][0] == 3 and z["n_cells_total"][1] == 7 and z["n_cells"][1] == 1, "n_cells")
check(same(z["cells"][0, 0], [5.0, 0.1, 0.2, 2.0, 0.05]), f"cells[0,0] {z['cells'][0, 0]}")
check(same(z["cells"][1, 0], [-1.5, -0.5, 3.0, 6.0, 0.5]), f"cells[1,0] {z['cells'][1, 0]}")
check(not z["cells"][0, 3:].any() and not z["cells"][1, 1:].any(), "padding is not zero")
pad = np.arange(c)[None, :] >= z["n_cells"][:, None]
check(not z["cells"][pad].any(), "padding after n_cells is not zero")

# CSV: the same numbers (floats printed with 9 significant digits round-trip float32).
cl = np.loadtxt(out + "/full_clusters.csv", delimiter=",", skiprows=1, ndmin=2)
check(cl.shape == (n, 12), f"clusters.csv shape {cl.shape}")
check(np.array_equal(cl[:, 0], np.arange(n)), "clusters.csv cluster index")
check(np.array_equal(cl[:, 1], z["event"]), "clusters.csv event")
check(same(cl[:, 4], z["cluster_e"]) and same(cl[:, 5], z["cluster_et"]), "clusters.csv e, et")
check(same(cl[:, 8], z["truth_e"]) and np.array_equal(cl[:, 9], z["truth_pdg"]), "csv truth")
check(np.array_equal(cl[:, 10], z["n_cells"]), "clusters.csv n_cells")
ce = np.loadtxt(out + "/full_cells.csv", delimiter=",", skiprows=1, ndmin=2)
check(ce.shape == (int(z["n_cells"].sum()), 7), f"cells.csv shape {ce.shape}")
ci, k = ce[:, 0].astype(np.int64), ce[:, 1].astype(np.int64)
check(same(ce[:, 2], z["cells"][ci, k, 0]), "cells.csv e")
check(same(ce[:, 4], z["cells"][ci, k, 2]), "cells.csv phi")
check(np.array_equal(ce[:, 5], z["cells"][ci, k, 3]), "cells.csv layer")
check(same(ce[:, 6], z["cells"][ci, k, 4]), "cells.csv sigma")
check(set(np.unique(ce[:, 5])) <= set(range(7)), "layers outside 0..6")

# --cells 2: at most 2 cells kept, the most energetic (first) ones.
z2 = np.load(out + "/c2.npz")
check(z2["cells"].shape == (n, 2, 5), f"--cells 2 shape {z2['cells'].shape}")
check(np.array_equal(z2["n_cells"], np.minimum(z["n_cells"], 2)), "--cells 2 n_cells")
check(same(z2["cells"], z["cells"][:, :2]), "--cells 2 values")
check(np.array_equal(z2["n_cells_total"], z["n_cells_total"]), "--cells 2 n_cells_total")

zs = np.load(out + "/singles.npz")
check(zs["kind"].item() == b"singles", "singles kind")

# The writer's own samples, plain and ZIP64.
for name in ("sample.npz", "sample64.npz"):
    s = np.load(fixtures + "/" + name)
    check(sorted(s.files) == ["a", "b", "e", "n", "s", "u2"], f"{name}: {sorted(s.files)}")
    check(s["a"].shape == (2, 3) and s["a"].dtype == np.float32, f"{name}: a")
    check(np.array_equal(s["a"], np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5), f"{name}: a")
    check(s["n"].tolist() == [-1, 1 << 40] and s["n"].dtype == np.int64, f"{name}: n")
    check(s["u2"].tolist() == [0, 65535] and s["u2"].dtype == np.uint16, f"{name}: u2")
    check(s["b"].tolist() == [True, False, True] and s["b"].dtype == np.bool_, f"{name}: b")
    check(s["s"].item() == b"hello", f"{name}: s")
    check(s["e"].shape == (0, 4), f"{name}: e")

if failures:
    print("FAIL: " + "\nFAIL: ".join(failures))
    sys.exit(1)
print(f"ok: numpy {np.__version__} reads the exports ({n} clusters x {c} cells, {r} records)")
