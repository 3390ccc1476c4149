#!/usr/bin/env bash
# Checks the layout tables against the real compiler on each ABI: generates a
# probe per ABI, compiles it with g++ -m64 (x86_64) or -m32 (ia32, i386; from
# g++-multilib), and runs it. A wrong offset, size or alignment fails the
# compile; a wrong bitfield position fails the run.
set -euo pipefail
gen="$1"
work="${TEST_TMPDIR:-$(mktemp -d)}"
status=0
for abi in x86_64 ia32 i386; do
  case "$abi" in x86_64) mflag=-m64 ;; *) mflag=-m32 ;; esac
  "$gen" "$abi" >"$work/probe_$abi.cc"
  if ! g++ -std=c++20 "$mflag" -Wall -Werror -o "$work/probe_$abi" "$work/probe_$abi.cc"; then
    echo "FAIL: $abi: the probe does not compile with g++ $mflag (see above)"
    status=1
    continue
  fi
  if ! "$work/probe_$abi"; then
    echo "FAIL: $abi: bitfield positions differ"
    status=1
  fi
done
exit "$status"
