#!/bin/sh
# expect.sh CODE REGEX CMD [ARGS...]: run CMD, require exit status CODE and output (stdout and
# stderr together) matching the extended regular expression REGEX. Says what it saw otherwise.
code=$1; pattern=$2; shift 2
out=$("$@" 2>&1); got=$?
if [ "$got" -ne "$code" ]; then
  printf 'FAIL: %s\n  exit status %s, expected %s\n  output:\n%s\n' "$*" "$got" "$code" "$out"
  exit 1
fi
if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
  printf 'FAIL: %s\n  output does not match /%s/:\n%s\n' "$*" "$pattern" "$out"
  exit 1
fi
printf 'ok: %s (exit %s)\n' "$*" "$got"
