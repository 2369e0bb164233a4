#!/bin/sh
# run_cases.sh L0SIM MODEL DIR CASE [L0SIM_SC]: the stream tests of `l0sim run` and `l0sim merge`
# (ctest label stream). DIR holds the short stream the 'gen' case makes (a fixture).
l0sim=$1; model=$2; data=$3; case=$4; sc=${5:-}
stream=$data/s300.l0s
dir=$data/$case
rm -rf "$dir"; mkdir -p "$dir" || exit 1
fail() { printf 'FAIL (%s): %s\n' "$case" "$*"; exit 1; }
# expect CODE REGEX CMD...: exit status and an output pattern
expect() {
  code=$1; pat=$2; shift 2
  _o=$("$@" 2>&1); got=$?
  [ "$got" -eq "$code" ] || fail "exit $got, expected $code: $*
$_o"
  printf "%s\n" "$_o" | grep -Eq -- "$pat" || fail "output does not match /$pat/: $*
$_o"
  printf "%s\n" "$_o"
}
json_num() { grep -E "\"$2\":" "$1" | head -1 | sed -E 's/.*:[[:space:]]*([0-9.]+).*/\1/'; }

case $case in
gen)
  # 300 crossings at mu = 200, a fifth of them with a hard pion (so the stream shows physics)
  expect 0 "" "$l0sim" gen --crossings 300 --hard-fraction 0.2 --seed 5 -q -o "$stream" ;;
pass)
  out=$dir/pass
  expect 0 "^PASS" "$l0sim" run --data "$stream" -o "$out" >/dev/null
  for f in report.json latency.png completion.png clusters.csv truth.csv response.png; do
    [ -s "$out/$f" ] || fail "$out/$f missing"
  done
  grep -Eq '"verdict":[[:space:]]*"PASS"' "$out/report.json" || fail "verdict not PASS"
  sent=$(json_num "$out/report.json" sent)
  rows=$(($(wc -l < "$out/clusters.csv") - 1))
  [ "$sent" -gt 100 ] || fail "only $sent clusters sent"
  [ "$rows" -eq "$sent" ] || fail "clusters.csv has $rows rows, report says $sent sent"
  [ "$(json_num "$out/report.json" mismatches)" = 0 ] || fail "mismatches"
  "$l0sim" merge "$out/report.json" | grep -q "physics: [1-9][0-9]* truth-matched" ||
    fail "no truth-matched clusters in the summary"
  # the same seed and options: the same bytes
  expect 0 "^PASS" "$l0sim" run --data "$stream" -o "$dir/pass2" --no-plots >/dev/null
  cmp "$out/report.json" "$dir/pass2/report.json" || fail "report differs between two runs"
  cmp "$out/clusters.csv" "$dir/pass2/clusters.csv" || fail "clusters.csv differs" ;;
padded)
  # l0sim linked with the padded engine (24 cells, padded with -6, L = 3): C follows the model's
  # 24 cells, a cut to C is no truncation, every output equals the padded golden model's
  out=$dir/padded
  expect 0 "C 24, 1 engine\(s\) x L 3" "$l0sim" run --data "$stream" -o "$out" --no-plots
  grep -Eq '"verdict":[[:space:]]*"PASS"' "$out/report.json" || fail "verdict not PASS"
  [ "$(json_num "$out/report.json" mismatches)" = 0 ] || fail "mismatches"
  expect 0 "^PASS" "$l0sim" rtl-infer --data "$stream" -o "$dir/rtl.csv" --max-clusters 2000
  awk -F, 'NR > 1 && $3 < 24 { short++ } END { exit !(short > 100) }' "$dir/rtl.csv" ||
    fail "too few clusters shorter than the padding (the test would not test it)"
  expect 1 "truncation: 0 clusters beyond --top-k 64, [1-9][0-9]* clusters cut to --cells 8" \
    "$l0sim" run --data "$stream" -o "$dir/cut" --no-plots \
    --cells 8 ;;
rtl_infer)
  # every cluster of the stream through the engine, one at a time: the golden model's raws,
  # as l0sim infer computes them, in the same order
  expect 0 "^PASS" "$l0sim" rtl-infer --data "$stream" -o "$dir/rtl.csv" --max-clusters 3000
  "$l0sim" infer --model "$model" --data "$stream" -o "$dir/inf" --max-clusters 3000 -q ||
    fail "infer"
  rows=$(($(wc -l < "$dir/rtl.csv") - 1))
  [ "$rows" -eq 3000 ] || fail "rtl.csv has $rows rows, expected 3000"
  a=$(cut -d, -f1,2,3,4 "$dir/rtl.csv" | tail -n +2 | md5sum)
  hdr=$(head -1 "$dir/inf.csv")
  col() { printf '%s\n' "$hdr" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
  b=$(cut -d, -f"$(col event),$(col cluster),$(col n_cells),$(col fixed_raw)" "$dir/inf.csv" |
      tail -n +2 | md5sum)
  [ "$a" = "$b" ] || fail "rtl-infer's event,cluster,n_cells,golden_raw differ from infer's"
  awk -F, 'NR > 1 && $4 != $5 { bad++ } END { exit bad > 0 }' "$dir/rtl.csv" ||
    fail "an RTL raw differs from the golden raw in rtl.csv"
  expect 2 "no data: give --data" "$l0sim" rtl-infer -o "$dir/x.csv"
  expect 2 "nosuch.l0s" "$l0sim" rtl-infer --data "$dir/nosuch.l0s" -o "$dir/x.csv"
  [ ! -e "$dir/x.csv" ] || fail "x.csv written on error" ;;
tight)
  expect 1 "per-cluster budget \(--budget-cluster-ns 100\.0\), worst: orbit [0-9]+ bx [0-9]+ node [0-9]+ cluster [0-9]+" \
    "$l0sim" run --data "$stream" -o "$dir/tight" --no-plots --budget-cluster-ns 100 ;;
