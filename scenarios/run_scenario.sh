#!/usr/bin/env bash
# One scenario as a Bazel test: replay it (twice, to check determinism).
set -euo pipefail
exec "$1" run --check-determinism "$2"
