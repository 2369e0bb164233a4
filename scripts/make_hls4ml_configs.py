"""Write the hls4ml-configuration fixtures of tests/import/fixtures with real hls4ml.

Run in the hls4ml environment (tf.keras 2.14 + hls4ml 1.0.0; scripts/make-qkeras-fixtures
creates it in /tmp/l0sim-hls4ml-venv):

    /tmp/l0sim-hls4ml-venv/bin/python scripts/make_hls4ml_configs.py [OUTDIR]

The model is the twin of tests/import/fixtures/deepsets_seq.keras, with the same layer names:
input 'cells' (16, 4); 'phi0' Dense(8, relu) per cell; 'phi1' Dense(8) + ReLU layer 'phi1_relu';
'ksum' (a KSum layer); 'rho0' Dense(8, relu); 'rho1' Dense(4) + Activation('relu') 'rho1_relu';
'out' Dense(1). One difference: deepsets_seq's phi0 is TimeDistributed(Dense), which hls4ml
1.0.0 cannot convert (it has no TimeDistributed handler), so here phi0 is a Dense on the 3-D
tensor: the same per-cell layer under the same name, which is what an hls4ml user writes.
hls4ml knows no KSum either: the script teaches it one through hls4ml's extension API (a Keras
layer handler and an hls4ml layer class named KSum, so that LayerType 'KSum' reaches it).

Files (OUTDIR, default tests/import/fixtures):
  hls4ml_model.json, hls4ml_model.yml   config_from_keras_model(granularity='model')
  hls4ml_type.json, hls4ml_type.yml     granularity='type'
  hls4ml_name.json, hls4ml_name.yml     granularity='name'
  hls4ml_name_vitis.json                granularity='name', backend='Vitis' (accum 'auto' keys,
                                        activation tables)
  hls4ml_name_edited.yml                the 'name' configuration with the edits of
                                        edit_name() below (non-default precisions)
  hls4ml_type_edited.json               the 'type' configuration with the edits of edit_type()
  hls4ml_precedence.json                the 'model' configuration with the entries of
                                        edit_precedence() (which section wins)
  hls4ml_qkeras_model.yml, hls4ml_qkeras_name.yml
                                        granularity 'model' and 'name' (Vivado backend) for the
                                        QKeras fixture qkeras_deepsets.h5 (OUTDIR; made by
                                        scripts/make-qkeras-fixtures)
  hls4ml_qkeras_name_edited.yml         that 'name' configuration with the input layer given
                                        the input quantizer's type (edit_qkeras_name())
  <each config without extension>_types.csv
                                        what hls4ml 1.0.0 made of it: the model converted with
                                        convert_from_keras_model (Vivado backend, or Vitis for
                                        the Vitis configuration; io_parallel), every node's
                                        types after hls4ml's optimizer passes:
                                        node,class,type,precision
The configurations are written as config_from_keras_model returns them (JSON with json.dump,
YAML with yaml.safe_dump), except the two edited ones.
"""
import copy
import csv
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import yaml  # noqa: E402
import hls4ml  # noqa: E402
from hls4ml.converters.keras_to_hls import parse_default_keras_layer  # noqa: E402

keras = tf.keras


class KSum(keras.layers.Layer):
    """The reference study's sum over the cells (axis 1): (batch, cells, n) -> (batch, n)."""

    def call(self, x):
        return tf.reduce_sum(x, axis=1)

    def compute_output_shape(self, s):
        return (s[0], s[2])


def register_ksum():
    """hls4ml's extension API: a handler for the Keras layer and an hls4ml layer class. Only
    the conversion to hls4ml's graph is needed here (no templates: nothing is compiled)."""

    class KSum(hls4ml.model.layers.Layer):  # noqa: F811 (hls4ml's node, named as the layer)
        def initialize(self):
            inp = self.get_input_variable()
            self.add_output_variable([inp.shape[-1]], [inp.dim_names[-1]])

    def parse_ksum(keras_layer, input_names, input_shapes, data_reader):
        layer = parse_default_keras_layer(keras_layer, input_names)
        return layer, [input_shapes[0][0], input_shapes[0][2]]

    hls4ml.model.layers.register_layer("KSum", KSum)
    hls4ml.converters.register_keras_layer_handler("KSum", parse_ksum)


