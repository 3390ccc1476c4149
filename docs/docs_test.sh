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
# A table a doc quotes from the CLI: the line `<!-- output of: ./forksim
# ARGS -->` is followed by exactly what that command prints (up to the next
# blank line), so the doc cannot drift from the code's own tables.
quoted_outputs=0
for doc in "$@"; do
  while IFS= read -r marker; do
    lineno=${marker%%:*}
    cmd=$(echo "$marker" | sed -E 's/^[0-9]+:<!-- output of: (.*) -->$/\1/')
    expected=$(tail -n +"$((lineno + 1))" "$doc" | sed '/^$/,$d')
    quoted_outputs=$((quoted_outputs + 1))
    check "$doc" "$cmd" "$expected"
  done < <(grep -n '^<!-- output of: ' "$doc")
done
# Every other ./forksim command the docs quote (in prose or code) must run
# and exit 0. Synopses (FILE, DIR, LINE, [...]) and a bare command name are
# not runnable; `./forksim bench` and `./forksim test` belong to the
# launcher, not to the CLI binary, and are left to their own tests.
quoted=0
while IFS= read -r cmd; do
  cmd="${cmd%-->}"  # a table marker's end
  cmd="${cmd%"${cmd##*[![:space:]]}"}"
  case "$cmd" in
    *FILE*|*DIR*|*LINE*|*'['*|*'...'*) continue ;;
  esac
  [ "$(echo "$cmd" | wc -w)" -ge 3 ] || continue
  quoted=$((quoted + 1))
  if ! eval "\"$forksim\" ${cmd#./forksim }" >/dev/null 2>&1; then
    echo "FAIL: a quoted command does not run: $cmd"
    status=1
  fi
done < <(grep -ohE '\./forksim (layout|run|explain|graph|trace|profiles)[^`#]*' "$@" | sort -u)
[ "$status" -eq 0 ] && echo "$commands documented command(s) print what the docs show ($quoted_outputs quoted tables); $quoted quoted command(s) run"
[ "$commands" -gt 0 ] || { echo "FAIL: no documented commands found"; status=1; }
exit "$status"
