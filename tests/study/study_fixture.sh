#!/bin/sh
# study_fixture.sh L0SIM DIR: the data of the study's CLI tests, made with the project's own
# commands: two small singles files (training, evaluation) and three models of different sizes
# trained for a few epochs.
l0sim=$1; dir=$2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
run() {
  "$@" > "$dir/fixture.log" 2>&1 || { echo "FAIL: $*"; cat "$dir/fixture.log"; exit 1; }
}
run "$l0sim" gen --singles 400 --seed 5 -q -o "$dir/train.l0s"
run "$l0sim" gen --singles 200 --seed 6 -q -o "$dir/eval.l0s"
run "$l0sim" train --data "$dir/train.l0s" --phi 4 --rho 4,1 --epochs 3 -q -o "$dir/small.json"
run "$l0sim" train --data "$dir/train.l0s" --phi 8,8 --rho 8,1 --epochs 3 -q -o "$dir/medium.json"
run "$l0sim" train --data "$dir/train.l0s" --phi 16,16 --rho 16,16,1 --epochs 3 -q \
    -o "$dir/large.json"
echo "ok: study test data in $dir"
