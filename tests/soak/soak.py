#!/usr/bin/env python3
"""Load and soak test of `herald serve` (run it through scripts/soak.sh).

Starts herald on a temporary data directory with tests/soak/herald.yaml.in (one campaign:
every `soak.notice` event sends one email through the `file` connector), then for
--seconds:

  * posts events at a steady --rate (one event per request, keep-alive, like a case
    system), each with --payload-bytes of case data: a --notice-fraction of them are
    `soak.notice` on a new case with a new recipient (each one becomes an email), the
    rest `soak.update` events on those cases;
  * reads every email the file connector writes, takes its open pixel, click and
    unsubscribe URLs, and fetches them as a mail client and a person would: every
    message opened (some twice), half clicked (the Location must be a stored
    destination), a few unsubscribe pages shown and a few one-click unsubscribes posted,
    and some forged tokens (/c must answer 404, /o its GIF);
  * samples every --interval seconds: herald's RSS, open file descriptors, threads, the
    /metrics counters, the driver's request counts and errors, and the backlog (notice
    events whose email has not been written yet; messages queued in herald).

Then it lets the pipeline drain, stops herald with SIGTERM, prints a table and one
summary line, and exits 1 when a check fails (see CHECKS below), 2 on a setup error.
Python 3 standard library only.
"""

import argparse
import binascii
import collections
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import shutil

SOAK_DIR = os.path.dirname(os.path.abspath(__file__))
DESTINATIONS = {
    "https://benefits.example.org/soak/status",
    "https://benefits.example.org/soak/help",
}
MIB = 1024 * 1024

CHECKS = """\
checks (any failure exits 1):
  errors     no connection error, timeout, 5xx or unexpected status seen by the driver;
             /metrics: no 5xx on any route, no rejected request, no failed or retried
             send; no seeded address in /metrics, herald's output or RocksDB's LOG
             files; no error line in herald's log; herald exits 0 on SIGTERM
  memory     growth of the peak RSS (VmHWM) over the second half of the load
             <= --rss-growth-mib plus --rss-growth-pct of the peak at half time
             (RocksDB's memtables make RSS a sawtooth; see docs/reliability.md)
  fds        open descriptors other than RocksDB table files grow by <= 16 over the
             second half
  threads    grow by <= 8 over the second half
  backlog    no upward trend over the second half beyond 30 s worth of notices (at
             least 100), and everything drains within --drain seconds after the load stops"""


# --- small helpers ------------------------------------------------------------------------


