#!/bin/sh
# run_pytest.sh VENV TESTS_DIR WORK_DIR: pytest of the l0sim package, or exit 77 (skipped) with
# the reason when the environment is missing.
venv=$1; tests=$2; work=$3
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, cffi, pytest" 2>/dev/null; then
  echo "SKIPPED: no Python environment with numpy, cffi and pytest at $venv (make it with scripts/python-env)"
  exit 77
fi
mkdir -p "$work" && cd "$work" || exit 1
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$work/tmp" "$tests"
