#!/bin/sh
# numpy_check.sh L0SIM DIR SCRIPT: export stim_make's good.stim and load the results with numpy
# (SCRIPT, a Python file). Exits 77 (ctest: skipped) when python3 or numpy is missing: the
# product does not need Python, only this check does.
l0sim=$1; dir=$2; script=$3
# The first python3 that has numpy: the one on PATH (a virtualenv, pyenv) or the system's.
py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import numpy' > /dev/null 2>&1; then py=$p; break; fi
done
[ -n "$py" ] || { echo "no python3 with numpy: skipped"; exit 77; }
out=$dir/numpy_check; rm -rf "$out"; mkdir -p "$out" || exit 1
"$l0sim" stim export "$dir/good.stim" -o "$out/full" --format both > /dev/null || exit 1
"$l0sim" stim export "$dir/good.stim" -o "$out/c2" --cells 2 > /dev/null || exit 1
"$l0sim" stim export "$dir/singles.stim" -o "$out/singles" > /dev/null || exit 1
exec "$py" "$script" "$out" "$dir"
