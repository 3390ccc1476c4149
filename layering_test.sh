#!/usr/bin/env bash
# The include graph of the project's C++ against the intended direction of
# its packages (see BUILD). Prints each offending include and fails on any.
set -uo pipefail
status=0
fail() {
  echo "FAIL: $*"
  status=1
}

# The package directory of a source file: sim/kernel, model, ...
package_of() {
  case "$1" in
    model/kernel/*) echo model/kernel ;;
    model/*) echo model ;;
    sim/kernel/*) echo sim/kernel ;;
    sim/scenario/*) echo sim/scenario ;;
    sim/hostcheck/*) echo sim/hostcheck ;;
    sim/tools/*) echo sim/tools ;;
    bench/*) echo bench ;;
    *) echo other ;;
  esac
}

# Which packages a package may include from.
allowed() {
  local from="$1" to="$2"
  [ "$from" = "$to" ] && return 0
  case "$from:$to" in
    model:model/kernel | model/kernel:model) return 0 ;;
    sim/kernel:model | sim/kernel:model/kernel) return 0 ;;
    sim/scenario:model | sim/scenario:model/kernel | sim/scenario:sim/kernel) return 0 ;;
    sim/tools:model | sim/tools:model/kernel | sim/tools:sim/kernel) return 0 ;;
    sim/hostcheck:model | sim/hostcheck:model/kernel | sim/hostcheck:sim/kernel) return 0 ;;
    sim/tools:sim/scenario | sim/tools:sim/hostcheck) return 0 ;;
    bench:sim/hostcheck) return 0 ;;
    bench:model | bench:model/kernel | bench:sim/kernel) return 0 ;;
  esac
  return 1
}

files=$(find bench model sim -name '*.h' -o -name '*.cc' | sort)
[ -n "$files" ] || fail "no sources found"
checked=0
for file in $files; do
  from=$(package_of "$file")
  while IFS= read -r header; do
    [ -f "$header" ] || continue  # a system or third-party header
    checked=$((checked + 1))
    to=$(package_of "$header")
    allowed "$from" "$to" || fail "$file includes $header ($from -> $to)"
    if owner=$(grep -m1 -oE '^// Private to [a-z/]+' "$header"); then
      owner=${owner#// Private to }
      [ "$from" = "$owner" ] ||
        fail "$file includes $header, which is private to $owner"
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done
[ "$checked" -gt 100 ] || fail "only $checked includes checked: sources missing?"
[ "$status" -eq 0 ] && echo "$checked includes follow the direction of the packages"
exit "$status"
