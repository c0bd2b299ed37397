#!/usr/bin/env bash
# Messages benchmark (issue 4): herald rendering and queueing messages, then handing them to
# the file connector, an SMTP sink and the SMS test server, each beside the sink's own
# ceiling measured in the same run. See docs/benchmarks.md ("Messages (issue 4)").
#   bash bench/run_messages_bench.sh [MESSAGES] [REPEATS]     (defaults 20000, 3)
# Installs the --bench packages (postfix for smtp-sink/smtp-source, wrk), builds
# messages_bench and sms_test_server (RelWithDebInfo) in ${HERALD_BUILD_DIR:-build-mbench},
# starts smtp-sink and sms_test_server on free loopback ports, and for every repetition:
#   1. herald render+queue only (email/SMS mix), then the file connector and its raw ceiling
#      (both inside messages_bench);
#   2. ceilings into the same smtp-sink: `smtp-source -s 20 -m N` (one session per message,
#      smtp-source's own small message: the usual reference), and `smtp-source -d -s C -m N
#      -F sample.eml` (C reused connections like herald's, herald's typical message); then
#      herald to the sink;
#   3. ceiling of the SMS server: wrk -t2 -cC for WRK_SECONDS posting herald's typical SMS
#      as the Twilio form the connector sends (same auth, fields, connection count); then
#      herald to the same server.
# Then it stops both servers and prints every figure and the medians.
# Knobs (environment): SMTP_CONCURRENCY (16), SMS_CONCURRENCY (16), WRK_SECONDS (5),
# SMTP_SOURCE_SESSIONS (20), HERALD_BENCH_SYNC (1).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
REPS="${2:-3}"
SMTP_CONC="${SMTP_CONCURRENCY:-16}"
SMS_CONC="${SMS_CONCURRENCY:-16}"
WRK_SECONDS="${WRK_SECONDS:-5}"
SOURCE_SESSIONS="${SMTP_SOURCE_SESSIONS:-20}"
SYNC="${HERALD_BENCH_SYNC:-1}"

bash scripts/install_deps.sh --bench
BUILD="${HERALD_BUILD_DIR:-build-mbench}"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j2 --target messages_bench sms_test_server >/dev/null
BENCH="./$BUILD/bench/messages_bench"
SMS_SERVER="./$BUILD/tests/sms_server/sms_test_server"

WORK="$(mktemp -d)"
SINK_PID=""
SMS_PID=""
cleanup() {
  if [[ -n "$SINK_PID" ]]; then kill "$SINK_PID" 2>/dev/null || true; fi
  if [[ -n "$SMS_PID" ]]; then kill "$SMS_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
RESULTS="$WORK/results.txt"
: >"$RESULTS"
# record NAME REP VALUE
record() { echo "$1 $2 $3" >>"$RESULTS"; }

echo "== machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- engine connectors templates 2>/dev/null || echo ' (engine, connectors or templates modified in the work tree)')"
echo "== messages per run: $N; repetitions: $REPS; smtp connections: $SMTP_CONC; sms connections: $SMS_CONC; stores sync=$SYNC"

# smtp-sink: discards every message; -u is required when running as root.
SINK_PORT=""
for _ in 1 2 3 4 5; do
  SINK_PORT="$(free_port)"
  SINK_USER=()
  if [[ "$(id -u)" -eq 0 ]]; then SINK_USER=(-u nobody); fi
  /usr/sbin/smtp-sink "${SINK_USER[@]}" "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.log" 2>&1 &
  SINK_PID=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then break; fi
    sleep 0.1
  done
  if kill -0 "$SINK_PID" 2>/dev/null; then break; fi
  SINK_PID=""
done
[[ -n "$SINK_PID" ]] || { echo "smtp-sink did not start" >&2; cat "$WORK/sink.log" >&2; exit 1; }
echo "== smtp-sink on 127.0.0.1:$SINK_PORT (pid $SINK_PID)"

# sms_test_server: picks a free port itself and prints it; nothing kept in memory.
"$SMS_SERVER" --no-memory >"$WORK/sms.out" 2>"$WORK/sms.err" &
SMS_PID=$!
SMS_PORT=""
for _ in $(seq 100); do
  SMS_PORT="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/sms.out")"
  [[ -n "$SMS_PORT" ]] && break
  sleep 0.1
