#!/bin/sh
# export_check.sh L0SIM DIR: `l0sim stim export` writes its three files whole, and a failed
# export (corrupt input, bad options) leaves earlier outputs untouched and no temporaries.
# DIR holds stim_make's files.
l0sim=$1; dir=$2
out=$dir/export_check; rm -rf "$out"; mkdir -p "$out" || exit 1
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

"$l0sim" stim export "$dir/good.stim" -o "$out/good" --format both > "$out/log" 2>&1 ||
  fail "export of good.stim: exit $?: $(cat "$out/log")"
for f in good.npz good_clusters.csv good_cells.csv; do
  [ -s "$out/$f" ] || fail "$f not written"
done
grep -q 'wrote .*good.npz: [0-9]* clusters x [0-9]* cells, 300 records' "$out/log" ||
  fail "unexpected report: $(cat "$out/log")"
head -1 "$out/good_clusters.csv" | grep -q '^cluster,event,orbit,bx,e,et,eta,phi,truth_e,truth_pdg,n_cells,n_cells_total$' ||
  fail "clusters.csv header: $(head -1 "$out/good_clusters.csv")"
head -1 "$out/good_cells.csv" | grep -q '^cluster,cell,e,eta,phi,layer,sigma$' ||
  fail "cells.csv header: $(head -1 "$out/good_cells.csv")"
sed -n 2p "$out/good_clusters.csv" | grep -q '^0,0,7,1,12.5,10.25,' ||
  fail "first cluster row: $(sed -n 2p "$out/good_clusters.csv")"

# Exporting the same file twice gives the same bytes.
"$l0sim" stim export "$dir/good.stim" -o "$out/again" --format both > /dev/null 2>&1 || fail "second export"
cmp -s "$out/good.npz" "$out/again.npz" || fail "two exports of one file differ (npz)"
cmp -s "$out/good_cells.csv" "$out/again_cells.csv" || fail "two exports of one file differ (csv)"

# A corrupt input: exit 2, the file and offset named, earlier outputs untouched.
cp "$out/good.npz" "$out/before.npz"
msg=$("$l0sim" stim export "$dir/corrupt.stim" -o "$out/good" --format both 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "corrupt input: exit $rc, expected 2"
printf '%s\n' "$msg" | grep -Eq 'corrupt.stim: offset [0-9]+: block payload checksum mismatch' ||
  fail "corrupt input message: $msg"
cmp -s "$out/good.npz" "$out/before.npz" || fail "a failed export changed good.npz"

# Nothing at all for a new prefix when the input is bad.
"$l0sim" stim export "$dir/truncated.stim" -o "$out/trunc" --format both > /dev/null 2>&1
[ $? -eq 2 ] || fail "truncated input: exit status not 2"
ls "$out" | grep -q '^trunc' && fail "files left for a failed export: $(ls "$out")"
ls "$out" | grep -q '\.tmp\.' && fail "temporaries left behind: $(ls "$out")"

# A pipe cannot be read twice: refused up front, nothing written.
msg=$(cat "$dir/good.stim" | "$l0sim" stim export /dev/stdin -o "$out/pipe" 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "export from a pipe: exit $rc, expected 2"
printf '%s\n' "$msg" | grep -q 'not a regular file' || fail "export from a pipe: $msg"
ls "$out" | grep -q '^pipe' && fail "files left by a refused export: $(ls "$out")"

# --cells smaller than some clusters: fine, with a note.
"$l0sim" stim export "$dir/good.stim" -o "$out/c2" --cells 2 > "$out/log" 2>&1 || fail "--cells 2"
grep -q 'note: clusters with more than 2 cells' "$out/log" || fail "no truncation note: $(cat "$out/log")"
[ -s "$out/c2.npz" ] && [ ! -e "$out/c2_cells.csv" ] || fail "--format npz wrote CSV or no npz"
"$l0sim" stim export "$dir/singles.stim" -o "$out/singles" --format csv > /dev/null 2>&1 || fail "singles csv"
[ -s "$out/singles_clusters.csv" ] && [ ! -e "$out/singles.npz" ] || fail "--format csv wrote npz"
echo "ok: export writes whole files and leaves nothing behind on failure"
