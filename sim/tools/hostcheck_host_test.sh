#!/usr/bin/env bash
# The running kernel as the oracle (docs/fidelity.md): a fixed corpus of
# 4,000 cases per ABI (seed 1) on the auto profile, this shard of it when
# Bazel shards the test. Fails on any unexplained difference; prints SKIPPED
# with the reason where the host cannot run it (not Linux, a kernel older
# than every profile, no ia32 emulation for that half, a sandbox that
# refuses the syscalls).
set -uo pipefail
forksim="$1"
shard="${TEST_SHARD_INDEX:-0}"
shards="${TEST_TOTAL_SHARDS:-1}"
# Tell Bazel this test knows about sharding.
[ -n "${TEST_SHARD_STATUS_FILE:-}" ] && touch "$TEST_SHARD_STATUS_FILE"

out=$(mktemp)
"$forksim" hostcheck --cases=4000 --seed=1 --shard="$shard/$shards" >"$out" 2>&1
rc=$?
cat "$out"
if grep -q "^hostcheck: SKIPPED" "$out"; then
  exit 0
fi
if [ "$rc" -eq 2 ] && grep -q "the host refuses" "$out"; then
  echo "SKIPPED: $(grep -m1 'the host refuses' "$out")"
  exit 0
fi
if [ "$rc" -ne 0 ]; then
  echo "FAIL: forksim hostcheck exited with $rc"
  exit 1
fi
if ! grep -qE '^[0-9]+ agree, [0-9]+ differ as documented, 0 unexplained' "$out"; then
  echo "FAIL: no summary line with 0 unexplained"
  exit 1
fi
echo "PASS: shard $shard/$shards, nothing unexplained"
