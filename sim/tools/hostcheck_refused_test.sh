#!/usr/bin/env bash
# A host that refuses clone3 with ENOSYS although its kernel has it (a
# seccomp sandbox) gets a clear message and exit status 2, not a run of
# thousands of "differences".
set -uo pipefail
seccomp_enosys="$1"
forksim="$2"
major_minor=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
read -r major minor <<<"$major_minor"
if [ "$(uname -s)" != Linux ] || [ "$major" -lt 5 ] ||
  { [ "$major" -eq 5 ] && [ "$minor" -lt 3 ]; }; then
  echo "SKIPPED: the host kernel has no clone3 to refuse"
  exit 0
fi
err=$("$seccomp_enosys" 435 "$forksim" hostcheck --cases=10 2>&1 >/dev/null)
rc=$?
if [ "$rc" -ne 2 ]; then
  echo "FAIL: exit status $rc, expected 2; stderr: $err"
  exit 1
fi
want="the host refuses clone3 on x86_64 with ENOSYS, although its kernel has it"
if [[ "$err" != *"$want"* ]]; then
  echo "FAIL: stderr does not say '$want': $err"
  exit 1
fi
echo "PASS: $err"