pace)
  # 4 nodes: a node gets a new crossing every 100 ns and cannot keep up
  expect 1 "per-event budget \(--budget-event-ns 99\.8\), worst: orbit [0-9]+ bx [0-9]+ node [0-9]+ completes.*slowest cluster orbit" \
    "$l0sim" run --data "$stream" -o "$dir/pace" --no-plots --nodes 4 --fifo-depth 1000000 ;;
drop)
  expect 1 "clusters dropped \(FIFO of --fifo-depth 8 cells full\), first: orbit" \
    "$l0sim" run --data "$stream" -o "$dir/drop" --no-plots --fifo-depth 8 ;;
truncate)
  expect 1 "truncation: [1-9][0-9]* clusters beyond --top-k 4" \
    "$l0sim" run --data "$stream" -o "$dir/trunc" --no-plots --top-k 4
  expect 0 "truncated: [1-9][0-9]* beyond K.*\(allowed\)" \
    "$l0sim" run --data "$stream" -o "$dir/trunc2" --no-plots --top-k 4 --allow-truncation ;;
corrupt)
  mkdir -p "$dir/corrupt"
  head -c 20000 "$stream" > "$dir/corrupt/cut.l0s"
  expect 2 "cut\.l0s" "$l0sim" run --data "$dir/corrupt/cut.l0s" -o "$dir/corrupt/out" --no-plots
  [ ! -e "$dir/corrupt/out/report.json" ] || fail "a report was written for a corrupt file"
  expect 2 "not-there\.l0s" "$l0sim" run --data "$dir/not-there.l0s" -o "$dir/corrupt/out2"
  expect 2 "--nodes" "$l0sim" run --data "$stream" --nodes 0
  expect 2 "unknown option '--frob'" "$l0sim" run --frob ;;
shards)
  # two shards, merged, give the summary of one run over all nodes
  expect 0 "" "$l0sim" run --data "$stream" -o "$dir/all" --no-plots --no-csv -q
  expect 0 "" "$l0sim" run --data "$stream" -o "$dir/sh0" --no-plots --no-csv -q --shard 0/2
  expect 0 "" "$l0sim" run --data "$stream" -o "$dir/sh1" --no-plots --no-csv -q --shard 1/2
  "$l0sim" merge "$dir/all/report.json" > "$dir/all.txt" || fail "merge of one report"
  "$l0sim" merge "$dir/sh1/report.json" "$dir/sh0/report.json" -o "$dir/merged.json" \
    > "$dir/merged.txt" || fail "merge of the shards"
  diff "$dir/all.txt" "$dir/merged.txt" || fail "merged summary differs from the single run's"
  grep -q "48 of 48 nodes" "$dir/merged.txt" || fail "merged report does not cover 48 nodes"
  expect 2 "node 0 is in two of the reports" "$l0sim" merge "$dir/sh0/report.json" "$dir/all/report.json"
  printf '{"format": "l0sim-stream-report", "version": 1}\n' > "$dir/bad.json"
  expect 2 "bad\.json: field 'config'" "$l0sim" merge "$dir/bad.json" ;;
mismatch)
  # an engine driven with a model it was not built from: the scoreboard must catch it, with the
  # cluster, the golden layer trace and a wave window
  sed 's/0\.81472206816775772/0.91472206816775772/' "$model" > "$dir/perturbed.json"
  cmp -s "$model" "$dir/perturbed.json" && fail "could not perturb the model"
  expect 2 "not the model this l0sim's engine was built from" \
    "$l0sim" run --data "$stream" -o "$dir/mm0" --model "$dir/perturbed.json"
  expect 1 "first mismatch: orbit [0-9]+ bx [0-9]+ node [0-9]+ cluster [0-9]+ \([0-9]+ cells\): output raw" \
    "$l0sim" run --data "$stream" -o "$dir/mm" --no-plots --model "$dir/perturbed.json" --unchecked-model
  grep -q "golden model, layer by layer" "$dir/mm/mismatch/trace.txt" || fail "no layer trace"
  grep -q "^phi0 " "$dir/mm/mismatch/trace.txt" || fail "trace lacks phi0"
  [ -s "$dir/mm/mismatch/l0_engine.fst" ] || fail "no wave window"
  grep -q "l0_engine.fst" "$dir/mm/mismatch/l0_engine.gtkw" || fail "no save file" ;;