def die_with_parent():
    """In the child before exec: SIGTERM it when the driver dies (a ctest timeout kills the
    driver with SIGKILL; herald must not outlive it)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rfc3339_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def proc_status(pid):
    """VmRSS and VmHWM in bytes and the thread count of `pid`, from /proc."""
    out = {"rss": 0, "hwm": 0, "threads": 0}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                out["hwm"] = int(line.split()[1]) * 1024
            elif line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
    return out


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def dir_stats(path):
    """(bytes, number of .sst files, bytes of WAL files) under `path`. RocksDB's live WAL
    files hold what its memtables hold (and more, until every family has flushed)."""
    total, sst, wal = 0, 0, 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                size = os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue  # compaction removed it meanwhile
            total += size
            if name.endswith(".sst"):
                sst += 1
            elif name.endswith(".log"):
                wal += size
    return total, sst, wal


def parse_metrics(text):
    """Prometheus text -> {(name, labels): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        try:
            key, value = line.rsplit(" ", 1)
            value = float(value)
        except ValueError:
            continue
        if "{" in key:
            name, labels = key.split("{", 1)
            labels = labels.rstrip("}")
        else:
            name, labels = key, ""
        out[(name, labels)] = value
    return out


def metric_sum(m, name, labels_contain=""):
    return int(sum(v for (n, l), v in m.items() if n == name and labels_contain in l))


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else 0


def slope(points):
    """Least-squares slope of [(x, y)]; 0 for fewer than two points."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


# --- HTTP ---------------------------------------------------------------------------------


class Client:
    """One keep-alive connection. herald closes connections idle for 5 s, so one idle
    longer than 3 s is reopened before the next request rather than found dead: every
    connection error the driver counts is then a real one."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.last_used = 0.0

    def request(self, method, path, body=None, headers=None):
        now = time.monotonic()
        if self.conn is not None and now - self.last_used > 3.0:
            self.conn.close()
            self.conn = None
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        self.last_used = time.monotonic()
        if resp.will_close:
            self.conn.close()
            self.conn = None
        return resp.status, resp.getheader("Location"), resp.getheader("Content-Type"), data


class Counters:
    """Driver-side counts, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.error_examples = []

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def error(self, key, detail):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + 1
            self.c["errors"] = self.c.get("errors", 0) + 1
            if len(self.error_examples) < 10:
                self.error_examples.append("%s: %s" % (key, detail))

    def get(self, key):
        with self.lock:
            return self.c.get(key, 0)

    def snapshot(self):
        with self.lock:
            return dict(self.c)


# --- the soak -----------------------------------------------------------------------------


class Soak:
    def __init__(self, args):
        self.args = args
        self.run_id = secrets.token_hex(4)
        self.key = secrets.token_hex(32)
        self.counters = Counters()
        self.stop_load = threading.Event()
        self.stop_all = threading.Event()
        self.rng_lock = threading.Lock()
        self.rng = random.Random(args.seed)
        total = int(args.seconds * args.rate) + 16
        self.posted_at = [0.0] * total  # monotonic time each notice was accepted
        self.latencies = []  # seconds from a notice's 202 to its email read by the driver
        self.track_queue = collections.deque()
        self.track_cv = threading.Condition()
        self.samples = []
        self.tmp = None
        self.proc = None
        self.port = None

    # -- setup --

    def start_herald(self):
        a = self.args
        self.tmp = tempfile.mkdtemp(prefix="herald-soak-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.outbox = os.path.join(self.tmp, "outbox")
        os.makedirs(self.outbox)
        self.port = free_port()
        with open(os.path.join(SOAK_DIR, "herald.yaml.in")) as f:
            text = f.read()
        for k, v in {"@DATA_DIR@": self.data_dir, "@OUTBOX@": self.outbox,
                     "@PORT@": str(self.port), "@SOAK_DIR@": SOAK_DIR}.items():
            text = text.replace(k, v)
        self.config = os.path.join(self.tmp, "herald.yaml")
        with open(self.config, "w") as f:
            f.write(text)
        env = dict(os.environ, HERALD_SOAK_KEY=self.key)
        self.out_path = os.path.join(self.tmp, "herald.out")
        self.err_path = os.path.join(self.tmp, "herald.err")
        self.proc = subprocess.Popen(
            [a.herald, "serve", "--config", self.config],
            stdout=open(self.out_path, "wb"), stderr=open(self.err_path, "wb"), env=env,
            preexec_fn=die_with_parent)
        deadline = time.monotonic() + 60
        client = Client(self.port, 5)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("herald exited at start (%d):\n%s" %
                                   (self.proc.returncode, self.read_log()[-3000:]))
            try:
                if client.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("herald did not become ready within 60 s")

    def rocksdb_info_logs(self):
        out = []
        for root, _, files in os.walk(self.data_dir):
            out += [os.path.join(root, n) for n in files if n == "LOG" or n.startswith("LOG.old")]
        return out

    def read_log(self):
        text = ""
        for p in (self.out_path, self.err_path):
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text

    # -- load: events --

    def payload(self, i):
        """About --payload-bytes of case data, different for every event (strings of at
        most 512 bytes, well under limits.max_string_bytes)."""
        n = self.args.payload_bytes
        text = (("%08x" % (i * 2654435761 % (1 << 32))) * (n // 8 + 1))[:n]
        return [text[k:k + 512] for k in range(0, n, 512)]

    def event_worker(self, w):
        a = self.args
        client = Client(self.port, a.timeout)
        every = max(1, round(1 / a.notice_fraction))
        headers = {"Authorization": "Bearer " + self.key, "Content-Type": "application/json"}
        i = w
        while not self.stop_load.is_set():
            due = self.t0 + i / a.rate
            if due >= self.t_end:
                break
            wait = due - time.monotonic()
            if wait > 0:
                if self.stop_load.wait(wait):
                    break
            notice = i % every == 0
            base = i - i % every  # the case of the latest notice
            event = {
                "id": "%s-%d" % (self.run_id, i),
                "case_id": "C-%s-%d" % (self.run_id, base),
                "type": "soak.notice" if notice else "soak.update",
                "occurred_at": rfc3339_now(),
                "data": {"step": i, "status": "in_review" if notice else "updated",
                         "notes": self.payload(i)},
            }
            if notice:
                event["recipient"] = {
                    "id": "r-%s-%d" % (self.run_id, i),
                    "email": "soak.%s.%d@example.test" % (self.run_id, i),
                    "locale": "en",
                    "timezone": "America/New_York",
                    "channels": ["email"],
                }
            body = json.dumps(event)
            try:
                status, _, _, data = client.request("POST", "/v1/events", body, headers)
            except (OSError, http.client.HTTPException) as e:
                self.counters.error("event_conn_errors", repr(e))
            else:
                if status == 202:
                    self.counters.add("events")
                    if notice:
                        self.posted_at[i] = time.monotonic()
                        self.counters.add("notices")
                elif status >= 500:
                    self.counters.error("event_5xx", "%d %s" % (status, data[:200]))
                else:
                    self.counters.error("event_unexpected", "%d %s" % (status, data[:200]))
            lag = time.monotonic() - due
            if lag > 1.0:
                self.counters.add("event_lag_over_1s")
            i += a.event_workers

    # -- tracking: read the outbox --

    def scanner(self):
        token_re = re.compile(rb"http://127\.0\.0\.1:%d/([ocu])/([A-Za-z0-9_-]{20,40})" % self.port)
        to_re = re.compile(rb"soak\.%s\.(\d+)@example\.test" % self.run_id.encode())
        while not self.stop_all.is_set():
            found = 0
            try:
                entries = list(os.scandir(self.outbox))
            except FileNotFoundError:
                entries = []
            for e in entries:
                if not e.name.endswith(".eml"):
                    continue
                try:
                    with open(e.path, "rb") as f:
                        raw = f.read()
                    os.unlink(e.path)
                except FileNotFoundError:
                    continue
                found += 1
                now = time.monotonic()
                decoded = binascii.a2b_qp(raw)
                tokens = {"o": set(), "c": set(), "u": set()}
                for kind, tok in token_re.findall(decoded):
                    tokens[kind.decode()].add(tok.decode())
                m = to_re.search(raw)
                if m:
                    i = int(m.group(1))
                    if 0 <= i < len(self.posted_at) and self.posted_at[i] > 0:
                        self.latencies.append(now - self.posted_at[i])
                self.counters.add("emails")
                if len(tokens["o"]) != 1 or len(tokens["c"]) != 2 or len(tokens["u"]) != 1:
                    self.counters.error("email_without_links", "%s: %d/%d/%d tokens" % (
                        e.name, len(tokens["o"]), len(tokens["c"]), len(tokens["u"])))
                    continue
                self.plan_tracking(tokens)
            if not found:
                self.stop_all.wait(0.2)

    def plan_tracking(self, tokens):
        """What a recipient, their mail client and a forger do with one message."""
        o = next(iter(tokens["o"]))
        u = next(iter(tokens["u"]))
        clicks = sorted(tokens["c"])
        with self.rng_lock:
            r = self.rng
            actions = [("open", o)]
            if r.random() < 0.2:
                actions.append(("open", o))
            if r.random() < 0.5:
                actions.append(("click", r.choice(clicks)))
            if r.random() < 0.02:
                actions.append(("unsub_page", u))
            if r.random() < 0.01:
                actions.append(("unsub", u))
            if r.random() < 0.01:
                forged = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                                 for _ in range(32))
                actions.append(("forged_click", forged))
                actions.append(("forged_open", forged[:31]))
        with self.track_cv:
            self.track_queue.extend(actions)
            self.track_cv.notify_all()

    def track_worker(self):
        a = self.args
        client = Client(self.port, a.timeout)
        ua = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                            "Chrome/120.0 Safari/537.36"}
        expected = {"open": 200, "click": 302, "unsub_page": 200, "unsub": 200,
                    "forged_click": 404, "forged_open": 200}
        while True:
            with self.track_cv:
                while not self.track_queue and not self.stop_all.is_set():
                    self.track_cv.wait(0.5)
                if not self.track_queue:
                    return
                kind, token = self.track_queue.popleft()
            path = {"open": "/o/", "forged_open": "/o/", "click": "/c/", "forged_click": "/c/",
                    "unsub_page": "/u/", "unsub": "/u/"}[kind] + token
            try:
                if kind == "unsub":
                    h = dict(ua)
                    h["Content-Type"] = "application/x-www-form-urlencoded"
                    status, location, ctype, data = client.request(
                        "POST", path, "List-Unsubscribe=One-Click", h)
                else:
                    status, location, ctype, data = client.request("GET", path, None, ua)
            except (OSError, http.client.HTTPException) as e:
                self.counters.error("track_conn_errors", "%s %r" % (kind, e))
                continue
            self.counters.add("track_requests")
            if status >= 500:
                self.counters.error("track_5xx", "%s %d" % (kind, status))
            elif status != expected[kind]:
                self.counters.error("track_unexpected", "%s %d" % (kind, status))
            elif kind == "click" and location not in DESTINATIONS:
                self.counters.error("track_bad_redirect", "Location %r" % location)
            elif kind in ("open", "forged_open") and (ctype != "image/gif" or data[:6] != b"GIF89a"):
                self.counters.error("track_unexpected", "%s: not a GIF (%s)" % (kind, ctype))

    # -- sampling --

    def sample(self, phase, client):
        t = time.monotonic() - self.t0
        st = proc_status(self.proc.pid)
        fds = open_fds(self.proc.pid)
        disk, sst, wal = dir_stats(self.data_dir)
        outbox_files = sum(1 for n in os.listdir(self.outbox) if n.endswith(".eml"))
        try:
            status, _, _, text = client.request("GET", "/metrics")
            if status != 200:
                self.counters.error("metrics_status", str(status))
                m = {}
            else:
                text = text.decode("utf-8", "replace")
                if ("soak.%s." % self.run_id) in text:
                    self.counters.error("metrics_privacy", "a seeded address is in /metrics")
                m = parse_metrics(text)
        except (OSError, http.client.HTTPException) as e:
            self.counters.error("metrics_conn_errors", repr(e))
            m = {}
        c = self.counters.snapshot()
        with self.track_cv:
            track_backlog = len(self.track_queue)
        s = {
            "phase": phase,
            "t": round(t, 1),
            "rss_mib": st["rss"] / MIB,
            "hwm_mib": st["hwm"] / MIB,
            "threads": st["threads"],
            "fds": fds,
            "sst": sst,
            "disk_mib": disk / MIB,
            "wal_mib": wal / MIB,
            "events": c.get("events", 0),
            "notices": c.get("notices", 0),
            "emails": c.get("emails", 0),
            "track": c.get("track_requests", 0),
            "driver_errors": c.get("errors", 0),
            "intents": metric_sum(m, "herald_dispatch_intents_total"),
            "accepted": metric_sum(m, "herald_dispatch_accepted_total"),
            "ready": metric_sum(m, "herald_dispatch_ready"),
            "http_5xx": metric_sum(m, "herald_http_requests_total", 'code="5xx"'),
            "rejected": metric_sum(m, "herald_requests_rejected_total"),
            "failed": metric_sum(m, "herald_dispatch_failed_total"),
            "retried": metric_sum(m, "herald_dispatch_retried_total"),
            "log_seq": metric_sum(m, "herald_log_last_sequence"),
            "outbox_files": outbox_files,
            "track_backlog": track_backlog,
        }
        # End to end: notices accepted whose email the driver has not read yet.
        s["backlog"] = max(0, s["notices"] - s["emails"])
        self.samples.append(s)
        if not self.args.quiet:
            print("  %6.0fs %-5s rss %6.1f MiB  wal %6.1f MiB  fds %4d  thr %3d  events %8d  emails %7d"
                  "  track %8d  backlog %5d  ready %4d  errors %d" % (
                      t, phase, s["rss_mib"], s["wal_mib"], fds, s["threads"], s["events"], s["emails"],
                      s["track"], s["backlog"], s["ready"], s["driver_errors"] + s["http_5xx"]),
                  flush=True)
        return s

    # -- the run --

    def run(self):
        a = self.args
        self.start_herald()
        metrics_client = Client(self.port, a.timeout)
        threads = []
        self.t0 = time.monotonic() + 0.5
        self.t_end = self.t0 + a.seconds
        for w in range(a.event_workers):
            threads.append(threading.Thread(target=self.event_worker, args=(w,), daemon=True))
        scanner = threading.Thread(target=self.scanner, daemon=True)
        trackers = [threading.Thread(target=self.track_worker, daemon=True)
                    for _ in range(a.track_workers)]
        print("soak: herald pid %d on 127.0.0.1:%d, data in %s; %d s at %g events/s "
              "(1 in %d a notice that sends an email), sampling every %g s" % (
                  self.proc.pid, self.port, self.tmp, a.seconds, a.rate,
                  max(1, round(1 / a.notice_fraction)), a.interval), flush=True)
        self.sample("start", metrics_client)
        for th in threads + [scanner] + trackers:
            th.start()
        next_sample = self.t0 + a.interval
        while next_sample < self.t_end - 0.5:
            time.sleep(max(0.0, next_sample - time.monotonic()))
            if self.proc.poll() is not None:
                raise RuntimeError("herald exited during the load (%d)" % self.proc.returncode)
            self.sample("load", metrics_client)
            next_sample += a.interval
        time.sleep(max(0.0, self.t_end - time.monotonic()))
        self.stop_load.set()
        for th in threads:
            th.join(a.timeout + 5)
        self.sample("load", metrics_client)  # the end of the load
        # Drain: every notice's email read and its tracking done, nothing queued in herald.
        drain_deadline = time.monotonic() + a.drain
        drained = False
        while time.monotonic() < drain_deadline:
            time.sleep(1.0)
            s = self.sample("drain", metrics_client) if a.verbose_drain else None
            with self.track_cv:
                tq = len(self.track_queue)
            c = self.counters.snapshot()
            if c.get("notices", 0) <= c.get("emails", 0) and tq == 0:
                s = s or self.sample("drain", metrics_client)
                if s["ready"] == 0 and s["backlog"] == 0 and s["track_backlog"] == 0:
                    drained = True
                    break
        self.drain_seconds = a.drain - max(0.0, drain_deadline - time.monotonic())
        final = self.sample("end", metrics_client)
        self.stop_all.set()
        with self.track_cv:
            self.track_cv.notify_all()
        for th in trackers + [scanner]:
            th.join(a.timeout + 5)
        # Stop herald as an operator would.
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = self.proc.wait()
            self.counters.error("herald_stop", "no exit within 60 s of SIGTERM")
        return self.evaluate(final, drained)

    # -- verdict --

    def evaluate(self, final, drained):
        a = self.args
        failures = []
        load = [s for s in self.samples if s["phase"] in ("start", "load")]
        end = load[-1]
        half_t = end["t"] / 2
        mid = min(load, key=lambda s: abs(s["t"] - half_t))
        second = [s for s in load if s["t"] >= mid["t"]]

        c = self.counters.snapshot()
        if c.get("errors", 0):
            failures.append("driver saw %d error(s): %s" % (c["errors"], "; ".join(self.counters.error_examples)))
        for key, what in (("http_5xx", "5xx answers"), ("rejected", "rejected requests"),
                          ("failed", "failed sends"), ("retried", "retried sends")):
            if final[key]:
                failures.append("/metrics: %d %s (%d at half time)" % (final[key], what, mid[key]))
        log = self.read_log()
        if ("soak.%s." % self.run_id) in log:
            failures.append("herald's output contains a seeded recipient address")
        info_logs = self.rocksdb_info_logs()
        for path in info_logs:
            with open(path, "rb") as f:
                if ("soak.%s." % self.run_id).encode() in f.read():
                    failures.append("RocksDB's info log %s contains a seeded recipient address" % path)
        error_lines = [l for l in log.splitlines() if re.match(r"\S+Z (error|critical) ", l)]
        warn_lines = [l for l in log.splitlines() if re.match(r"\S+Z warning ", l)]
        if error_lines:
            failures.append("%d error line(s) in herald's log, first: %s" % (len(error_lines), error_lines[0][:200]))
        if self.exit_code != 0:
            failures.append("herald exited %d on SIGTERM" % self.exit_code)
        if "stopped" not in log:
            failures.append("herald's log does not say it stopped cleanly")

        # RocksDB's memtables fill and are freed when they flush, so RSS is a sawtooth: the
        # peak (VmHWM) is what a leak raises. Compare the peak at half time with the peak at
        # the end of the load.
        rss_growth = end["hwm_mib"] - mid["hwm_mib"]
        rss_limit = a.rss_growth_mib + mid["hwm_mib"] * a.rss_growth_pct / 100
        if rss_growth > rss_limit:
            failures.append("peak RSS grew %.1f MiB over the second half (%.1f -> %.1f MiB; limit %.1f MiB)" % (
                rss_growth, mid["hwm_mib"], end["hwm_mib"], rss_limit))
        fd_growth = (end["fds"] - end["sst"]) - (mid["fds"] - mid["sst"])
        if fd_growth > 16:
            failures.append("open descriptors (other than table files) grew by %d over the second half" % fd_growth)
        thread_growth = end["threads"] - mid["threads"]
        if thread_growth > 8:
            failures.append("threads grew by %d over the second half" % thread_growth)
        notice_rate = a.rate / max(1, round(1 / a.notice_fraction))
        backlog_trend = slope([(s["t"], s["backlog"] + s["ready"]) for s in second]) * (end["t"] - mid["t"])
        if backlog_trend > max(100, 30 * notice_rate):
            failures.append("the backlog grew by ~%.0f over the second half (trend)" % backlog_trend)
        if not drained:
            failures.append("the pipeline did not drain within %d s after the load (backlog %d, "
                            "ready %d, tracking %d)" % (a.drain, final["backlog"], final["ready"],
                                                        final["track_backlog"]))
        achieved = end["events"] / max(1e-9, a.seconds)
        if achieved < 0.9 * a.rate:
            print("note: the driver achieved %.0f events/s of the %g asked (the machine is busy?)" % (
                achieved, a.rate))

        self.print_table(mid, end, final)
        lat = sorted(self.latencies)
        print("latency notice 202 -> email file read: p50 %.2f s, p99 %.2f s, max %.2f s (%d emails)" % (
            percentile(lat, 0.5), percentile(lat, 0.99), lat[-1] if lat else 0, len(lat)))
        print("herald log: %d warning line(s), %d error line(s); drained in %.0f s; exit %d; "
              "seeded addresses searched in herald's output, /metrics and %d RocksDB LOG file(s)" % (
                  len(warn_lines), len(error_lines), self.drain_seconds, self.exit_code,
                  len(info_logs)))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"args": vars(a), "samples": self.samples, "counters": c,
                           "latency_p50": percentile(lat, 0.5), "latency_p99": percentile(lat, 0.99),
                           "failures": failures}, f, indent=1)
        verdict = "PASS" if not failures else "FAIL"
        print("soak: %s %d s at %g events/s: %d events, %d emails, %d tracking requests, "
              "%d errors; RSS %.0f -> %.0f -> %.0f MiB, peak %.0f -> %.0f MiB (%+.1f MiB over the "
              "second half, limit %.0f); fds %d -> %d; backlog at end of load %d" % (
                  verdict, a.seconds, a.rate, final["events"], final["emails"], final["track"],
                  c.get("errors", 0) + final["http_5xx"], load[0]["rss_mib"], mid["rss_mib"],
                  end["rss_mib"], mid["hwm_mib"], end["hwm_mib"], rss_growth, rss_limit,
                  mid["fds"], end["fds"], end["backlog"] + end["ready"]))
        for f in failures:
            print("FAIL: " + f)
        return 0 if not failures else 1

    def print_table(self, mid, end, final):
        rows = self.samples
        if len(rows) > 30:  # keep the first, last, half-time and ~25 evenly spaced
            step = len(rows) / 25
            keep = {int(k * step) for k in range(25)} | {0, len(rows) - 1}
            keep |= {rows.index(mid), rows.index(end)}
            rows = [r for k, r in enumerate(rows) if k in keep]
        print()
        print("%7s %-5s %8s %8s %7s %5s %4s %4s %9s %8s %8s %9s %7s %6s %6s %7s" % (
            "t(s)", "phase", "RSS MiB", "HWM MiB", "WAL MiB", "fds", "sst", "thr", "events",
            "emails", "sent", "tracking", "backlog", "ready", "errors", "disk MiB"))
        for s in rows:
            print("%7.0f %-5s %8.1f %8.1f %7.1f %5d %4d %4d %9d %8d %8d %9d %7d %6d %6d %7.0f" % (
                s["t"], s["phase"], s["rss_mib"], s["hwm_mib"], s["wal_mib"], s["fds"], s["sst"],
                s["threads"],
                s["events"], s["emails"], s["accepted"], s["track"], s["backlog"], s["ready"],
                s["driver_errors"] + s["http_5xx"] + s["rejected"] + s["failed"] + s["retried"],
                s["disk_mib"]))
        print()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.tmp and not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            print("kept %s (herald.err is herald's log)" % self.tmp)


def main():
    p = argparse.ArgumentParser(description=__doc__, epilog=CHECKS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--herald", required=True, help="the herald binary")
    p.add_argument("--seconds", type=float, default=600, help="length of the load (default 600)")
    p.add_argument("--rate", type=float, default=200, help="events per second (default 200)")
    p.add_argument("--notice-fraction", type=float, default=0.25,
                   help="share of events that send an email (default 0.25: 1 in 4)")
    p.add_argument("--interval", type=float, default=0,
                   help="seconds between samples (default: seconds/40, 2 to 15)")
    p.add_argument("--payload-bytes", type=int, default=2048,
                   help="case data in each event's `data` (default 2048)")
    p.add_argument("--event-workers", type=int, default=8, help="concurrent event posters")
    p.add_argument("--track-workers", type=int, default=4, help="concurrent tracking fetchers")
    p.add_argument("--timeout", type=float, default=30, help="per-request timeout, seconds")
    p.add_argument("--drain", type=float, default=0, help="seconds allowed to drain (default: max(60, seconds/10))")
    p.add_argument("--rss-growth-mib", type=float, default=48,
                   help="peak RSS growth allowed over the second half, MiB (default 48)")
    p.add_argument("--rss-growth-pct", type=float, default=15,
                   help="... plus this percentage of the peak at half time (default 15)")
    p.add_argument("--seed", type=int, default=1, help="seed of the recipients' behaviour")
    p.add_argument("--json", help="write the samples and the verdict to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--quiet", action="store_true", help="no line per sample while running")
    p.add_argument("--verbose-drain", action="store_true", help="sample every second while draining")
    a = p.parse_args()
    if a.rate <= 0 or a.seconds < 4 or not 0 < a.notice_fraction <= 1:
        p.error("--rate must be positive, --seconds at least 4, --notice-fraction in (0, 1]")
    if a.interval <= 0:
        a.interval = min(15.0, max(2.0, a.seconds / 40))
    if a.drain <= 0:
        a.drain = max(60.0, a.seconds / 10)
    soak = Soak(a)
    # SIGTERM (ctest, a CI runner) stops the run the way Ctrl-C does: herald is stopped and
    # the temporary directory removed.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        code = soak.run()
    except RuntimeError as e:
        print("soak: setup error: %s" % e, file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    finally:
        soak.cleanup()
    sys.exit(code)


if __name__ == "__main__":
    main()
