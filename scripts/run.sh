#!/usr/bin/env bash
# Quick start: install, build and run the engine on its embedded defaults
# (samples/herald.yaml compiled in): the HTTP API on 127.0.0.1:8080, the event log in
# ./data, the file outbox connector as the sink. Extra arguments go to `herald serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./build/herald serve "$@"
