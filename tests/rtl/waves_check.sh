#!/bin/sh
# waves_check.sh L0SIM DIR: `l0sim waves` writes an FST and a GTKWave save file; GTKWave's own
# fst2vcd (a tool not written here) reads the FST, and every signal the save file names must be
# in it, with the width the save file says.
set -eu
l0sim=$1 dir=$2
rm -rf "$dir"
"$l0sim" waves -o "$dir" --clusters 12 >"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
fst2vcd "$dir/l0_engine.fst" >"$dir/dump.vcd" 2>/dev/null
# Full names (scope path . name) and widths of every variable in the dump.
awk '
  $1 == "$scope" { path[++d] = $3 }
  $1 == "$upscope" { d-- }
  $1 == "$var" {
    name = ""; for (i = 1; i <= d; i++) name = name path[i] "."
    print name $5 " " $3
  }' "$dir/dump.vcd" | sort -u >"$dir/vars.txt"
missing=0 found=0
# Signals in the save file: skip directives ([...], @flags, -comments, [*]); drop a +{alias}.
grep -v '^\[' "$dir/l0_engine.gtkw" | grep -v '^[@*-]' | sed 's/^+{[^}]*} //' >"$dir/wanted.txt"
while read -r sig; do
  base=${sig%\[*:*\]}
  width=1
  case "$sig" in *\[*:*\]) r=${sig##*\[}; r=${r%\]}; width=$(( ${r%%:*} - ${r##*:} + 1 )) ;; esac
  if grep -qxF "$base $width" "$dir/vars.txt"; then
    found=$((found + 1))
  else
    echo "MISSING in the FST: $sig (width $width)"
    missing=$((missing + 1))
  fi
done <"$dir/wanted.txt"
echo "waves_check: $found signals of the save file found in the FST (read by fst2vcd), $missing missing"
[ "$missing" -eq 0 ] && [ "$found" -gt 20 ]
