#!/usr/bin/env bash
# Quick start: install, build and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
# Then the fuzz targets (tests/fuzz), briefly: a clang build of only them (build-fuzz)
# and HERALD_FUZZ_SECONDS (default 20) of fuzzing each; 0 skips. scripts/fuzz.sh 600 is
# the longer run.
if [[ "${HERALD_FUZZ_SECONDS:-20}" != 0 ]]; then
  bash scripts/fuzz.sh "${HERALD_FUZZ_SECONDS:-20}"
fi
