#!/usr/bin/env bash
# Tracking benchmark (issue 5): herald's open pixel and click redirect beside nginx serving
# the same GIF, then report latency over millions of recorded engagement events, in one run.
#   bash bench/run_track_bench.sh [SECONDS]
# Installs the --bench packages, builds track_bench (RelWithDebInfo, build-trbench), runs
# everything on loopback and stops everything it started. Environment:
#   TRACK_MESSAGES (100000)   messages seeded for the HTTP runs (3 links each, SMS 1)
#   TRACK_EVENTS (10000000)   events recorded for the report latency (0: no report run)
#   TRACK_REPORT_MESSAGES (1000000), TRACK_MAX_SECONDS (0: no limit on recording)
#   WRK_THREADS (2), WRK_CONNECTIONS (32): the same for nginx and herald
#   HERALD_BUILD_DIR=DIR      use a track_bench already built there
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
MESSAGES="${TRACK_MESSAGES:-100000}"
EVENTS="${TRACK_EVENTS:-10000000}"
REPORT_MESSAGES="${TRACK_REPORT_MESSAGES:-1000000}"
MAX_SECONDS="${TRACK_MAX_SECONDS:-0}"
T="${WRK_THREADS:-2}"
C="${WRK_CONNECTIONS:-32}"

bash scripts/install_deps.sh --bench >/dev/null
BUILD="${HERALD_BUILD_DIR:-}"
if [[ -z "$BUILD" ]]; then
  BUILD=build-trbench
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build "$BUILD" --target track_bench -j2 >/dev/null
fi
BENCH="./$BUILD/bench/track_bench"
WORK="$(mktemp -d)"
NGINX_PID=""
HERALD_PID=""
cleanup() {
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null || true
  [[ -n "$HERALD_PID" ]] && kill "$HERALD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
run_wrk() {  # NAME URL FILE
  echo "== $1: wrk -t$T -c$C -d${SECONDS_PER_RUN}s --latency (load average before: $(load))"
  wrk -t"$T" -c"$C" -d"${SECONDS_PER_RUN}s" --latency -s bench/track_paths.lua "$2" -- "$3" |
    grep -vE '^\s*(Thread Stats|Running|[0-9]+ threads)' || true
  echo "   load average after: $(load)"
}

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(load)"
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"

# herald: seeds the store and writes the token files, then serves.
mkdir -p "$WORK/herald"
"$BENCH" --serve --messages "$MESSAGES" --dir "$WORK/herald" >"$WORK/herald.log" 2>&1 &
HERALD_PID=$!
for _ in $(seq 1200); do
  grep -q '^port ' "$WORK/herald.log" && break
  kill -0 "$HERALD_PID" 2>/dev/null || { cat "$WORK/herald.log"; exit 1; }
  sleep 0.5
done
HERALD_PORT="$(sed -n 's/^port //p' "$WORK/herald.log")"
[[ -n "$HERALD_PORT" ]] || { cat "$WORK/herald.log"; exit 1; }
sed 's/^/   herald: /' "$WORK/herald.log"

# nginx: our own instance (never the system service), one worker, no access log, the
# 43-byte GIF herald sends with the same headers, on every /o/ path.
NGINX_PORT="$(free_port)"
mkdir -p "$WORK/nginx/html/o" "$WORK/nginx/tmp"
printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b' \
  >"$WORK/nginx/html/pixel.gif"
[[ "$(stat -c %s "$WORK/nginx/html/pixel.gif")" == 43 ]] || { echo "bad GIF"; exit 1; }
chmod -R a+rX "$WORK"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/nginx/html;
    location /o/ {
      types { }
      default_type image/gif;
      etag off;
      add_header Cache-Control "no-store, private";
      rewrite ^ /pixel.gif break;
    }
  }
}
EOF
nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/o/x" && break; sleep 0.1; done

OPEN1="$(head -1 "$WORK/herald/open.txt")"
CLICK1="$(head -1 "$WORK/herald/click.txt")"
echo "== one request each (headers):"
curl -s -D - -o /dev/null "http://127.0.0.1:$NGINX_PORT$OPEN1" | sed 's/^/   nginx: /'
curl -s -D - -o /dev/null "http://127.0.0.1:$HERALD_PORT$OPEN1" | sed 's/^/   herald pixel: /'
curl -s -D - -o /dev/null "http://127.0.0.1:$HERALD_PORT$CLICK1" | sed 's/^/   herald click: /'

run_wrk "ceiling: nginx (1 worker) static GIF on the open-token paths" \
  "http://127.0.0.1:$NGINX_PORT" "$WORK/herald/open.txt"
run_wrk "herald: GET /o/{token} (open pixel, records each open)" \
  "http://127.0.0.1:$HERALD_PORT" "$WORK/herald/open.txt"
run_wrk "herald: GET /c/{token} (click, records each click, 302)" \
  "http://127.0.0.1:$HERALD_PORT" "$WORK/herald/click.txt"
# The same GIF from herald without the store: a path Decode refuses at once (wrong length),
# so this is herald's HTTP layer alone (routing, the pixel, metrics), for the profile.
sed 's#^/o/#/o/x#' "$WORK/herald/open.txt" >"$WORK/herald/not_a_token.txt"
run_wrk "herald: GET /o/x{token} (not a token: the GIF only, no store)" \
  "http://127.0.0.1:$HERALD_PORT" "$WORK/herald/not_a_token.txt"
run_wrk "ceiling again: nginx (1 worker) static GIF" \
  "http://127.0.0.1:$NGINX_PORT" "$WORK/herald/open.txt"

kill "$NGINX_PID" "$HERALD_PID" 2>/dev/null || true
wait "$NGINX_PID" "$HERALD_PID" 2>/dev/null || true
NGINX_PID=""
HERALD_PID=""
rm -rf "$WORK/herald"

if [[ "$EVENTS" == 0 ]]; then echo "== done, no report run (load $(load))"; exit 0; fi
echo "== report latency: $EVENTS events over $REPORT_MESSAGES messages (load $(load))"
"$BENCH" --report-latency --events "$EVENTS" --messages "$REPORT_MESSAGES" \
  --max-seconds "$MAX_SECONDS" --dir "$WORK/report"
echo "== done (load $(load))"
