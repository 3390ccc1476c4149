#!/usr/bin/env bash
# ./forksim bench: build the benchmarks with --config=opt, run them, and print
# the report (bench/report.py). See docs/benchmarks.md.
#
#   ./forksim bench [--format=table|json] [--full] [--no-host] [GBENCH FLAGS...]
#
#   --format=json  Google Benchmark's JSON on stdout, nothing else
#   --full         also the 1,000,000-task points and the fill of pid_max
#                  4,194,304 (about 5 GiB of RAM, a minute more)
#   --no-host      skip the real-kernel rows
# Anything else goes to the benchmark binary: --benchmark_filter=REGEX,
# --benchmark_repetitions=N, --benchmark_min_time=SECONDS, ...
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

format=table
passthrough=()
for arg in "$@"; do
  case "$arg" in
    --format=json) format=json ;;
    --format=table) format=table ;;
    --format=*)
      echo "forksim bench: unknown format ${arg#--format=} (table or json)" >&2
      exit 2
      ;;
    --full) export FORKSIM_BENCH_FULL=1 ;;
    --no-host) export FORKSIM_BENCH_NO_HOST=1 ;;
    -h | --help)
      sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) passthrough+=("$arg") ;;
  esac
done

# --symlink_prefix=/ leaves bazel-bin and friends alone: other commands of
# the launcher use them for the default configuration.
log=$(mktemp)
if ! bazel build --config=opt --symlink_prefix=/ --noshow_progress \
  //bench:forksim_bench >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "forksim bench: build failed" >&2
  exit 2
fi
rm -f "$log"
bin="$(bazel info --config=opt bazel-bin 2>/dev/null)/bench/forksim_bench"

if [ "$format" = json ]; then
  # The JSON names the binary; its absolute path would name this machine.
  "$bin" --benchmark_format=json "${passthrough[@]}" |
    sed 's|"executable": "[^"]*/bench/forksim_bench"|"executable": "bazel-bin/bench/forksim_bench"|'
  exit "${PIPESTATUS[0]}"
fi

json=$(mktemp --suffix=.json)
trap 'rm -f "$json"' EXIT
# Google Benchmark's console lines go to stderr as progress; stdout gets the
# report alone.
"$bin" --benchmark_out="$json" --benchmark_out_format=json \
  "${passthrough[@]}" >&2
python3 bench/report.py "$json"
