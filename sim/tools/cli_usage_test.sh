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
[ "$status" -eq 0 ] && echo "every bad command line is refused with its message"
exit "$status"
