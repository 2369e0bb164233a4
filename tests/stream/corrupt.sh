#!/bin/sh
# corrupt.sh IN OUT: copy the stimulus file IN to OUT with 64 bytes in its middle overwritten
# (a block whose checksum no longer matches).
in=$1; out=$2
size=$(wc -c < "$in")
cp "$in" "$out" || exit 1
head -c 64 /dev/zero | tr '\0' '\377' |
  dd of="$out" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null || exit 1
