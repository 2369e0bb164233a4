"""Write the legacy-HDF5 and QKeras fixtures of tests/import/fixtures (run by
scripts/make-qkeras-fixtures, with TensorFlow 2.14 / tf.keras 2.14 and QKeras 0.9.0).

The models are DeepSets as users build them with tf.keras (Keras 2) and QKeras, saved with
model.save("NAME.h5") (the legacy HDF5 format hls4ml reads): per-cell Dense layers (phi), a
custom KSum layer summing over the cell axis, Dense layers on the sum (rho) and a Dense(1).
Weights come from fixed seeds; the inputs are raw cells turned into features with l0sim's
preprocessing (scripts/make_keras_fixtures.py has the same functions). Files per fixture NAME:
  NAME.h5              the model
  NAME_cells.csv       cluster,cell,e,deta,dphi,layer  (raw cells; cluster eta = phi = 0)
  NAME_inputs.csv      cluster,cell,f0,...             (the float32 features Keras saw)
  NAME_pred.csv        cluster,n_cells,prediction      (Keras's output: for a QKeras model, the
                                                        quantized network's)
  NAME_float_pred.csv  (QKeras models only) the predictions of the same network in float: plain
                       Dense layers with the quantized weights, no activation quantizers
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from qkeras import QActivation, QDense, quantized_bits, quantized_relu  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_keras_fixtures import features, fmt, random_cells  # noqa: E402

L = keras.layers


class KSum(L.Layer):
    """The reference study's sum over the cells (axis 1)."""

    def call(self, x):
        return tf.reduce_sum(x, axis=1)


def set_weights(model, rng, scale=1.0):
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        for w in ws:
            if w.ndim == 2:
                new.append(rng.normal(0.0, scale * np.sqrt(2.0 / w.shape[0]), w.shape))
            else:
                new.append(rng.normal(0.0, 0.1, w.shape))
        layer.set_weights([v.astype(np.float32) for v in new])


def write(outdir, name, model, clusters, kinds, float_twin=None):
    model.save(os.path.join(outdir, name + ".h5"))
    feats = np.stack([features(c, kinds).astype(np.float32) for c in clusters])
    preds = np.asarray(model.predict(feats, verbose=0))[:, 0]
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

    def save_pred(suffix, p):
        with open(os.path.join(outdir, name + suffix), "w") as f:
            f.write("cluster,n_cells,prediction\n")
            for i, (c, v) in enumerate(zip(clusters, p)):
                f.write(f"{i},{len(c)},{fmt(np.float32(v))}\n")

    save_pred("_pred.csv", preds)
    msg = f"{name}: {len(clusters)} clusters, predictions {min(preds):.4g}..{max(preds):.4g}"
    if float_twin is not None:
        fp = np.asarray(float_twin.predict(feats, verbose=0))[:, 0]
        save_pred("_float_pred.csv", fp)
        msg += f"; float twin {min(fp):.4g}..{max(fp):.4g}"
    print(msg)


def main(outdir):
    tf.keras.utils.set_random_seed(11)
    rng = np.random.default_rng(20241124)
    kinds = ["energy:log", "deta", "dphi", "layer"]

    # 1. Legacy HDF5, float: Sequential with TimeDistributed(Dense), a ReLU layer, Dropout and an
    # Activation layer.
    m = keras.Sequential([
        keras.Input((16, 4), name="cells"),
        L.TimeDistributed(L.Dense(8, activation="relu"), name="phi0"),
        L.Dense(8, name="phi1"),
        L.ReLU(name="phi1_relu"),
        KSum(name="ksum"),
        L.Dense(8, activation="relu", name="rho0"),
        L.Dropout(0.1, name="drop"),
        L.Dense(4, name="rho1"),
        L.Activation("relu", name="rho1_relu"),
        L.Dense(1, name="out"),
    ], name="keras2_seq")
    set_weights(m, rng)
    write(outdir, "keras2_seq", m, [random_cells(rng, 16) for _ in range(24)], kinds)

    # 2. QKeras, Functional: the input quantized, QDense + QActivation(quantized_relu), QDense
    # with a quantized_relu activation, KSum, a quantized rho layer and a QDense(1) output.
    q8 = dict(kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1))
    x = inp = keras.Input((16, 4), name="cells")
    x = QActivation(quantized_bits(12, 4, alpha=1), name="in_q")(x)
    x = QDense(8, name="phi0", **q8)(x)
    x = QActivation(quantized_relu(10, 4), name="phi0_act")(x)
    x = QDense(8, activation=quantized_relu(10, 4), name="phi1", **q8)(x)
    x = KSum(name="ksum")(x)
    x = QDense(8, activation=quantized_relu(12, 6), name="rho0", **q8)(x)
    out = QDense(1, name="out", kernel_quantizer=quantized_bits(10, 0, alpha=1),
                 bias_quantizer=quantized_bits(10, 2, alpha=1))(x)
    qm = keras.Model(inp, out, name="qkeras_deepsets")
    set_weights(qm, rng, scale=0.5)
    # The float twin: the same layers in plain Keras with the quantized weights.
    y = tinp = keras.Input((16, 4), name="cells")
    y = L.Dense(8, activation="relu", name="phi0")(y)
    y = L.Dense(8, activation="relu", name="phi1")(y)
    y = KSum(name="ksum")(y)
    y = L.Dense(8, activation="relu", name="rho0")(y)
    y = L.Dense(1, name="out")(y)
    twin = keras.Model(tinp, y)
    for name in ("phi0", "phi1", "rho0", "out"):
        ql = qm.get_layer(name)
        kq = ql.kernel_quantizer_internal(ql.kernel).numpy()
        bq = ql.bias_quantizer_internal(ql.bias).numpy()
        twin.get_layer(name).set_weights([kq, bq])
    write(outdir, "qkeras_deepsets", qm, [random_cells(rng, 16) for _ in range(32)], kinds, twin)

    # 3. Unmappable QKeras: a scaled quantizer (alpha='auto_po2') must be refused, naming the layer.
    x = inp = keras.Input((8, 4))
    x = QDense(4, kernel_quantizer=quantized_bits(8, 0, alpha="auto_po2"), name="phi_po2")(x)
    x = KSum(name="ksum")(x)
    x = QDense(1, name="out")(x)
    keras.Model(inp, x).save(os.path.join(outdir, "unmappable_po2.h5"))
    print("unmappable_po2: saved")
    import qkeras
    print(f"tensorflow {tf.__version__}, qkeras {qkeras.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/import/fixtures")
