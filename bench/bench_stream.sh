#!/bin/sh
# bench_stream.sh [STREAM.l0s]: wall time and peak memory of the event-stream simulation of one
# orbit at mu = 200 (generated with seed 1 when no file is given): l0sim run through the RTL in
# one process and in two shards on two cores (then l0sim merge), and the SystemC model l0sim-sc
# with and without golden-model outputs. Prints a table; checks that the verdicts agree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${L0SIM_BUILD:-$top/build}
l0sim=$b/sim/l0sim sc=$b/sim/systemc/l0sim-sc
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
stream=${1:-}
if [ -z "$stream" ]; then
  stream=$tmp/orbit.l0s
  "$l0sim" gen --orbits 1 --hard-fraction 0.1 --seed 1 -q -o "$stream"
fi
# t NAME CMD...: wall seconds and peak RSS (MB) of one command
t() {
  name=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" > "$tmp/out" 2>&1 || true
  read -r wall kb < "$tmp/t"
  printf '%-44s %7.2f s %8.1f MB\n' "$name" "$wall" "$(echo "$kb / 1024" | bc -l)"
}
echo "bench_stream: one orbit at mu = 200 ($(basename "$stream")), $(nproc) cores"
printf '%-44s %9s %11s\n' "what" "wall" "peak RSS"
t "l0sim run (RTL, 1 process)" "$l0sim" run --data "$stream" -o "$tmp/r" --no-plots --no-csv -q
start=$(date +%s.%N)
"$l0sim" run --data "$stream" -o "$tmp/s0" --no-plots --no-csv -q --shard 0/2 &
p0=$!
"$l0sim" run --data "$stream" -o "$tmp/s1" --no-plots --no-csv -q --shard 1/2 &
p1=$!
wait $p0 || true; wait $p1 || true
"$l0sim" merge "$tmp/s0/report.json" "$tmp/s1/report.json" -o "$tmp/merged.json" -q || true
end=$(date +%s.%N)
printf '%-44s %7.2f s %11s\n' "l0sim run, 2 shards in parallel + merge" "$(echo "$end - $start" | bc -l)" "(each ~1 above)"
if [ -x "$sc" ]; then
  t "l0sim-sc (golden-model outputs)" "$sc" --data "$stream" -o "$tmp/sc" --no-plots -q
  t "l0sim-sc --timing-only" "$sc" --data "$stream" -o "$tmp/sct" --no-plots -q --timing-only
fi
v() { grep -o '"verdict":[[:space:]]*"[A-Z]*"' "$1" | grep -o '[A-Z]*"$' | tr -d '"'; }
echo "verdicts: run $(v "$tmp/r/report.json"), merged shards $(v "$tmp/merged.json")$( [ -x "$sc" ] && echo ", l0sim-sc $(v "$tmp/sc/report.json")")"
