#!/usr/bin/env bash
# The benchmarks' smoke test: every row runs one iteration at its smallest
# size (FORKSIM_BENCH_SMOKE=1), and the report must render with no model row
# in error and every uaccess counter as the path requires. No timing is
# checked: speed goals live in the benchmarks (docs/benchmarks.md).
set -euo pipefail

bench="$1"
report="$2"
out="${TEST_TMPDIR:-$(mktemp -d)}/smoke.json"

FORKSIM_BENCH_SMOKE=1 "$bench" --benchmark_min_time=0 \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 "$report" --check "$out"
