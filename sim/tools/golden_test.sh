#!/usr/bin/env bash
# Golden outputs of `forksim explain` and `forksim graph`, checked by hand
# against the kernel facts before they were frozen. Each file's first line,
# "# command: ARGS", is the command; the rest is what it must print. When the
# output changes on purpose, check the new one the same way before replacing.
set -uo pipefail
forksim="$1"
shift
status=0
for golden in "$@"; do
  args=$(head -n 1 "$golden" | sed 's/^# command: //')
  expected=$(tail -n +2 "$golden")
  actual=$(eval "\"$forksim\" $args" 2>/dev/null)
  if [ "$actual" != "$expected" ]; then
    echo "FAIL: $golden ($args)"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | head -30
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "$# golden output(s) match"
exit "$status"
