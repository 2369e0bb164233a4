#!/bin/sh
# gen_cli.sh L0SIM DIR: `l0sim gen` twice with the same seed gives the same bytes, another seed
# other bytes, other thread counts the same bytes; bad options exit 2 and leave no file.
l0sim=$1; dir=$2
mkdir -p "$dir" || exit 1
a=$dir/gen_a.l0s; b=$dir/gen_b.l0s; c=$dir/gen_c.l0s
rm -f "$a" "$b" "$c"
fail() { echo "FAIL: $*"; exit 1; }
"$l0sim" gen --crossings 6 --mu 20 --hard-fraction 0.5 --seed 5 -o "$a" -q --threads 1 || fail "gen 1"
"$l0sim" gen --crossings 6 --mu 20 --hard-fraction 0.5 --seed 5 -o "$b" -q --threads 2 || fail "gen 2"
cmp -s "$a" "$b" || fail "same seed, different bytes"
"$l0sim" gen --crossings 6 --mu 20 --hard-fraction 0.5 --seed 6 -o "$c" -q || fail "gen 3"
cmp -s "$a" "$c" && fail "seeds 5 and 6 gave the same bytes"
"$l0sim" gen --singles 20 --mu 0 --seed 5 -o "$a" -q --threads 1 || fail "singles 1"
"$l0sim" gen --singles 20 --mu 0 --seed 5 -o "$b" -q --threads 2 || fail "singles 2"
cmp -s "$a" "$b" || fail "singles: same seed, different bytes"
"$l0sim" stim info "$a" | grep -q "records *20 " || fail "singles file has not 20 records"
rm -f "$c"
"$l0sim" gen --singles 5 --cells 500 -o "$c" >/dev/null 2>&1; st=$?
[ "$st" -eq 2 ] || fail "--cells 500 exit $st, expected 2"
[ -e "$c" ] && fail "a refused run left a file"
rm -f "$a" "$b" "$c"
echo "ok: gen is reproducible and refuses bad options"
