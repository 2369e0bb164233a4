#!/bin/sh
# export_tb.sh L0SIM FIXTURE_DIR MODEL OUT: l0sim export-tb end to end. A small singles file;
# the shipped model (no padding: rows of cells_max cells, zeros) and the deepsets_seq fixture
# imported with --padding 16 (rows of 16 cells, -6): one line per cluster in each of the three
# files, cells x features numbers per input line, one per output line; outputs equal l0sim
# infer's (in GeV there); --clusters; a bad data file gives exit 2 naming it and leaves the
# files of an earlier run untouched; export-rtl writes the padded model's PadCells.
l0sim=$1; fix=$2; model=$3; out=$4
rm -rf "$out" && mkdir -p "$out" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
run() {
  "$@" > "$out/cmd.log" 2>&1 || { echo "FAIL: $*"; cat "$out/cmd.log"; exit 1; }
}
run "$l0sim" gen --singles 40 --seed 11 -q -o "$out/data.l0s"

# lines FILE: the line count; fields FILE: the distinct field counts of its lines
lines() { wc -l < "$1" | tr -d ' '; }
fields() { awk '{ print NF }' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# check DIR N PER_LINE FILL: N lines everywhere, PER_LINE input numbers, 1 output number
check() {
  d=$1; n=$2; per=$3; fill=$4
  for f in tb_input_features.dat tb_output_predictions.dat tb_output_fixed.dat; do
    [ -f "$d/$f" ] || { fail "$d/$f not written"; return; }
    [ "$(lines "$d/$f")" -eq "$n" ] && ok "$d/$f: $n lines" \
      || fail "$d/$f: $(lines "$d/$f") lines, expected $n"
  done
  [ "$(fields "$d/tb_input_features.dat")" = "$per" ] && ok "$d: $per numbers per input line" \
    || fail "$d: input lines with $(fields "$d/tb_input_features.dat") numbers, expected $per"
  for f in tb_output_predictions.dat tb_output_fixed.dat; do
    [ "$(fields "$d/$f")" = 1 ] && ok "$d/$f: one number per line" \
      || fail "$d/$f: lines with $(fields "$d/$f") numbers"
  done
  # the missing cells of short clusters: the last cell of some line is the fill, in every feature
  awk -v fill="$fill" '{ if ($NF + 0 == fill && $(NF-1) + 0 == fill && $(NF-2) + 0 == fill) k++ }
       END { exit !(k > 0) }' "$d/tb_input_features.dat" \
    && ok "$d: short clusters filled with $fill" || fail "$d: no line ends in $fill $fill $fill"
  # no line is all fill: every cluster has a first cell
  awk -v fill="$fill" '{ a = 1; for (i = 1; i <= NF; i++) if ($i + 0 != fill) a = 0; if (a) k++ }
       END { exit k > 0 }' "$d/tb_input_features.dat" \
    && ok "$d: every line has a real cell" || fail "$d: a line holds only $fill"
}

# same_as_infer MODEL DIR: tb outputs x target scale (100) equal infer's pred_float, pred_fixed
same_as_infer() {
  run "$l0sim" infer --model "$1" --data "$out/data.l0s" -o "$2/infer" -q
  tail -n +2 "$2/infer.csv" | cut -d, -f11,12 | tr ',' ' ' > "$2/infer.txt"
  paste -d ' ' "$2/tb_output_predictions.dat" "$2/tb_output_fixed.dat" "$2/infer.txt" |
    awk 'function d(a, b) { return (a > b ? a - b : b - a) / (b < 0 ? -b : b + 1e-30) }
         { if (d(100 * $1, $3) > 1e-6 || d(100 * $2, $4) > 1e-6) bad++ } END { exit bad > 0 }' \
    && ok "$2: outputs equal l0sim infer's" || fail "$2: outputs differ from l0sim infer's"
}

# the shipped model: cells_max 64, 5 features (320 numbers a line), zeros
if "$l0sim" export-tb --model "$model" --data "$out/data.l0s" -o "$out/plain" > "$out/plain.log" 2>&1; then
  grep -q 'missing cells as zeros' "$out/plain.log" && ok "export-tb: summary says zeros" \
    || fail "export-tb summary: $(cat "$out/plain.log")"
  check "$out/plain" 40 320 0
  same_as_infer "$model" "$out/plain"
else
  fail "export-tb exited $?: $(cat "$out/plain.log")"
fi

# --clusters
run "$l0sim" export-tb --model "$model" --data "$out/data.l0s" -o "$out/seven" --clusters 7 -q
check "$out/seven" 7 320 0
[ ! -s "$out/cmd.log" ] && ok "export-tb -q: silent" || fail "export-tb -q printed $(cat "$out/cmd.log")"
head -7 "$out/plain/tb_input_features.dat" | cmp -s - "$out/seven/tb_input_features.dat" \
  && ok "--clusters 7: the first 7 lines" || fail "--clusters 7: not the first 7 lines"

# a padded model: the fixture (16 cells x 4 features) imported with --padding 16
run "$l0sim" import "$fix/deepsets_seq.keras" --padding 16 -o "$out/padded.json"
grep -q '"padding": {"cells": 16, "value": -6}' "$out/padded.json" \
  && ok "import --padding 16: the field written" || fail "import --padding 16: no padding field"
if "$l0sim" export-tb --model "$out/padded.json" --data "$out/data.l0s" -o "$out/padded" \
    > "$out/padded.log" 2>&1; then
  grep -q 'padded with the model.s pad value' "$out/padded.log" && ok "export-tb: summary says padded" \
    || fail "export-tb summary: $(cat "$out/padded.log")"
  check "$out/padded" 40 64 -6
  same_as_infer "$out/padded.json" "$out/padded"
else
  fail "export-tb on the padded model exited $?: $(cat "$out/padded.log")"
fi
"$l0sim" export-rtl --model "$out/padded.json" -o "$out/rtl" > "$out/rtl.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "parameter integer PadCells = 16," "$out/rtl/l0_model_params.vh" \
  && ok "export-rtl pads the padded model" || fail "export-rtl on the padded model: exit $rc, $(cat "$out/rtl.log")"

# atomic: a cut data file gives exit 2 naming it, the earlier files stay as they were
head -c 3000 "$out/data.l0s" > "$out/cut.l0s"
mkdir -p "$out/keep" && cp "$out"/plain/tb_*.dat "$out/keep/"
"$l0sim" export-tb --model "$model" --data "$out/cut.l0s" -o "$out/keep" > "$out/cut.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'cut.l0s' "$out/cut.log" && ok "cut data: exit 2 naming the file" \
  || fail "cut data: exit $rc, $(cat "$out/cut.log")"
for f in tb_input_features.dat tb_output_predictions.dat tb_output_fixed.dat; do
  cmp -s "$out/plain/$f" "$out/keep/$f" || fail "cut data: $f changed"
done
[ "$(ls -A "$out/keep" | wc -l)" -eq 3 ] \
  && ok "cut data: no partial or temporary files" || fail "cut data: $(ls -A "$out/keep")"

[ $fails -eq 0 ] && echo "PASS" || echo "$fails failures"
[ $fails -eq 0 ]