def build():
    keras.utils.set_random_seed(7)
    L = keras.layers
    m = keras.Sequential([
        keras.Input((16, 4), name="cells"),
        L.Dense(8, activation="relu", name="phi0"),
        L.Dense(8, name="phi1"),
        L.ReLU(name="phi1_relu"),
        KSum(name="ksum"),
        L.Dense(8, activation="relu", name="rho0"),
        L.Dense(4, name="rho1"),
        L.Activation("relu", name="rho1_relu"),
        L.Dense(1, name="out"),
    ], name="deepsets_seq")
    rng = np.random.default_rng(1)
    for layer in m.layers:
        layer.set_weights([rng.normal(0.0, 0.3, w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    return m


def edit_name(cfg):
    """Non-default precisions on the 'name' configuration, each exercising one rule of l0sim's
    mapping (docs/import.md, 'Precisions from an hls4ml configuration')."""
    ln = cfg["LayerName"]
    # the maximum clamps hls4ml's 'auto' types (rho1's accumulator and result: 36,16 -> 32,14)
    cfg["Model"]["Precision"]["maximum"] = "fixed<32,14>"
    ln["rho1"]["Precision"]["accum"] = "auto"
    ln["cells"]["Precision"]["result"] = "fixed<14,5,RND,SAT>"
    # phi0: explicit weight and bias, auto accumulator and result; the ReLU's result is
    # unsigned and saturating: the one cast after the Dense then equals hls4ml's two
    ln["phi0"]["Precision"].update(weight="fixed<12,3>", bias="fixed<10,4>", accum="auto")
    ln["phi0_relu"]["Precision"]["result"] = "ufixed<10,5,RND,SAT>"
    # phi1: an explicit result; hls4ml then keeps phi1_linear ('auto': the model default
    # fixed<16,6>) as a cast, which holds every fixed<12,4> exactly, and so does the ReLU's
    ln["phi1"]["Precision"]["result"] = "fixed<12,4>"
    ln["ksum"]["Precision"]["result"] = "fixed<18,8,RND,SAT>"
    # rho0: a Precision dict with 'default' (accum, result, bias) and a weight; its ReLU equal
    ln["rho0"]["Precision"] = {"default": "fixed<20,8>", "weight": "fixed<10,2,RND_CONV,SAT>"}
    ln["rho0_relu"]["Precision"]["result"] = "fixed<20,8>"
    # out: explicit accumulator and result, and its linear activation the same type (so hls4ml
    # removes it: otherwise it would cast to the default fixed<16,6> after the result)
    ln["out"]["Precision"].update(accum="fixed<24,10>", result="fixed<20,8,RND,SAT>")
    ln["out_linear"]["Precision"]["result"] = "fixed<20,8,RND,SAT>"
    return cfg


def edit_type(cfg):
    """Non-default precisions on the 'type' configuration. hls4ml matches LayerType against its
    own class names: a Dense on the cells becomes a PointwiseConv1D (the phi layers), the input
    layer is an Input (so the 'InputLayer' entry config_from_keras_model writes does nothing)."""
    lt = cfg["LayerType"]
    lt["InputLayer"]["Precision"]["result"] = "fixed<9,3>"  # not used by hls4ml
    lt["Input"] = {"Precision": {"result": "fixed<12,4,RND,SAT>"}}
    lt["PointwiseConv1D"] = {"Precision": "fixed<14,6>"}  # every phi tensor
    lt["Dense"]["Precision"]["weight"] = "fixed<12,4>"  # rho0, rho1, out
    lt["Dense"]["Precision"]["accum"] = "auto"
    lt["Activation"]["Precision"]["result"] = "fixed<16,6,RND,SAT>"
    lt["KSum"]["Precision"]["result"] = "fixed<18,8>"
    return cfg


def edit_precedence(cfg):
    """hls4ml's precedence, on the 'model' configuration: LayerName[var], LayerName default,
    LayerType[var], LayerType default, Model[var], Model default; names in any case."""
    cfg["Model"]["Precision"]["weight"] = "fixed<15,5>"  # phi0, phi1 weights
    cfg["LayerType"] = {
        "Dense": {"Precision": {"default": "fixed<14,4>", "weight": "fixed<13,3>"}},
    }
    cfg["LayerName"] = {
        "RHO0": {"Precision": {"default": "fixed<12,2>"}},  # beats LayerType.Dense.weight
        "rho1": {"Precision": {"weight": "fixed<11,1>"}},
    }
    return cfg


def edit_qkeras_name(cfg):
    """hls4ml casts the network input to the input layer's type ('auto': fixed<16,6>) and then
    to the quantizer's (QActivation 'in_q'): two roundings that l0sim, which casts once, cannot
    make. Giving the input layer the quantizer's type makes the second cast the identity."""
    ln = cfg["LayerName"]
    ln["cells"]["Precision"]["result"] = ln["in_q"]["Precision"]["result"]
    return cfg


def hls4ml_types(model, cfg, backend, path):
    """Convert with hls4ml and write every node's types."""
    with tempfile.TemporaryDirectory() as d:
        hm = hls4ml.converters.convert_from_keras_model(
            model, hls_config=copy.deepcopy(cfg), backend=backend, io_type="io_parallel",
            output_dir=os.path.join(d, "prj"))
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["node", "class", "type", "precision"])
        for name, node in hm.graph.items():
            for tname, t in node.types.items():
                if tname == "index_t":
                    continue
                w.writerow([name, node.class_name, tname[:-2], str(t.precision)])


def main(outdir):
    register_ksum()
    m = build()
    cfgs = {}
    for g in ("model", "type", "name"):
        cfgs[g] = hls4ml.utils.config_from_keras_model(m, granularity=g)
    vitis = hls4ml.utils.config_from_keras_model(m, granularity="name", backend="Vitis")
    written = []

    def save(stem, cfg, fmt, backend="Vivado", model=m):
        p = os.path.join(outdir, f"{stem}.{fmt}")
        with open(p, "w") as f:
            if fmt == "json":
                json.dump(cfg, f, indent=2)
                f.write("\n")
            else:
                yaml.safe_dump(cfg, f, sort_keys=False)
        hls4ml_types(model, cfg, backend, os.path.join(outdir, f"{stem}_types.csv"))
        written.append(p)

    for g, cfg in cfgs.items():
        save(f"hls4ml_{g}", cfg, "json")
        p = os.path.join(outdir, f"hls4ml_{g}.yml")
        with open(p, "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        written.append(p)
    save("hls4ml_name_vitis", vitis, "json", "Vitis")
    save("hls4ml_name_edited", edit_name(copy.deepcopy(cfgs["name"])), "yml")
    save("hls4ml_type_edited", edit_type(copy.deepcopy(cfgs["type"])), "json")
    save("hls4ml_precedence", edit_precedence(copy.deepcopy(cfgs["model"])), "json")

    # The QKeras fixture (a legacy .h5 file: QDense, QActivation, KSum).
    from qkeras.utils import _add_supported_quantized_objects
    custom = {"KSum": KSum}
    _add_supported_quantized_objects(custom)
    qm = keras.models.load_model(os.path.join(outdir, "qkeras_deepsets.h5"),
                                 custom_objects=custom, compile=False)
    qname = hls4ml.utils.config_from_keras_model(qm, granularity="name", backend="Vivado")
    save("hls4ml_qkeras_model",
         hls4ml.utils.config_from_keras_model(qm, granularity="model", backend="Vivado"), "yml",
         model=qm)
    save("hls4ml_qkeras_name", qname, "yml", model=qm)
    save("hls4ml_qkeras_name_edited", edit_qkeras_name(copy.deepcopy(qname)), "yml", model=qm)
    for p in written:
        print("wrote", p)
    print(f"hls4ml {hls4ml.__version__}, tensorflow {tf.__version__}, numpy {np.__version__}, "
          f"pyyaml {yaml.__version__}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/import/fixtures")
