#!/usr/bin/env bash
# Every command quoted in a ```console block of docs/*.md runs and prints what
# the doc shows. A block's lines starting with "$ ./forksim " are commands;
# the lines after each, up to the next command or the end of the block, are
# its expected standard output.
set -uo pipefail
forksim="$1"
shift
status=0
commands=0

check() {  # file, command, expected
  local actual
  actual=$(eval "\"$forksim\" ${2#./forksim }" 2>/dev/null)
  commands=$((commands + 1))
  if [ "$actual" != "$3" ]; then
    echo "FAIL: $1: $2"
    diff <(printf '%s\n' "$3") <(printf '%s\n' "$actual") | head -20
    status=1
  fi
}

for doc in "$@"; do
  in_block=0 cmd="" expected=""
  while IFS= read -r line; do
    if [ "$in_block" -eq 0 ]; then
      [ "$line" = '```console' ] && in_block=1
      continue
    fi
    if [ "$line" = '```' ] || [[ "$line" == '$ '* ]]; then
      [ -n "$cmd" ] && check "$doc" "$cmd" "$expected"
      cmd="" expected=""
      if [ "$line" = '```' ]; then
        in_block=0
      else
        cmd="${line#\$ }"
      fi
      continue
    fi
    if [ -z "$expected" ]; then expected="$line"; else expected="$expected"$'\n'"$line"; fi
  done < "$doc"
done
[ "$status" -eq 0 ] && echo "$commands documented command(s) print what the docs show"
[ "$commands" -gt 0 ] || { echo "FAIL: no documented commands found"; status=1; }
exit "$status"
