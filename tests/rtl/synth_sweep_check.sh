#!/bin/sh
# synth_sweep_check.sh L0SIM MODEL DIR: l0sim synth over --arch mult,cmvm x --lanes 1,8 on a
# model; every variant must be in synth.csv, the cmvm ones with 0 DSP and the mult ones with
# DSPs, the Pareto front non-empty, pareto.png a PNG.
set -eu
l0sim=$1 model=$2 dir=$3
rm -rf "$dir"
"$l0sim" synth --model "$model" --arch mult,cmvm --lanes 1,8 -o "$dir" > "$dir.log" 2>&1 ||
  { cat "$dir.log"; echo "FAIL: l0sim synth failed"; exit 1; }
csv="$dir/synth.csv"
rows=$(($(wc -l < "$csv") - 1))
[ "$rows" -eq 4 ] || { echo "FAIL: $rows variants in $csv, expected 4"; exit 1; }
awk -F, 'NR > 1 && $2 == "cmvm" && $6 != 0 { print "FAIL: cmvm with " $6 " DSP"; bad = 1 }
         NR > 1 && $2 == "mult" && $6 == 0 { print "FAIL: mult without DSP"; bad = 1 }
         NR > 1 && $4 <= 0 { print "FAIL: no LUTs"; bad = 1 }
         NR > 1 { front += $16 } END { if (!front) { print "FAIL: empty Pareto front"; bad = 1 }
         exit bad }' "$csv"
head -c 8 "$dir/pareto.png" | od -c | grep -q 'P   N   G' || { echo "FAIL: pareto.png is not a PNG"; exit 1; }
cat "$csv"
echo "synth sweep: 4 variants, cmvm 0 DSP, Pareto plot written"
