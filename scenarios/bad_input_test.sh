#!/usr/bin/env bash
# The bad-input corpus: each scenarios/bad/*.bad file is a malformed scenario
# whose "# error: ..." header lines are exactly what `forksim run` must print
# on stderr, in order; the exit status must be 2 and nothing may crash.
set -uo pipefail
forksim="$1"
shift
status=0
for file in "$@"; do
  expected=$(sed -n 's/^# error: //p' "$file")
  actual=$("$forksim" run "$file" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL: $file: exit status $rc, expected 2"
    status=1
  fi
  if [ "$actual" != "$expected" ]; then
    echo "FAIL: $file: the messages differ"
    diff <(echo "$expected") <(echo "$actual")
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "$# bad input file(s): every message as expected"
exit "$status"