done
[[ -n "$SMS_PORT" ]] || { echo "sms_test_server did not start" >&2; cat "$WORK/sms.err" >&2; exit 1; }
echo "== sms_test_server on 127.0.0.1:$SMS_PORT (pid $SMS_PID, --no-memory)"

COMMON=(--messages "$N" --sync "$SYNC" --smtp-url "smtp://127.0.0.1:$SINK_PORT"
  --smtp-concurrency "$SMTP_CONC" --sms-url "http://127.0.0.1:$SMS_PORT"
  --sms-concurrency "$SMS_CONC")

# Warm-up (not reported): renders 2,000 messages and keeps the typical email and SMS, which
# the ceilings send.
"$BENCH" --targets render --messages 2000 --sync "$SYNC" --sample-eml "$WORK/sample.eml" \
  --sample-sms "$WORK/sample.sms" >"$WORK/warmup.log"
echo "== typical herald email $(wc -c <"$WORK/sample.eml") bytes, SMS $(wc -c <"$WORK/sample.sms") bytes"

# The Twilio form the connector posts, for wrk.
SID=AC0123456789abcdef0123456789abcdef
TOKEN=sms-test-auth-token
BODY="$(python3 - "$WORK/sample.sms" <<'EOF'
import sys, urllib.parse
text = open(sys.argv[1], encoding="utf-8").read()
print(urllib.parse.urlencode({"To": "+13125550143", "From": "+14155550199", "Body": text,
    "StatusCallback": "http://localhost:8080/v1/receipts/sms?m=0123456789abcdef0123456789abcdef"}))
EOF
)"
cat >"$WORK/sms_post.lua" <<EOF
wrk.method = "POST"
wrk.body = "$BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf '%s:%s' "$SID" "$TOKEN" | base64 -w0)"
EOF
SMS_URL="http://127.0.0.1:$SMS_PORT/2010-04-01/Accounts/$SID/Messages.json"

herald() {  # herald TARGET REP
  local log="$WORK/herald-$1-$2.log"
  "$BENCH" --targets "$1" "${COMMON[@]}" >"$log"
  grep -v -e '^RESULT' -e '^messages_bench:' "$log" | sed "s/ #1\]/ #$2]/"
  grep '^RESULT' "$log" | sed "s/ rep=1 / rep=$2 /" >>"$WORK/herald-results.txt"
}

for r in $(seq "$REPS"); do
  echo
  echo "== repetition $r of $REPS (load $(cut -d' ' -f1-3 /proc/loadavg))"
  herald render "$r"
  herald file "$r"

  t0="$(now)"
  /usr/sbin/smtp-source -s "$SOURCE_SESSIONS" -m "$N" "127.0.0.1:$SINK_PORT"
  t1="$(now)"
  v="$(rate "$N" "$t0" "$t1")"
  record smtp_source "$r" "$v"
  echo "[ceiling #$r] smtp-source -s $SOURCE_SESSIONS -m $N (one session per message): $v msg/s"
  t0="$(now)"
  /usr/sbin/smtp-source -d -s "$SMTP_CONC" -m "$N" -F "$WORK/sample.eml" "127.0.0.1:$SINK_PORT"
  t1="$(now)"
  v="$(rate "$N" "$t0" "$t1")"
  record smtp_source_reuse "$r" "$v"
  echo "[ceiling #$r] smtp-source -d -s $SMTP_CONC -m $N -F sample.eml (reused connections, herald's message): $v msg/s"
  herald smtp "$r"

  wrk -t2 -c"$SMS_CONC" -d"${WRK_SECONDS}s" -s "$WORK/sms_post.lua" "$SMS_URL" >"$WORK/wrk-$r.log"
  v="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk-$r.log")"
  bad="$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk-$r.log")"
  record sms_wrk "$r" "$v"
  echo "[ceiling #$r] wrk -t2 -c$SMS_CONC -d${WRK_SECONDS}s POST Messages.json (herald's SMS form): $v msg/s, non-2xx ${bad:-0}"
  herald sms "$r"
