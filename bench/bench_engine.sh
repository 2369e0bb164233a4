#!/bin/sh
# bench_engine.sh [MODEL.json]: the multiplier-free engine (--arch cmvm) of a model against the
# targets of the engine issue, measured, not assumed:
#   fully parallel (lanes = cells_max, at most 64): <= 15 clocks for a 32-cell cluster, <= 100 k
#     LUT, 0 DSP (Yosys synth_xilinx, xcup);
#   2 lanes: 0 DSP, <= 40 k LUT;
#   the calibration of `l0sim run` through that fully parallel engine on the orbit of
#     scripts/run (seed 1, mu 200, a tenth hard): PASS, 0 mismatches, DeepSets IQR/median
#     within 5% of 0.133 (the mult engine's shipped-model figure before the engine issue).
# The model defaults to model/default.json. Builds an l0sim for the model in build-bench-NAME/
# (-DL0SIM_ARCH=cmvm, -DL0SIM_LANES=cells_max). Takes minutes (Yosys). Prints a table.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
model=$(cd "$(dirname "${1:-$top/model/default.json}")" && pwd)/$(basename "${1:-default.json}")
l0sim=${L0SIM_BUILD:-$top/build}/sim/l0sim
name=$(basename "$model" .json)
out=${L0SIM_BENCH_OUT:-$top/out/bench-engine-$name}
reg=${L0SIM_REG_EVERY:-3}
mkdir -p "$out"
cmax=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['cells_max'])" "$model" 2>/dev/null ||
       grep -o '"cells_max": *[0-9]*' "$model" | grep -o '[0-9]*$')
full=$cmax
[ "$full" -le 64 ] || full=64
echo "bench_engine: $model (cells_max $cmax), cmvm at L=2 and L=$full, --reg-every $reg"
"$l0sim" synth --model "$model" --arch cmvm --lanes "2,$full" --reg-every "$reg" -o "$out/synth" \
  > "$out/synth.txt" 2> "$out/synth.err"
cat "$out/synth.txt"
# the engine of l0sim run: fully parallel cmvm for this model
b="$top/build-bench-$name"
if [ ! -f "$b/build.ninja" ]; then
  cmake -S "$top" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DL0SIM_MODEL="$model" \
    -DL0SIM_ARCH=cmvm -DL0SIM_LANES="$full" -DL0SIM_REG_EVERY="$reg" > "$out/cmake.log"
fi
ninja -C "$b" l0sim > "$out/ninja.log"
"$l0sim" gen --orbits 1 --mu 200 --hard-fraction 0.1 --seed 1 -q -o "$out/orbit.l0s"
set +e
"$b/sim/l0sim" run --data "$out/orbit.l0s" -o "$out/run" --no-csv > "$out/run.txt" 2>&1
rc=$?
set -e
cat "$out/run.txt"
csv="$out/synth/synth.csv"
field() { awk -F, -v L="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next }
  $3 == L { print $k[c] }' "$csv"; }
iqr=$(sed -n 's/.*DeepSets [0-9.]* (\([0-9.]*\)).*/\1/p' "$out/run.txt")
verdict=$(tail -n 1 "$out/run.txt")
mism=$(sed -n 's/.*checked against the golden model: [0-9]* outputs, \([0-9]*\) mismatches.*/\1/p' "$out/run.txt")
check() { if [ "$2" = 1 ]; then echo "  PASS  $1"; else echo "  FAIL  $1"; fi; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 <= b + 0) ? 1 : 0 }'; }
echo
echo "targets ($model):"
check "L=$full: 32-cell latency $(field "$full" latency32_clocks) clocks ($(field "$full" latency32_ns) ns) <= 15" \
  "$(le "$(field "$full" latency32_clocks)" 15)"
check "L=$full: $(field "$full" lut) LUT <= 100000" "$(le "$(field "$full" lut)" 100000)"
check "L=$full: $(field "$full" dsp) DSP = 0" "$(le "$(field "$full" dsp)" 0)"
check "L=2: $(field 2 lut) LUT <= 40000" "$(le "$(field 2 lut)" 40000)"
check "L=2: $(field 2 dsp) DSP = 0" "$(le "$(field 2 dsp)" 0)"
check "l0sim run through the L=$full engine: $verdict, $mism mismatches" \
  "$([ "$rc" = 0 ] && [ "$mism" = 0 ] && echo 1 || echo 0)"
check "DeepSets IQR/median $iqr <= 0.1397 (0.133 + 5%)" "$(le "$iqr" 0.1397)"
echo "fmax estimates: L=2 $(field 2 fmax_est_mhz) MHz, L=$full $(field "$full" fmax_est_mhz) MHz (docs/engine.md)"
echo "reports: $out/synth/synth.csv, $out/run/report.json"