waves)
  expect 0 "gtkwave -a" "$l0sim" run --data "$stream" -o "$dir/wv" --no-plots --waves 5 --waves-clocks 120
  [ -s "$dir/wv/waves/l0_engine.fst" ] || fail "no FST" ;;
sc_equal)
  # the SystemC model predicts every cluster's latency the RTL run measures, cluster by cluster:
  # the default system, and a harder one (two engines, a slow link, small FIFOs that drop, an
  # arrival delay, 12 nodes that fall behind)
  [ -x "$sc" ] || fail "no l0sim-sc"
  for opts in "" "--engines 2 --fifo-depth 24 --link-cells 2 --cells 24 --allow-truncation --arrival-ns 13 --nodes 12"; do
    # shellcheck disable=SC2086
    "$l0sim" run --data "$stream" -o "$dir/rtl" --no-plots -q $opts
    a=$?
    # shellcheck disable=SC2086
    "$sc" --data "$stream" -o "$dir/sc" --no-plots -q --clusters-csv "$dir/sc/clusters.csv" $opts
    b=$?
    [ "$a" -eq "$b" ] || fail "exit status: run $a, l0sim-sc $b ($opts)"
    sort "$dir/rtl/clusters.csv" > "$dir/a.csv"
    sort "$dir/sc/clusters.csv" > "$dir/b.csv"
    [ "$(wc -l < "$dir/a.csv")" -gt 1000 ] || fail "too few clusters ($opts)"
    diff "$dir/a.csv" "$dir/b.csv" > "$dir/diff.txt" || fail "per-cluster tables differ ($opts): $(head -5 "$dir/diff.txt")"
    "$l0sim" merge "$dir/rtl/report.json" | sed 1d > "$dir/a.txt"
    "$l0sim" merge "$dir/sc/report.json" | sed 1d > "$dir/b.txt"
    diff "$dir/a.txt" "$dir/b.txt" || fail "summaries differ ($opts)"
  done ;;
junit)
  # --junit: one testcase per check, the numbers in the failure message, written atomically
  # (a bad directory leaves no file and exits 2; an existing file is replaced whole)
  j=$dir/pass.xml
  expect 0 "^PASS" "$l0sim" run --data "$stream" -o "$dir/p" --no-plots --no-csv --junit "$j" >/dev/null
  [ "$(grep -c '<testcase ' "$j")" -eq 5 ] || fail "$j: not 5 testcases"
  grep -q '<testsuite name="l0sim-run" tests="5" failures="0"' "$j" || fail "$j: suite line"
  grep -q '<failure' "$j" && fail "$j: a failure in a passing run"
  for t in golden_model_mismatches dropped_clusters late_clusters late_events truncation; do
    grep -q "name=\"$t\"" "$j" || fail "$j: no testcase $t"
  done
  grep -Eq 'outputs checked against the golden model, 0 mismatches' "$j" || fail "$j: no count"
  j=$dir/tight.xml
  echo stale > "$j"
  expect 1 "per-cluster budget" "$l0sim" run --data "$stream" -o "$dir/t" --no-plots --no-csv \
    --budget-cluster-ns 100 --junit "$j" >/dev/null
  grep -q 'tests="5" failures="1"' "$j" || fail "$j: not 1 failure of 5"
  grep -Eq '<failure type="late_clusters" message="[0-9]+ clusters over the per-cluster budget \(--budget-cluster-ns 100.0\), worst: orbit [0-9]+ bx [0-9]+ node [0-9]+ cluster [0-9]+ \([0-9]+ cells\) at [0-9.]+ ns' "$j" ||
    fail "$j: no late_clusters failure with the numbers"
  grep -q '^</testsuites>$' "$j" || fail "$j: not complete"
  j=$dir/trunc.xml
  expect 1 "truncation" "$l0sim" run --data "$stream" -o "$dir/k" --no-plots --no-csv --top-k 4 --junit "$j" >/dev/null
  grep -Eq '<failure type="truncation" message="truncation: [1-9][0-9]* clusters beyond --top-k 4' "$j" ||
    fail "$j: no truncation failure"
  expect 2 "no-such-dir" "$l0sim" run --data "$stream" -o "$dir/n" --no-plots --no-csv --junit "$dir/no-such-dir/j.xml"
  [ -e "$dir/no-such-dir" ] && fail "a file appeared for a bad --junit"
  if [ -n "$sc" ]; then
    j=$dir/sc.xml
    expect 1 "per-cluster budget" "$sc" --data "$stream" --budget-cluster-ns 100 --junit "$j" -q
    grep -q '<testsuite name="l0sim-sc" tests="5" failures="1"' "$j" || fail "$j: suite line"
    grep -Eq '<failure type="late_clusters" message="[0-9]+ clusters over' "$j" || fail "$j: failure"
    expect 0 "" "$sc" --data "$stream" --junit "$dir/sc_pass.xml" -q
    grep -q 'failures="0"' "$dir/sc_pass.xml" || fail "sc_pass.xml: failures"
  fi
  echo "junit: ok" ;;
*) fail "unknown case" ;;
esac
echo "ok: $case"