done

# Herald figures into the same table.
awk '{
  target = ""; phase = ""; rep = ""; per = ""
  for (i = 2; i <= NF; i++) {
    split($i, kv, "=")
    if (kv[1] == "target") target = kv[2]
    if (kv[1] == "phase") phase = kv[2]
    if (kv[1] == "rep") rep = kv[2]
    if (kv[1] == "per_s") per = kv[2]
  }
  print target "_" phase, rep, per
}' "$WORK/herald-results.txt" >>"$RESULTS"

echo
echo "== every figure (msg/s, by repetition)"
sort -k1,1 -k2,2n "$RESULTS" | awk '
  $1 != last { if (last != "") print line; line = sprintf("%-22s", $1); last = $1 }
  { line = line sprintf(" %8s", $3) }
  END { print line }'

echo
echo "== herald / ceiling in each repetition"
ratio_line() {  # ratio_line LABEL HERALD_KEY CEILING_KEY
  awk -v h="$2" -v c="$3" -v label="$1" '
    $1 == h { hv[$2] = $3 } $1 == c { cv[$2] = $3 }
    END {
      line = sprintf("%-34s", label)
      for (r = 1; r in hv; r++) line = line sprintf(" %6.0f%%", (r in cv && cv[r] > 0) ? 100 * hv[r] / cv[r] : 0)
      print line }' "$RESULTS"
}
ratio_line "file / raw file writes" file_send file_ceiling
ratio_line "smtp / smtp-source -s 20" smtp_send smtp_source
ratio_line "smtp / smtp-source -d, herald eml" smtp_send smtp_source_reuse
ratio_line "sms / wrk" sms_send sms_wrk

echo
echo "== medians over $REPS repetitions (min..max), msg/s"
median() {  # median NAME -> "median min max"
  awk -v k="$1" '$1 == k { print $3 }' "$RESULTS" | sort -n | awk '
    { v[NR] = $1 } END {
      if (NR == 0) { print "- - -"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'
}
row() {  # row LABEL HERALD_KEY CEILING_KEY GOAL
  read -r hm hlo hhi <<<"$(median "$2")"
  if [[ -n "$3" ]]; then
    read -r cm clo chi <<<"$(median "$3")"
    ratio="$(awk -v a="$hm" -v b="$cm" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
    printf '%-34s herald %7s (%s..%s)   ceiling %7s (%s..%s)   %5s   goal %s\n' \
      "$1" "$hm" "$hlo" "$hhi" "$cm" "$clo" "$chi" "$ratio" "$4"
  else
    printf '%-34s herald %7s (%s..%s)   goal %s\n' "$1" "$hm" "$hlo" "$hhi" "$4"
  fi
}
row "render+queue, email/SMS mix" render_render "" ">= 50000"
row "render+queue, email only" smtp_render "" ""
row "render+queue, SMS only" sms_render "" ""
row "file connector (mix)" file_send file_ceiling ""
row "SMTP sink (vs smtp-source -s 20)" smtp_send smtp_source ">= 2500"
row "SMTP sink (vs -d, herald's eml)" smtp_send smtp_source_reuse ""
row "SMS server (vs wrk)" sms_send sms_wrk ">= 10000"

echo
echo "== sms_test_server counters at exit"
kill "$SMS_PID" 2>/dev/null || true
wait "$SMS_PID" 2>/dev/null || true
SMS_PID=""
tail -n 1 "$WORK/sms.err"
