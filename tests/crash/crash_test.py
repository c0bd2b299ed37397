#!/usr/bin/env python3
"""The kill -9 crash test: herald with a real SMTP sink and the SMS test server, killed
at random points while events stream in and messages go out, then reconciled.

Usage:
  crash_test.py --herald BIN --sms-server BIN [--kills N] [--seed S] [--rate R]
                [--keep] [--workdir DIR] [--inject-loss [--expect-loss]]

What it does (all state in a fresh temporary directory, every server on a free
loopback port):
  1. Starts the sinks: tests/crash/smtp_sink.py (aiosmtpd; records every message it takes,
     and every 37th it takes without answering, as a lost reply) and sms_test_server
     --record (records every message it takes). Both write their record before they
     answer, so they are the truth about what reached a gateway.
  2. N times (--kills, 20 by default; 200 for the full run): starts `herald serve` on
     tests/crash/campaign, posts events (new cases, case.closed in the same request for
     some, notes, re-posts of acknowledged events, re-posts of requests whose answer was
     lost) from two threads, has the SMS server post signed delivery receipts for what it
     took and now and then drop a reply, and kills herald with SIGKILL after a random
     0.3-2.5 s (or, one time in seven, 0-0.4 s after it was started, during recovery);
     one time in ten it leaves herald down for 1-4 s, so timers and leases run out.
  3. Starts herald once more, re-posts every request whose answer it never saw, waits
     (polling, with a deadline) until every intended message is settled, and reconciles:
       - every event that got a 202 is in GET /v1/events exactly once, at the sequence
         number the 202 gave; a re-post of it answered `duplicate` with that number;
       - every message the campaign intends (campaign/campaigns/crash.yaml: per case a
         welcome email, a reminder SMS, and unless the case was closed in its opening
         request a follow-up email and SMS) exists once and is settled: emails `sent`,
         SMS `delivered` (each got a receipt);
       - every message herald calls sent reached its sink, and no sink took a message
         more often than once plus the attempts whose outcome herald did not record as
         accepted (a kill during the send, or a reply the sink never gave): those extra
         copies are counted as reply_lost, anything beyond them is a sink duplicate.
     It stops herald with SIGTERM (it must exit 0) and prints one summary line.

Exit status: 0 when nothing was lost or sent twice, 1 otherwise (2: the harness itself
could not run). --inject-loss makes the harness lose data on purpose, as a power cut
loses a WAL tail that was never fsynced: at a kill half-way through, it empties the
event store's newest WAL file. The reconciler must then report lost events;
with --expect-loss the exit status is inverted (0 only when the loss was seen), which is
how ctest proves the reconciler is not blind.
"""

import argparse
import glob
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "crash-test-auth-token"
SMS_FROM = "+15550009999"
SETTLED = {"sent", "delivered", "bounced", "failed", "suppressed", "cancelled"}
SMTP_DROP_EVERY = 37


