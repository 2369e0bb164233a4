#!/bin/sh
# run_cocotb.sh VENV L0SIM MODEL LANES REG_EVERY WORK: the cocotb testbench under Icarus (ctest
# label python), or exit 77 (skipped) with the reason when cocotb or Icarus is missing.
venv=$1; l0sim=$2; model=$3; lanes=$4; reg=$5; work=$6
tb=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$venv/bin/cocotb-config" ]; then
  echo "SKIPPED: cocotb not installed in $venv (make it with scripts/python-env)"; exit 77
fi
command -v iverilog >/dev/null || { echo "SKIPPED: no iverilog (Debian package iverilog)"; exit 77; }
mkdir -p "$work" && cd "$work" || exit 1
rm -f results.xml
PATH=$venv/bin:$PATH make -s -f "$tb/Makefile" L0SIM="$l0sim" MODEL="$model" LANES="$lanes" \
  REG_EVERY="$reg" CLUSTERS=${L0SIM_CLUSTERS:-40} || exit 1
# cocotb's own JUnit file: every test must have passed
[ -s results.xml ] || { echo "FAIL: no results.xml"; exit 1; }
if grep -q "<failure" results.xml; then echo "FAIL: see $work/results.xml"; exit 1; fi
n=$(grep -c "<testcase" results.xml)
[ "$n" -ge 2 ] || { echo "FAIL: $n testcases ran"; exit 1; }
echo "cocotb: $n tests passed ($work/results.xml)"
