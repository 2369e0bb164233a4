#!/usr/bin/env python3
"""crosscheck_da4ml.py CMVM_CORE MODEL OUTDIR [LAYERS]: the constant matrix-vector product of
model layers built by l0sim's cmvm generator (bench/cmvm_core) and by da4ml (PyPI) from the
same quantized weights and the same input range, both combinational, both synthesised with
Yosys synth_xilinx -family xcup -flatten; prints LUT, CARRY, and the LUT ratio ours / da4ml,
writes OUTDIR/crosscheck_da4ml.csv and .json (atomically). Exit 0 when every ratio <= 1.1,
1 otherwise, 2 on bad input, 77 when da4ml cannot be imported."""
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArrayInput, comb_trace
except ImportError as e:  # the optional layer: skip, do not fail
    print(f"SKIPPED: da4ml is not importable ({e}); scripts/crosscheck-da4ml installs it")
    sys.exit(77)

TYPE = re.compile(r"ap_(u?)fixed<(\d+),(-?\d+)")


def kif(t, after_relu):
    """da4ml's (keep_negative, integer bits, fraction bits) of an ap_fixed type string."""
    m = TYPE.match(t)
    if not m:
        raise ValueError(f"type '{t}' is not ap_fixed/ap_ufixed")
    uns, w, i = m.group(1) == "u", int(m.group(2)), int(m.group(3))
    if uns:
        return 0, i, w - i
    return (0 if after_relu else 1), i - 1, w - i


def yosys_luts(files, top, log):
    ys = log + ".ys"
    stat = log + ".stat"
    with open(ys, "w") as f:
        f.write(f"read_verilog {' '.join(files)}\nsynth_xilinx -family xcup -top {top} -flatten\n"
                f"tee -o {stat} stat\n")
    subprocess.run(["yosys", "-q", "-l", log, ys], check=True, stdout=subprocess.DEVNULL)
    lut = carry = ff = dsp = 0
    for line in open(stat):
        p = line.split()
        if len(p) == 2 and p[1].isdigit():
            n = int(p[1])
            lut += n if re.match(r"LUT[1-6]$", p[0]) else 0
            carry += n if p[0].startswith("CARRY") else 0
            ff += n if p[0].startswith("FD") else 0
            dsp += n if p[0].startswith("DSP") else 0
    return lut, carry, ff, dsp


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    core, model, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    l0sim = os.environ.get("L0SIM_EXE", os.path.join(os.path.dirname(core), "..", "sim", "l0sim"))
    gen = os.path.join(out, "export")
    r = subprocess.run([l0sim, "export-rtl", "--model", model, "--arch", "cmvm", "-o", gen],
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stderr.strip(), file=sys.stderr)
        return 2
    layers = json.load(open(os.path.join(gen, "layers.json")))["layers"]
    want = [int(x) for x in sys.argv[4].split(",")] if len(sys.argv) > 4 else range(len(layers))
    rows, worst = [], 0.0
    for k in want:
        L = layers[k]
        after_relu = k > 0 and layers[k - 1]["relu"] and not L["name"].startswith("rho0")
        wf = TYPE.match(L["weight_type"])
        wfrac = int(wf.group(2)) - int(wf.group(3))
        ours_v = os.path.join(out, f"ours_{L['name']}.v")
        subprocess.run([core, model, str(k), ours_v], check=True, stdout=subprocess.DEVNULL)
        k_, i_, f_ = kif(L["input_type"], after_relu)
        W = np.array(L["weights_raw"], dtype=np.float64).T * 2.0 ** -wfrac  # n_in x n_out
        inp = FixedVariableArrayInput((L["n_in"],))
        y = inp.quantize(k=k_, i=i_, f=f_) @ W
        d = os.path.join(out, f"da4ml_{L['name']}")
        VerilogModel(comb_trace(inp, y), "da_layer", d, print_latency=False).write()
        static = os.path.join(d, "src", "static")
        da_files = [os.path.join(d, "src", "da_layer.v")] + [
            os.path.join(static, s) for s in ("shift_adder.v", "negative.v", "mux.v", "multiplier.v")
            if os.path.exists(os.path.join(static, s))]
        ol, oc, _, od = yosys_luts([ours_v], "l0_core", os.path.join(out, f"ours_{L['name']}.log"))
        dl, dc, _, dd = yosys_luts(da_files, "da_layer", os.path.join(out, f"da4ml_{L['name']}.log"))
        ratio = ol / dl if dl else float("inf")
        worst = max(worst, ratio)
        rows.append({"layer": L["name"], "n_in": L["n_in"], "n_out": L["n_out"],
                     "input": f"k{k_} i{i_} f{f_}", "ours_lut": ol, "ours_carry": oc, "ours_dsp": od,
                     "da4ml_lut": dl, "da4ml_carry": dc, "da4ml_dsp": dd, "ratio": round(ratio, 3)})
        print(f"{L['name']:6s} {L['n_in']:3d} x {L['n_out']:3d}  ours {ol:6d} LUT {oc:5d} CARRY   "
              f"da4ml {dl:6d} LUT {dc:5d} CARRY   ratio {ratio:.3f}", flush=True)
    keys = list(rows[0].keys()) if rows else []
    write_atomic(os.path.join(out, "crosscheck_da4ml.csv"),
                 ",".join(keys) + "\n" + "".join(",".join(str(r[k]) for k in keys) + "\n" for r in rows))
    write_atomic(os.path.join(out, "crosscheck_da4ml.json"), json.dumps({"model": model, "layers": rows}, indent=1))
    verdict = worst <= 1.1
    print(f"crosscheck-da4ml: worst LUT ratio ours / da4ml {worst:.3f} (target <= 1.1): "
          f"{'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