def log(msg):
    print(f"[crash-test {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Refused(Exception):
    """The connection was refused: the request was certainly not received."""


def http_call(port, method, path, body=None, headers=None, timeout=15):
    """(status, parsed JSON or None). Raises Refused, or OSError/HTTPException when the
    request may have been received but no answer came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError as e:
            raise Refused() from e
        data = None if body is None else (body if isinstance(body, bytes) else body.encode())
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return r.status, parsed
    finally:
        conn.close()


class Ledger:
    """What the driver posted and what it was told. Thread-safe (one lock)."""

    def __init__(self, rng):
        self.lock = threading.Lock()
        self.rng = rng
        self.events = {}        # id -> {"body", "case", "seq" (None until acked)}
        self.cases = {}         # case id -> {"closed": bool, "acked": bool}
        self.acked_cases = []   # case ids whose opening was acknowledged
        self.acked_events = []  # event ids acknowledged
        self.pending = []       # groups (lists of event ids) to post again
        self.posting = 0        # groups being posted right now
        self.next_case = 0
        self.next_note = 0
        self.new_events = True  # false while draining: only pending groups are posted
        self.acked_this_run = 0
        self.c = dict(requests=0, unknown=0, refused=0, idem_checks=0, idem_errors=0,
                      http_errors=0)
        self.errors = []

    def _event(self, eid, case, etype, data, recipient=None):
        ev = {"id": eid, "case_id": case, "type": etype, "occurred_at": now_rfc3339(),
              "data": data}
        if recipient:
            ev["recipient"] = recipient
        self.events[eid] = {"body": ev, "case": case, "seq": None}
        return eid

    def next_group(self):
        """A list of event ids to post in one request, or None."""
        with self.lock:
            if self.pending:
                self.posting += 1
                return self.pending.pop(0)
            if not self.new_events:
                return None
            rng = self.rng
            group = []
            for _ in range(rng.choice((1, 1, 2))):
                n = self.next_case
                self.next_case += 1
                case = f"C{n:06d}"
                closed = rng.random() < 0.2
                self.cases[case] = {"closed": closed, "acked": False}
                recipient = {"id": f"P{n:06d}", "email": f"r{n}@example.org",
                             "phone": f"+1555{n % 10000000:07d}", "locale": "en"}
                group.append(self._event(f"open-{case}", case, "case.opened",
                                         {"status": "open", "case_ref": case}, recipient))
                if closed:
                    group.append(self._event(f"close-{case}", case, "case.closed",
                                             {"status": "closed"}))
            if self.acked_cases:
                for _ in range(rng.choice((0, 0, 1, 2))):
                    case = rng.choice(self.acked_cases)
                    self.next_note += 1
                    group.append(self._event(f"note-{self.next_note:06d}", case, "case.noted",
                                             {"notes": self.next_note}))
            if self.acked_events and rng.random() < 0.25:
                group.append(rng.choice(self.acked_events))  # must come back duplicate
            self.posting += 1
            return group

    def body(self, group):
        with self.lock:
            return json.dumps([self.events[e]["body"] for e in group])

    def done(self, group, status, answer):
        """Records the outcome of posting `group`: status None = no answer (unknown),
        "refused" = not received."""
        with self.lock:
            self.posting -= 1
            self.c["requests"] += 1
            if status is None or status == "refused" or status == 503:
                self.c["unknown" if status is None else "refused"] += 1
                self.pending.append(group)
                return
            if status != 202:
                self.c["http_errors"] += 1
                self.errors.append(f"POST /v1/events answered {status}: {answer}")
                if status >= 500:
                    self.pending.append(group)  # a 4xx would only repeat
                return
            results = answer.get("results", [])
            if len(results) != len(group):
                self.c["http_errors"] += 1
                self.errors.append(f"202 with {len(results)} results for {len(group)} events")
                return
            for eid, res in zip(group, results):
                e = self.events[eid]
                if res.get("id") != eid or res.get("status") not in ("accepted", "duplicate"):
                    self.c["idem_errors"] += 1
                    self.errors.append(f"result for {eid}: {res}")
                    continue
                if e["seq"] is not None:
                    self.c["idem_checks"] += 1
                    if res["status"] != "duplicate" or res.get("seq") != e["seq"]:
                        self.c["idem_errors"] += 1
                        self.errors.append(f"re-post of acknowledged {eid} (seq {e['seq']}) "
                                           f"answered {res}")
                    continue
                e["seq"] = res["seq"]
                self.acked_events.append(eid)
                self.acked_this_run += 1
                if e["body"]["type"] == "case.opened":
                    self.cases[e["case"]]["acked"] = True
                    self.acked_cases.append(e["case"])

    def idle(self):
        with self.lock:
            return not self.pending and self.posting == 0


class Harness:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.ledger = Ledger(random.Random(self.rng.random()))
        self.dir = args.workdir or tempfile.mkdtemp(prefix="herald-crash-")
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = os.path.join(self.dir, "data")
        self.smtp_record = os.path.join(self.dir, "smtp.ndjson")
        self.sms_record = os.path.join(self.dir, "sms.ndjson")
        self.herald_log = os.path.join(self.dir, "herald.log")
        self.config_path = os.path.join(self.dir, "herald.yaml")
        self.key = secrets.token_hex(16)
        self.up = threading.Event()
        self.stop = threading.Event()
        self.port = None
        self.herald = None
        self.procs = []
        self.crashes = []
        self.receipts_ok = set()   # message ids whose receipt herald answered 200
        self.sms_seen = 0          # bytes of the SMS record read by the receipt thread
        self.receipt_queue = []    # (sid, message id) not yet answered 200
        self.drops = 0
        self.injected = None

    # ---- processes ------------------------------------------------------------------

    def start_sinks(self):
        smtp = subprocess.Popen([self.args.python, os.path.join(HERE, "smtp_sink.py"),
                                 self.smtp_record, "--drop-every", str(SMTP_DROP_EVERY)],
                                stdout=subprocess.PIPE, stderr=open(
                                    os.path.join(self.dir, "smtp_sink.log"), "wb"))
        self.procs.append(smtp)
        line = smtp.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"smtp sink did not start: {line!r}")
        self.smtp_port = int(line.split()[1])
        sms = subprocess.Popen([self.args.sms_server, "--record", self.sms_record,
                                "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN,
                                "--threads", "16"],
                               stdout=subprocess.PIPE,
                               stderr=open(os.path.join(self.dir, "sms_server.log"), "wb"))
        self.procs.append(sms)
        line = sms.stdout.readline().decode()
        if not line.startswith("listening "):
            raise RuntimeError(f"sms server did not start: {line!r}")
        self.sms_port = int(line.split()[1])

    def write_config(self, port):
        campaign = os.path.join(HERE, "campaign")
        key_hash = hashlib.sha256(self.key.encode()).hexdigest()
        with open(self.config_path, "w") as f:
            f.write(f"""# written by tests/crash/crash_test.py
data_dir: {self.data_dir}
listen: 127.0.0.1:{port}
public_url: http://127.0.0.1:{port}
api_keys:
  - id: crash
    sha256: {key_hash}
    scopes: [ingest, admin]
campaigns: {campaign}/campaigns
templates: {campaign}/templates
email:
  from: "Crash Test <crash@herald.test>"
connectors:
  mail:
    type: smtp
    url: smtp://127.0.0.1:{self.smtp_port}
    from: crash@herald.test
    starttls: none
    timeout_seconds: 10
  sms:
    type: twilio
    account_sid: {ACCOUNT_SID}
    auth_token: {AUTH_TOKEN}
    from: "{SMS_FROM}"
    base_url: http://127.0.0.1:{self.sms_port}
    timeout_seconds: 10
channels:
  email: [mail]
  sms: [sms]
delivery:
  max_attempts: 100
  retry_initial: 1s
  retry_max: 2s
  max_age: 1d
  send_lease: 3s
log:
  level: info
""")

    def start_herald(self):
        """Starts herald on a fresh free port; returns the process."""
        self.port = free_port()
        self.write_config(self.port)
        out = open(self.herald_log, "ab")
        out.write(f"\n===== start on port {self.port} at {now_rfc3339()}\n".encode())
        out.flush()
        self.herald = subprocess.Popen([self.args.herald, "serve", "--config", self.config_path],
                                       stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        out.close()
        return self.herald

    def wait_ready(self, deadline_s=60):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.herald.poll() is not None:
                return False
            try:
                status, _ = http_call(self.port, "GET", "/readyz", timeout=2)
                if status == 200:
                    return True
            except (Refused, OSError, http.client.HTTPException):
                pass
            time.sleep(0.02)
        return False

    def kill_herald(self, k):
        if self.herald.poll() is not None:
            self.crashes.append(f"kill {k}: herald had exited by itself with "
                                f"{self.herald.returncode}")
        else:
            os.kill(self.herald.pid, signal.SIGKILL)
        self.herald.wait()
        self.up.clear()

    # ---- workers --------------------------------------------------------------------

    def auth(self):
        return {"Authorization": f"Bearer {self.key}"}

    def poster(self, interval, seed):
        rng = random.Random(seed)
        headers = dict(self.auth(), **{"Content-Type": "application/json"})
        while not self.stop.is_set():
            if not self.up.wait(0.05):
                continue
            group = self.ledger.next_group()
            if group is None:
                time.sleep(0.05)
                continue
            port = self.port
            body = self.ledger.body(group)
            try:
                status, answer = http_call(port, "POST", "/v1/events", body, headers)
            except Refused:
                status, answer = "refused", None
            except (OSError, http.client.HTTPException):
                status, answer = None, None
            self.ledger.done(group, status, answer)
            if status not in (202,):
                self.up.wait(0.05)  # herald is going down; the kill loop clears `up`
                time.sleep(0.02)
            elif interval > 0:
                time.sleep(rng.uniform(0.5, 1.5) * interval)

    def read_sms_record(self):
        """New (sid, message id) pairs the SMS server recorded."""
        out = []
        try:
            with open(self.sms_record, "rb") as f:
                f.seek(self.sms_seen)
                chunk = f.read()
        except FileNotFoundError:
            return out
        complete = chunk[:chunk.rfind(b"\n") + 1]  # a line being written waits
        self.sms_seen += len(complete)
        for raw in complete.splitlines():
            rec = json.loads(raw)
            q = urllib.parse.parse_qs(urllib.parse.urlparse(rec["status_callback"]).query)
            out.append((rec["sid"], q["m"][0]))
        return out

    def post_receipt(self, sid, mid):
        """Asks the SMS server to post a signed `delivered` receipt to herald now."""
        url = f"http://127.0.0.1:{self.port}/v1/receipts/sms?m={mid}"
        try:
            status, answer = http_call(self.sms_port, "POST", "/control/callback",
                                       json.dumps({"sid": sid, "status": "delivered",
                                                   "url": url}),
                                       {"Content-Type": "application/json"})
        except (Refused, OSError, http.client.HTTPException):
            return False
        return status == 200 and answer and answer.get("http_status") == 200

    def receipter(self, seed):
        rng = random.Random(seed)
        last_drop = time.monotonic()
        while not self.stop.is_set():
            self.receipt_queue.extend(self.read_sms_record())
            if self.up.is_set() and self.receipt_queue:
                batch, self.receipt_queue = self.receipt_queue[:25], self.receipt_queue[25:]
                for sid, mid in batch:
                    if self.up.is_set() and self.post_receipt(sid, mid):
                        self.receipts_ok.add(mid)
                    else:
                        self.receipt_queue.append((sid, mid))
            if self.ledger.new_events and time.monotonic() - last_drop > 2.0:
                last_drop = time.monotonic()
                if rng.random() < 0.5:  # take the next SMS and lose the reply
                    try:
                        http_call(self.sms_port, "POST", "/control/drop",
                                  json.dumps({"count": 1}), {"Content-Type": "application/json"})
                        self.drops += 1
                    except (Refused, OSError, http.client.HTTPException):
                        pass
            time.sleep(0.1)

    # ---- loss injection -------------------------------------------------------------

    def inject_loss(self, k):
        """Empties the event store's newest WAL file, as a power cut loses a WAL tail that
        was never fsynced."""
        wals = sorted(glob.glob(os.path.join(self.data_dir, "store", "*.log")))
        if not wals:
            return False
        newest = wals[-1]
        size = os.path.getsize(newest)
        if size == 0:
            return False
        os.truncate(newest, 0)
        self.injected = f"kill {k}: emptied {os.path.basename(newest)} ({size} bytes)"
        log(f"injected loss: {self.injected}")
        return True

    # ---- the run --------------------------------------------------------------------

    def run(self):
        t0 = time.monotonic()
        self.start_sinks()
        interval = 2.0 / self.args.rate  # two posters; about one new case per request
        threads = [threading.Thread(target=self.poster, args=(interval, self.rng.random()),
                                    daemon=True) for _ in range(2)]
        threads.append(threading.Thread(target=self.receipter, args=(self.rng.random(),),
                                        daemon=True))
        for t in threads:
            t.start()
        for k in range(1, self.args.kills + 1):
            self.start_herald()
            self.ledger.acked_this_run = 0
            # The loss is injected into a run that acknowledged events: not a short one.
            inject_now = (self.args.inject_loss and not self.injected
                          and k >= self.args.kills // 2)
            if self.rng.random() < 1 / 7 and not inject_now:
                time.sleep(self.rng.uniform(0.0, 0.4))  # during start-up and recovery
            else:
                if not self.wait_ready():
                    self.crashes.append(f"kill {k}: herald did not become ready "
                                        f"(exit {self.herald.poll()})")
                    if self.herald.poll() is not None:
                        break
                self.up.set()
                time.sleep(self.rng.uniform(0.3, 2.5))
                end = time.monotonic() + 10
                while inject_now and self.ledger.acked_this_run == 0 and time.monotonic() < end:
                    time.sleep(0.05)
            self.kill_herald(k)
            if inject_now and self.ledger.acked_this_run > 0:
                self.inject_loss(k)
            if self.rng.random() < 0.1:
                # Down for a while: timers fall due and leases run out meanwhile.
                time.sleep(self.rng.uniform(1.0, 4.0))
            if k % 10 == 0 or k == self.args.kills:
                c = self.ledger.c
                log(f"kill {k}/{self.args.kills}: {len(self.ledger.acked_events)} events "
                    f"acknowledged, {c['unknown']} answers lost so far")

        # Drain: no new events; what was never answered is posted again.
        self.ledger.new_events = False
        self.start_herald()
        if not self.wait_ready():
            self.crashes.append(f"final start: herald did not become ready "
                                f"(exit {self.herald.poll()})")
            return self.finish(t0, None)
        self.up.set()
        deadline = time.monotonic() + self.args.drain_seconds
        while not self.ledger.idle() and time.monotonic() < deadline:
            time.sleep(0.1)
        observed = self.wait_settled(deadline)
        result = self.reconcile(observed)
        self.stop.set()
        self.up.clear()
        self.herald.send_signal(signal.SIGTERM)
        try:
            code = self.herald.wait(timeout=60)
            if code != 0:
                self.crashes.append(f"herald exited {code} on SIGTERM")
        except subprocess.TimeoutExpired:
            self.crashes.append("herald did not stop within 60 s of SIGTERM")
            self.herald.kill()
            self.herald.wait()
        return self.finish(t0, result)

    # ---- reconciliation -------------------------------------------------------------

    def intended(self, case):
        keys = [("welcome", "email"), ("reminder", "sms")]
        if not self.ledger.cases[case]["closed"]:
            keys += [("followup", "email"), ("followup", "sms")]
        return keys

    def case_messages(self, case):
        status, answer = http_call(self.port, "GET", f"/v1/cases/{case}/messages",
                                   headers=self.auth())
        if status != 200:
            raise RuntimeError(f"GET messages of {case}: {status} {answer}")
        return answer["messages"]

    def case_done(self, case, msgs):
        have = {(m["rule"], m["channel"]): m for m in msgs}
        for key in self.intended(case):
            m = have.get(key)
            if m is None or m["status"] not in SETTLED:
                return False
            if m["channel"] == "sms" and m["status"] == "sent":
                return False  # waits for its receipt
        return True

    def wait_settled(self, deadline):
        """Polls every acknowledged case until its intended messages are settled or the
        deadline passes. Returns {case: messages}."""
        observed = {}
        todo = list(dict.fromkeys(self.ledger.acked_cases))
        while True:
            left = []
            for case in todo:
                try:
                    msgs = self.case_messages(case)
                except (Refused, OSError, http.client.HTTPException, RuntimeError) as e:
                    self.crashes.append(f"drain: {e}")
                    return observed
                observed[case] = msgs
                if not self.case_done(case, msgs):
                    left.append(case)
            todo = left
            if not todo or time.monotonic() >= deadline:
                if todo:
                    log(f"drain deadline: {len(todo)} case(s) not settled, e.g. {todo[:3]}")
                return observed
            time.sleep(0.5)

    def read_log(self):
        seen = {}
        after, last = 0, -1
        while True:
            status, page = http_call(self.port, "GET", f"/v1/events?after={after}&limit=1000",
                                     headers=self.auth())
            if status != 200:
                raise RuntimeError(f"GET /v1/events: {status} {page}")
            for e in page["events"]:
                if e["seq"] <= last:
                    raise RuntimeError(f"log out of order at seq {e['seq']}")
                last = e["seq"]
                seen.setdefault(e["id"], []).append(e["seq"])
            if not page["events"]:
                return seen
            after = page["next_after"]

    def sink_counts(self):
        counts = {}
        with open(self.smtp_record, "rb") as f:
            for raw in f.read().split(b"\n")[:-1]:
                mid = json.loads(raw)["message_id"]
                counts[mid] = counts.get(mid, 0) + 1
        with open(self.sms_record, "rb") as f:
            for raw in f.read().split(b"\n")[:-1]:
                rec = json.loads(raw)
                q = urllib.parse.parse_qs(urllib.parse.urlparse(rec["status_callback"]).query)
                mid = q["m"][0]
                counts[mid] = counts.get(mid, 0) + 1
        return counts

    def reconcile(self, observed):
        L = self.ledger
        r = dict(events_202=0, in_log=0, log_dupes=0, lost_events=0, unknown=0, phantom_events=0,
                 cases=0, messages_intended=0, present=0, final=0, not_final=0,
                 wrong_status=0, extra_messages=0, sink_accepted=0, sink_dupes=0,
                 reply_lost=0, never_reached_sink=0, unknown_at_sink=0, receipt_lost=0)
        problems = []
        try:
            log_ids = self.read_log()
        except (Refused, OSError, http.client.HTTPException, RuntimeError) as e:
            self.crashes.append(f"reconcile: {e}")
            return r, problems
        for eid, e in L.events.items():
            seqs = log_ids.get(eid, [])
            if e["seq"] is None:
                r["unknown"] += 1  # never answered, even after the drain
                if len(seqs) > 1:
                    r["log_dupes"] += len(seqs) - 1
                continue
            r["events_202"] += 1
            if seqs:
                r["in_log"] += 1
            if len(seqs) > 1:
                r["log_dupes"] += len(seqs) - 1
                problems.append(f"event {eid} is in the log {len(seqs)} times: {seqs}")
            if e["seq"] not in seqs:
                r["lost_events"] += 1
                problems.append(f"event {eid} acknowledged at seq {e['seq']} but the log has "
                                f"{seqs or 'nothing'}")
        r["phantom_events"] = sum(1 for eid in log_ids if eid not in L.events)

        # Messages: what the campaign intends, as herald reports it.
        sink = self.sink_counts()
        known_ids = set()
        for case in dict.fromkeys(L.acked_cases):
            r["cases"] += 1
            msgs = observed.get(case, [])
            by_key = {}
            for m in msgs:
                by_key.setdefault((m["rule"], m["channel"]), []).append(m)
                known_ids.add(m["id"])
            intended = self.intended(case)
            r["messages_intended"] += len(intended)
            for key, ms in by_key.items():
                if key not in intended or len(ms) > 1:
                    extra = len(ms) - (1 if key in intended else 0)
                    r["extra_messages"] += extra
                    problems.append(f"case {case}: {extra} unintended {key} message(s)")
            for key in intended:
                ms = by_key.get(key)
                if not ms:
                    problems.append(f"case {case}: no {key} message")
                    continue
                m = ms[0]
                r["present"] += 1
                if m["status"] not in SETTLED:
                    r["not_final"] += 1
                    problems.append(f"case {case}: {key} message {m['id']} is {m['status']}")
                    continue
                r["final"] += 1
                want = "delivered" if key[1] == "sms" else "sent"
                if m["status"] != want:
                    r["wrong_status"] += 1
                    problems.append(f"case {case}: {key} message {m['id']} is {m['status']} "
                                    f"({m.get('reason')})")
                if key[1] == "sms" and m["id"] in self.receipts_ok and \
                        m["status"] != "delivered":
                    r["receipt_lost"] += 1
                n = sink.get(m["id"], 0)
                r["sink_accepted"] += n
                if m["status"] in ("sent", "delivered") and n == 0:
                    r["never_reached_sink"] += 1
                    problems.append(f"case {case}: {key} message {m['id']} is {m['status']} "
                                    f"but no sink took it")
                if n > 1:
                    self.account_copies(m, n, r, problems)
        r["unknown_at_sink"] = sum(1 for mid in sink if mid not in known_ids)
        if r["unknown_at_sink"]:
            problems.append(f"{r['unknown_at_sink']} message id(s) at a sink that herald "
                            f"does not list for any case")
        return r, problems

    def account_copies(self, m, copies, r, problems):
        """A sink took message `m` `copies` times: attributes the extra copies to attempts
        whose outcome herald did not record as accepted, or counts them as duplicates."""
        status, full = http_call(self.port, "GET", f"/v1/messages/{m['id']}", headers=self.auth())
        if status != 200:
            raise RuntimeError(f"GET /v1/messages/{m['id']}: {status}")
        attempts = full["attempts"]
        accepted = sum(1 for h in full["history"] if h["status"] == "sent")
        # Attempts that ended some other way (a kill during the send: "no outcome recorded",
        # or a temporary failure such as a dropped reply) may have reached the sink.
        ambiguous = max(0, attempts - accepted)
        extra = copies - 1
        allowed = min(extra, ambiguous)
        r["reply_lost"] += allowed
        if extra > allowed:
            r["sink_dupes"] += extra - allowed
            problems.append(f"message {m['id']} reached its sink {copies} times with "
                            f"{attempts} attempt(s), {accepted} recorded as accepted")

    def finish(self, t0, result):
        elapsed = time.monotonic() - t0
        r, problems = result if result else ({}, [])
        c = self.ledger.c
        lost = (r.get("lost_events", 0) + (r.get("messages_intended", 0) - r.get("present", 0))
                + r.get("never_reached_sink", 0) + r.get("receipt_lost", 0))
        failures = (lost + r.get("log_dupes", 0) + r.get("unknown", 0) + r.get("phantom_events", 0)
                    + r.get("not_final", 0) + r.get("wrong_status", 0)
                    + r.get("extra_messages", 0) + r.get("sink_dupes", 0)
                    + r.get("unknown_at_sink", 0) + c["idem_errors"] + c["http_errors"]
                    + len(self.crashes) + (0 if result else 1))
        for p in (self.ledger.errors + self.crashes + problems)[:40]:
            log("problem: " + p)
        if self.injected:
            log(f"loss injected at {self.injected}")
        summary = (
            f"crash-test: kills={self.args.kills} engine_crashes={len(self.crashes)} "
            f"requests={c['requests']} answers_lost={c['unknown']} "
            f"events_202={r.get('events_202', 0)} in_log={r.get('in_log', 0)} "
            f"log_dupes={r.get('log_dupes', 0)} lost_events={r.get('lost_events', 0)} "
            f"unanswered={r.get('unknown', 0)} idem_checks={c['idem_checks']} "
            f"idem_errors={c['idem_errors']} cases={r.get('cases', 0)} "
            f"messages_intended={r.get('messages_intended', 0)} final={r.get('final', 0)} "
            f"not_final={r.get('not_final', 0)} wrong_status={r.get('wrong_status', 0)} "
            f"extra_messages={r.get('extra_messages', 0)} "
            f"sink_accepted={r.get('sink_accepted', 0)} sink_dupes={r.get('sink_dupes', 0)} "
            f"reply_lost={r.get('reply_lost', 0)} receipts={len(self.receipts_ok)} "
            f"lost={lost} elapsed={elapsed:.0f}s")
        print(summary, flush=True)
        self.cleanup()
        ok = (lost > 0) if self.args.expect_loss else failures == 0
        if ok and not self.args.keep and not self.args.workdir:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"state kept in {self.dir}")
        if self.args.expect_loss:
            log("the injected loss was detected, as expected" if ok else
                "FAIL: data was lost on purpose and the reconciler did not see it")
        return 0 if ok else 1

    def cleanup(self):
        self.stop.set()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.herald and self.herald.poll() is None:
            self.herald.kill()
            self.herald.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--herald", required=True)
    p.add_argument("--sms-server", required=True)
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the Python with aiosmtpd (Debian's python3-aiosmtpd) for the SMTP sink")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--rate", type=float, default=12.0, help="new cases a second, about")
    p.add_argument("--drain-seconds", type=float, default=None,
                   help="how long the final run may take to settle everything (default 120, "
                        "with --expect-loss 20: lost events never settle)")
    p.add_argument("--workdir")
    p.add_argument("--keep", action="store_true", help="keep the state directory")
    p.add_argument("--inject-loss", action="store_true")
    p.add_argument("--expect-loss", action="store_true")
    args = p.parse_args()
    if args.drain_seconds is None:
        args.drain_seconds = 20.0 if args.expect_loss else 120.0
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 30)
    log(f"seed {args.seed} (repeat with --seed {args.seed}), {args.kills} kills")
    harness = Harness(args)
    try:
        return harness.run()
    except Exception as e:  # the harness itself failed
        log(f"harness error: {e!r}; state kept in {harness.dir}")
        import traceback
        traceback.print_exc()
        harness.cleanup()
        return 2


if __name__ == "__main__":
    sys.exit(main())
