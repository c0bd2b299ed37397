#!/usr/bin/env bash
# Load and soak test: a steady event rate with tracking traffic against `herald serve`.
#
#   bash scripts/soak.sh [seconds] [events_per_second] [driver options...]
#   bash scripts/soak.sh 600 200        # the 10-minute run of docs/reliability.md
#   bash scripts/soak.sh 45 50          # the short form ctest runs (tests/soak)
#
# Builds herald into ./build (scripts/build.sh) unless HERALD_BIN names a binary, then runs
# tests/soak/soak.py: herald on a temporary data directory, events posted at the rate
# (1 in 4 sends an email through the file connector), every email's open pixel, clicks and
# unsubscribe links fetched, and RSS, open fds, threads, /metrics and the backlog sampled.
# Prints a table and a summary line; exits 1 when a check fails (errors, 5xx, RSS growth
# over the second half, fd or thread growth, a growing or undrained backlog), 2 on a setup
# error. `python3 tests/soak/soak.py --help` lists the checks and the driver options
# (--json FILE keeps every sample, --keep keeps the data directory and herald's log).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-600}"
rate="${2:-200}"
shift $(($# < 2 ? $# : 2))

if [[ -n "${HERALD_BIN:-}" ]]; then
  bin="$HERALD_BIN"
  if [[ ! -x "$bin" ]]; then
    echo "soak: HERALD_BIN=$bin is not an executable" >&2
    exit 2
  fi
else
  bash "$root/scripts/build.sh"
  bin="$root/build/herald"
fi

exec python3 "$root/tests/soak/soak.py" --herald "$bin" --seconds "$seconds" --rate "$rate" "$@"
