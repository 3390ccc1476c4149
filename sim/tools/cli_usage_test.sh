#!/usr/bin/env bash
# Bad command lines get a clear message on stderr and exit status 2, never a
# crash: each case is ARGS, then the message the first stderr line must hold.
set -uo pipefail
forksim="$1"
scenario="$2"
status=0
check() {  # expected message, args...
  local want="$1"
  shift
  local err rc
  err=$("$forksim" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL: forksim $*: exit status $rc, expected 2"
    status=1
  fi
  if [[ "$(echo "$err" | head -n 1)" != *"$want"* ]]; then
    echo "FAIL: forksim $*: stderr does not say '$want':"
    echo "$err"
    status=1
  fi
}
check "--profile=4.19: expected one of 5.2-rc1, 5.2-rc1+clone6, 5.2, 5.3, 6.12" \
  explain --profile=4.19 "$scenario"
check "--diff-profiles=5.3: expected two or more profiles" \
  explain --diff-profiles=5.3 "$scenario"
check "--diff-profiles=5.3,4.19: '4.19' is not a profile" \
  explain --diff-profiles=5.3,4.19 "$scenario"
check "--abi=sparc: expected x86_64, ia32 or i386" \
  explain --abi=sparc "$scenario"
# hostcheck refuses bad flags before it touches the host.
check "--profile=4.19: unknown profile, expected auto or one of" \
  hostcheck --profile=4.19
check "--family=clone4: unknown family 'clone4', expected clone, clone3, fork" \
  hostcheck --family=clone4
check "--abi=i386: expected x86_64, ia32 or both" hostcheck --abi=i386
check "--cases=0: expected 1 to 10000000 cases per ABI" hostcheck --cases=0
check "--cases=-5: expected 1 to 10000000 cases per ABI" hostcheck --cases=-5
check "--cases=99999999999: expected 1 to 10000000 cases per ABI" \
  hostcheck --cases=99999999999
check "--cases=abc: expected 1 to 10000000 cases per ABI" hostcheck --cases=abc
check "--seed=-1: expected a number from 0 to 2^64-1" hostcheck --seed=-1
check "--shard=3/3: expected K/N with 0 <= K < N <= 100000" \
  hostcheck --shard=3/3
check "--shard=x: expected K/N" hostcheck --shard=x
check "--format=xml: expected text or json" hostcheck --format=xml
check "hostcheck takes no FILE" hostcheck "$scenario"
[ "$status" -eq 0 ] && echo "every bad command line is refused with its message"
exit "$status"
