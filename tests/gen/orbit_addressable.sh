#!/bin/sh
# orbit_addressable.sh L0SIM DIR: orbit k of seed S is the same whether generated alone
# (--first-orbit k --orbits 1) or inside a run of several orbits: every cluster and every cell
# of orbit 1, as `l0sim stim export` writes them, equal between `--orbits 2` and
# `--first-orbit 1 --orbits 1` (mu 10 to keep it quick). The generator seeds every bunch slot
# from (seed, orbit x 3564 + bx), so any split of a run into orbit ranges gives the same events.
set -eu
l0sim=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
"$l0sim" gen --orbits 2 --mu 10 --hard-fraction 0.1 --seed 9 -q -o two.l0s
"$l0sim" gen --first-orbit 1 --orbits 1 --mu 10 --hard-fraction 0.1 --seed 9 -q -o one.l0s
"$l0sim" stim export two.l0s -o two --format csv > /dev/null
"$l0sim" stim export one.l0s -o one --format csv > /dev/null
# clusters: orbit,bx and the physics columns (the record and cluster numbers restart)
awk -F, 'NR > 1 && $3 == 1 { $1 = ""; $2 = ""; print }' two_clusters.csv > a.txt
awk -F, 'NR > 1 { $1 = ""; $2 = ""; print }' one_clusters.csv > b.txt
n=$(wc -l < b.txt)
[ "$n" -gt 1000 ] || { echo "FAIL: only $n clusters in orbit 1"; exit 1; }
cmp -s a.txt b.txt || { echo "FAIL: orbit 1's clusters differ between the two runs"; exit 1; }
echo "orbit 1: $n clusters, the same alone and inside a 2-orbit run"
