#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan, UBSan) into build-fuzz and runs
# each one over its seed corpus (tests/fuzz/corpus/<target>) for N seconds.
#
#   scripts/fuzz.sh            20 s per target: the short run scripts/test.sh makes
#   scripts/fuzz.sh 600        the longer run (an hour in all; see tests/fuzz/README.md)
#   scripts/fuzz.sh 60 mime_builder expression    only these targets
#
# Targets run two at a time (HERALD_FUZZ_PARALLEL, default the number of cores). New
# inputs, logs and any crash-*, leak-*, timeout-* or oom-* input go to a scratch directory
# (HERALD_FUZZ_WORK, else a fresh one under /tmp, removed when every target passes),
# never into the repository. Exits 1 when any target finds a crash or a sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-20}"
shift || true
ALL_TARGETS=(event_parser campaign_yaml expression template_render tracking_token mime_builder)
TARGETS=("${ALL_TARGETS[@]}")
if (($#)); then TARGETS=("$@"); fi
PARALLEL="${HERALD_FUZZ_PARALLEL:-$(nproc)}"

bash scripts/install_deps.sh  # clang and libclang-rt-14-dev (libFuzzer) among the rest

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Only the fuzz targets and the libraries they link are built (target fuzz_all).
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHERALD_FUZZ=ON -DHERALD_BUILD_TESTS=OFF -DHERALD_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz --target fuzz_all -j "$(nproc)"

keep_work=1
WORK="${HERALD_FUZZ_WORK:-}"
if [[ -z "$WORK" ]]; then
  WORK="$(mktemp -d /tmp/herald-fuzz.XXXXXX)"
  keep_work=0
fi

# run_target NAME: fuzzes one target; writes libFuzzer's exit status to $WORK/NAME/status.
run_target() {
  local name="$1" dir="$WORK/$1" status=0
  mkdir -p "$dir/corpus"
  # -timeout: an input slower than 30 s (under the sanitizers) is a finding too.
  "build-fuzz/tests/fuzz/${name}_fuzz" -max_total_time="$SECONDS_PER_TARGET" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" \
    "$dir/corpus" "tests/fuzz/corpus/$name" >"$dir/log" 2>&1 || status=$?
  echo "$status" >"$dir/status"
}

for name in "${TARGETS[@]}"; do
  [[ -d "tests/fuzz/corpus/$name" ]] || { echo "fuzz: unknown target $name" >&2; exit 2; }
  while (($(jobs -rp | wc -l) >= PARALLEL)); do sleep 1; done
  echo "fuzz: $name for ${SECONDS_PER_TARGET}s"
  run_target "$name" &
done
wait

failed=()
for name in "${TARGETS[@]}"; do
  log="$WORK/$name/log"
  if [[ "$(cat "$WORK/$name/status")" == 0 ]]; then
    runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    echo "fuzz: $name ok (${runs:-?} runs)"
  else
    failed+=("$name")
    echo "fuzz: $name FAILED; log: $log"
    ls "$WORK/$name" | grep -E '^(crash|leak|timeout|oom)-' | sed "s|^|  input: $WORK/$name/|" || true
    grep -E 'ERROR|property violated|SUMMARY|runtime error' "$log" | head -5 || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (reproduce: build-fuzz/tests/fuzz/<target>_fuzz <input>)"
  exit 1
fi
if ((keep_work)); then
  echo "fuzz: new inputs in $WORK/<target>/corpus"
else
  rm -rf "$WORK"
fi
