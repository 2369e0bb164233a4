#!/bin/sh
# study_cli.sh L0SIM DIR: l0sim infer, eval and sweep end to end on the fixture's data (DIR, made
# by study_fixture.sh): outputs complete and consistent, atomic on failure, sweep tables that do
# not depend on the thread count, every kind's files written.
l0sim=$1; dir=$2
out=$dir/cli; rm -rf "$out"; mkdir -p "$out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# infer: one row per cluster, both outputs, a summary with the MPE and the overflow table
if "$l0sim" infer --model "$dir/medium.json" --data "$dir/eval.l0s" -o "$out/pred" \
    > "$out/infer.log" 2>&1; then
  rows=$(($(wc -l < "$out/pred.csv") - 1))
  [ "$rows" -eq 200 ] && ok "infer: 200 rows" || fail "infer: $rows CSV rows, expected 200"
  head -1 "$out/pred.csv" | grep -q '^event,cluster,orbit,bx,n_cells,truth_pdg,truth_e,e_em,eta,phi,pred_float,pred_fixed,fixed_raw$' \
    && ok "infer: CSV header" || fail "infer: CSV header: $(head -1 "$out/pred.csv")"
  [ -s "$out/pred.npz" ] && ok "infer: npz written" || fail "infer: no pred.npz"
  grep -q 'MPE fixed vs float: .* over 200 clusters' "$out/infer.log" && grep -q 'ksum' "$out/infer.log" \
    && ok "infer: summary" || fail "infer: summary:\n$(cat "$out/infer.log")"
else
  fail "infer exited $?: $(cat "$out/infer.log")"
fi

# --trace: the per-layer trace, float and fixed side by side, ending with the output
"$l0sim" infer --model "$dir/medium.json" --data "$dir/eval.l0s" -o "$out/pred2" --trace 5 -q \
    > "$out/trace.log" 2>&1
grep -q '^trace of row 5 ' "$out/trace.log" && grep -q '^ksum: 1 x 8' "$out/trace.log" \
  && grep -q '^output: float .* GeV, fixed .* GeV' "$out/trace.log" \
  && ok "infer --trace" || fail "infer --trace 5:\n$(head -20 "$out/trace.log")"

# atomic outputs: a truncated data file fails with exit 2 and leaves earlier outputs untouched
head -c 20000 "$dir/eval.l0s" > "$out/cut.l0s"
echo old > "$out/atom.csv"
"$l0sim" infer --model "$dir/medium.json" --data "$out/cut.l0s" -o "$out/atom" > "$out/atom.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'cut.l0s' "$out/atom.log" && ok "infer: truncated data gives exit 2 naming the file" \
  || fail "infer on truncated data: exit $rc, $(cat "$out/atom.log")"
[ "$(cat "$out/atom.csv")" = old ] && [ ! -e "$out/atom.npz" ] && ok "infer: no partial output" \
  || fail "infer: a failed run touched atom.csv or left atom.npz"
ls "$out" | grep -q 'tmp' && fail "temporary files left: $(ls "$out")" || ok "no temporary files"

# a bad model file: exit 2, the field named
sed 's/"cells_max": [0-9]*/"cells_max": 0/' "$dir/medium.json" > "$out/bad.json"
"$l0sim" sweep --model "$out/bad.json" --data "$dir/eval.l0s" -o "$out/sbad" > "$out/bad.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "bad.json.*cells_max" "$out/bad.log" && ok "sweep: bad model names the field" \
  || fail "sweep with a bad model: exit $rc, $(cat "$out/bad.log")"

# eval: the table, the CSV (bins + 'all') and both plots
if "$l0sim" eval --model "$dir/large.json" --data "$dir/eval.l0s" -o "$out/ev" > "$out/eval.log" 2>&1; then
  n=$(wc -l < "$out/ev/eval.csv")
  [ "$n" -eq 13 ] && ok "eval: 11 bins + all" || fail "eval.csv has $n lines, expected 13"
  tail -1 "$out/ev/eval.csv" | grep -q '^all,1,500,' && ok "eval: 'all' row" || fail "eval: last row $(tail -1 "$out/ev/eval.csv")"
  [ -s "$out/ev/eval_response.png" ] && [ -s "$out/ev/eval_resolution.png" ] && ok "eval: plots" \
    || fail "eval: plots missing"
else
  fail "eval exited $?: $(cat "$out/eval.log")"
fi

# sweep: identical tables with 1 and 2 threads, three models, every kind's files
args="--model $dir/small.json --model $dir/medium.json --model $dir/large.json --data $dir/eval.l0s
      --kind int,total,wb,ksum,layers --int-range 2:10:2 --total-range 8:20:4 --wb-range 4:12:4
      --ksum-range 2:12:2 -q"
"$l0sim" sweep $args --threads 1 -o "$out/s1" > "$out/s1.log" 2>&1 || fail "sweep --threads 1: $(cat "$out/s1.log")"
"$l0sim" sweep $args --threads 2 -o "$out/s2" > "$out/s2.log" 2>&1 || fail "sweep --threads 2: $(cat "$out/s2.log")"
for k in int total wb ksum layers; do
  [ -s "$out/s1/sweep_$k.csv" ] || fail "sweep_$k.csv missing"
  cmp -s "$out/s1/sweep_$k.csv" "$out/s2/sweep_$k.csv" && ok "sweep_$k.csv: same bytes with 1 and 2 threads" \
    || fail "sweep_$k.csv differs between 1 and 2 threads"
done
for f in sweep_int.png sweep_total.png sweep_wb.png sweep_ksum.png sweep_layers_small.png \
         sweep_layers_medium.png sweep_layers_large.png; do
  [ -s "$out/s1/$f" ] || fail "$f missing"
done
rows=$(grep -c '^small,' "$out/s1/sweep_int.csv"); [ "$rows" -eq 5 ] || fail "sweep_int: $rows rows of small, expected 5"
rows=$(grep -c '^large,' "$out/s1/sweep_wb.csv"); [ "$rows" -eq 9 ] || fail "sweep_wb: $rows rows of large, expected 9 (3 curves x 3)"
head -1 "$out/s1/sweep_int.csv" | grep -q ',lut,ff,dsp$' && ok "sweep: resource columns" || fail "sweep: no lut,ff,dsp columns"

# qat: one short QAT per point, next to PTQ
if "$l0sim" sweep --model "$dir/small.json" --data "$dir/eval.l0s" --kind qat --qat-data "$dir/train.l0s" \
    --qat-range 10:12:2 --qat-epochs 1 --threads 2 -q -o "$out/q" > "$out/q.log" 2>&1; then
  p=$(grep -c ',qat,ptq,' "$out/q/sweep_qat.csv"); q=$(grep -c ',qat,qat,' "$out/q/sweep_qat.csv")
  f=$(grep -c ',qat,ptq-ft,' "$out/q/sweep_qat.csv")
  [ "$p" -eq 2 ] && [ "$q" -eq 2 ] && [ "$f" -eq 2 ] && [ -s "$out/q/sweep_qat.png" ] \
    && ok "sweep qat: 2 PTQ, 2 fine-tuned PTQ and 2 QAT rows" || fail "sweep qat: $p PTQ, $f PTQ-ft and $q QAT rows"
else
  fail "sweep --kind qat exited $?: $(cat "$out/q.log")"
fi

[ $fails -eq 0 ] && echo "study_cli: all checks passed" || { echo "study_cli: $fails check(s) failed"; exit 1; }
