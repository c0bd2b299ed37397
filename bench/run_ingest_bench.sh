#!/usr/bin/env bash
# Ingest benchmark: herald's durable ingest beside the raw RocksDB ceiling, in one run.
#   bash bench/run_ingest_bench.sh [SECONDS]
# Builds first (scripts/build.sh), installs wrk, runs on loopback, prints a summary.
# HERALD_BUILD_DIR=DIR uses binaries already built there instead of building ./build.
# HERALD_BENCH_CONFIG=FILE serves with that config (default bench/ingest_only.yaml: no
# campaigns); HERALD_BENCH_CONFIG=embedded runs the sample campaigns alongside ingest.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
bash scripts/install_deps.sh --bench
BUILD="${HERALD_BUILD_DIR:-}"
if [[ -z "$BUILD" ]]; then
  bash scripts/build.sh >/dev/null
  BUILD=build
fi
BIN="./$BUILD/herald"
WORK="$(mktemp -d)"
PORT=$((20000 + RANDOM % 20000))
KEY=herald-dev-key
trap 'kill "${PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== ceiling: raw RocksDB WriteBatch, 1000 records of 300 bytes per batch, sync=true"
"./$BUILD/bench/raw_rocksdb_bench" --dir "$WORK/raw" --records 1000000 --batch 1000 --value-bytes 300 --sync 1

echo "== herald $("$BIN" --version | cut -d' ' -f2), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
CONFIG="${HERALD_BENCH_CONFIG:-bench/ingest_only.yaml}"
CONFIG_ARGS=(--config "$CONFIG")
if [[ "$CONFIG" == embedded ]]; then CONFIG_ARGS=(); fi
echo "== config: $CONFIG"
"$BIN" serve "${CONFIG_ARGS[@]}" --listen "127.0.0.1:$PORT" --data-dir "$WORK/herald" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

echo "== herald: 1000-event NDJSON batches, 4 connections, synced"
"./$BUILD/bench/ingest_load" --url "http://127.0.0.1:$PORT" --key "$KEY" --threads 4 --batch 1000 --seconds "$SECONDS_PER_RUN" --run batch

echo "== herald: single-event requests over keep-alive, wrk -t2 -c32, synced"
wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" --latency -s bench/single_event.lua "http://127.0.0.1:$PORT" -- "$KEY" single

echo "== server after the run"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^herald_(events_ingested_total|events_duplicate_total|log_last_sequence|store_size_bytes)'
