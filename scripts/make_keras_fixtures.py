"""Write the Keras fixtures of tests/import/fixtures (run by scripts/make-keras-fixtures).

Every model is a DeepSets as users of l0sim build it in Keras 3: per-cell Dense+ReLU layers (phi),
a custom KSum layer that sums over the cell axis, Dense+ReLU layers (rho, the F network) and a
Dense(1) output. Weights come from fixed seeds; the inputs are raw cells (energy, deta, dphi,
layer) turned into features with l0sim's preprocessing (docs/model-format.md), so the C test can
feed the same cells to l0sim as clusters. Keras's own predictions are saved next to them.

Files per fixture NAME:
  NAME.keras           the model (Keras 3 archive)
  NAME_cells.csv       cluster,cell,e,deta,dphi,layer  (raw cells; cluster eta = phi = 0)
  NAME_inputs.csv      cluster,cell,f0,...             (the float32 features Keras saw)
  NAME_pred.csv        cluster,n_cells,prediction      (Keras's output, float32 printed exactly)
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402
import keras  # noqa: E402


@keras.saving.register_keras_serializable(package="l0sim")
class KSum(keras.layers.Layer):
    """The reference study's sum over the cells (axis 1): (batch, cells, n) -> (batch, n)."""

    def call(self, x):
        return keras.ops.sum(x, axis=1)

    def compute_output_shape(self, s):
        return (s[0], s[2])


def features(cells, kinds):
    """l0sim's preprocessing, in float64 (model/l0_model.c l0_model_features)."""
    e, deta, dphi, layer = (cells[..., k].astype(np.float64) for k in range(4))
    out = []
    for k in kinds:
        if k == "energy:log":
            out.append(np.log(np.maximum(e, 1e-3)))
        elif k == "energy:linear":
            out.append(e * 0.05)
        elif k == "deta":
            out.append(deta * 10.0)
        elif k == "dphi":
            out.append(dphi * 10.0)
        elif k == "layer":
            out.append((layer - 3.0) * 0.5)
    return np.stack(out, axis=-1)


def random_cells(rng, n):
    """n raw cells as float32: energies log-normal around 1 GeV (a few negative, as noise
    makes them), deta and dphi within 0.15, layers 0..6."""
    e = np.exp(rng.normal(0.0, 1.5, n))
    e[rng.random(n) < 0.1] *= -0.05
    c = np.stack([e, rng.uniform(-0.15, 0.15, n), rng.uniform(-0.15, 0.15, n),
                  rng.integers(0, 7, n)], axis=-1)
    return c.astype(np.float32)


def set_weights(model, rng):
    """Deterministic weights: He-normal kernels, small random biases, the output's bias 1."""
    dense = [w for w in model.weights]
    vals = []
    for w in dense:
        shape = tuple(w.shape)
        if len(shape) == 2:
            vals.append(rng.normal(0.0, np.sqrt(2.0 / shape[0]), shape))
        else:
            vals.append(rng.normal(0.0, 0.1, shape))
    vals[-1] = np.ones_like(vals[-1])
    for w, v in zip(dense, vals):
        w.assign(v.astype(np.float32))


def fmt(x):
    return repr(float(x))


def write(outdir, name, model, clusters, kinds):
    """clusters: list of (n_cells, 4) float32 raw-cell arrays. Predicts each cluster alone (with
    its own cell count) unless the model's cell axis is fixed, then all together."""
    model.save(os.path.join(outdir, name + ".keras"))
    feats = [features(c, kinds).astype(np.float32) for c in clusters]
    fixed = model.inputs[0].shape[1]
    if fixed is not None:
        preds = np.asarray(model.predict(np.stack(feats), verbose=0))[:, 0]
    else:
        preds = [np.asarray(model.predict(f[None], verbose=0))[0, 0] for f in feats]
    with open(os.path.join(outdir, name + "_cells.csv"), "w") as f:
        f.write("cluster,cell,e,deta,dphi,layer\n")
        for i, c in enumerate(clusters):
            for k, r in enumerate(c):
                f.write(f"{i},{k},{fmt(r[0])},{fmt(r[1])},{fmt(r[2])},{int(r[3])}\n")
    with open(os.path.join(outdir, name + "_inputs.csv"), "w") as f:
        f.write("cluster,cell," + ",".join(f"f{j}" for j in range(len(kinds))) + "\n")
        for i, x in enumerate(feats):
            for k, r in enumerate(x):
                f.write(f"{i},{k}," + ",".join(fmt(v) for v in r) + "\n")
    with open(os.path.join(outdir, name + "_pred.csv"), "w") as f:
        f.write("cluster,n_cells,prediction\n")
        for i, (c, p) in enumerate(zip(clusters, preds)):
            f.write(f"{i},{len(c)},{fmt(np.float32(p))}\n")
    print(f"{name}: {len(clusters)} clusters, features {','.join(kinds)}, "
          f"predictions {min(preds):.4g}..{max(preds):.4g}")


def main(outdir):
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(20240607)
    L = keras.layers

    # 1. Sequential, fixed cell axis (16 cells x 4 features), phi as TimeDistributed(Dense) and a
    # per-cell Dense followed by a ReLU layer, rho with an Activation layer.
    kinds = ["energy:log", "deta", "dphi", "layer"]
    m = keras.Sequential([
        keras.Input((16, 4), name="cells"),
        L.TimeDistributed(L.Dense(8, activation="relu"), name="phi0"),
        L.Dense(8, name="phi1"),
        L.ReLU(name="phi1_relu"),
        KSum(name="ksum"),
        L.Dense(8, activation="relu", name="rho0"),
        L.Dense(4, name="rho1"),
        L.Activation("relu", name="rho1_relu"),
        L.Dense(1, name="out"),
    ], name="deepsets_seq")
    set_weights(m, rng)
    write(outdir, "deepsets_seq", m, [random_cells(rng, 16) for _ in range(24)], kinds)

    # 2. Functional, variable cell axis (None x 5 features), plain Dense on the 3-D tensor
    # (Keras applies it to the last axis: per cell); clusters of 1 to 20 cells.
    kinds = ["energy:log", "energy:linear", "deta", "dphi", "layer"]
    x = inp = keras.Input((None, 5), name="cells")
    for k, n in enumerate((12, 12)):
        x = L.Dense(n, activation="relu", name=f"phi{k}")(x)
    x = KSum(name="ksum")(x)
    x = L.Dense(6, activation="relu", name="rho0")(x)
    out = L.Dense(1, name="out")(x)
    m = keras.Model(inp, out, name="deepsets_func")
    set_weights(m, rng)
    sizes = [1, 2, 3, 5, 8, 13, 20, 4, 7, 11, 16, 6]
    write(outdir, "deepsets_func", m, [random_cells(rng, n) for n in sizes], kinds)

    # 3. Unmappable: a tanh in phi (the importer must refuse it, naming the layer).
    m = keras.Sequential([
        keras.Input((8, 4)),
        L.Dense(4, activation="tanh", name="phi_tanh"),
        KSum(name="ksum"),
        L.Dense(1, name="out"),
    ], name="deepsets_tanh")
    m.save(os.path.join(outdir, "unmappable_tanh.keras"))
    print("unmappable_tanh: saved")

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, numpy {np.__version__}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/import/fixtures")
