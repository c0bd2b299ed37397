// timers_bench: planning and firing throughput of the rule engine and timer firer on the
// real RocksDB stores (issue 3). A benchmark, not a test: it prints figures and only fails
// when the engine returns an error. See docs/benchmarks.md ("Timers (issue 3)").
//
//   timers_bench [--events N] [--dir D] [--sync 0|1]
//
// It writes a campaign with five rules on case.status_changed (after: 1h, 6h, 1d, 3d, 7d)
// and minimal templates into D (default: a fresh mkdtemp directory, removed at the end),
// appends N events (one case and recipient each) to the event log in batches of 1000 with
// sync_writes=false (ingest is measured elsewhere; this is only setup), then measures:
//   1. planning: RuleEngine::ProcessAvailable until the cursor reaches the end of the log;
//   2. pending timers: count, process RSS, on-disk size of the schedule store;
//   3. firing: the FakeClock moved past every due time, TimerFirer::FireDue until nothing
//      is due.
// The schedule store uses --sync (default 1, as in production). Timing uses steady_clock;
// engine time is a FakeClock.
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/time_format.h"
#include "engine/rules/campaign_loader.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/timer_firer.h"
#include "engine/schedule/local_time.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"

namespace fs = std::filesystem;
using namespace herald;

namespace {

constexpr Micros kHour = 3600LL * 1'000'000;
constexpr Micros kDay = 24 * kHour;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "timers_bench: %s\n", what.c_str());
  std::exit(1);
}

void WriteText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) Die("cannot write " + path.string());
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// VmRSS of this process in KiB, or 0 when unknown.
uint64_t RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

const char* kCampaign =
    "campaign: bench\n"
    "locales: [en]\n"
    "timezone: America/New_York\n"
    "rules:\n"
    "  - id: r1\n    on: case.status_changed\n    after: 1h\n    send: t1\n"
    "  - id: r2\n    on: case.status_changed\n    after: 6h\n    send: t2\n"
    "  - id: r3\n    on: case.status_changed\n    after: 1d\n    send: t3\n"
    "  - id: r4\n    on: case.status_changed\n    after: 3d\n    send: t4\n"
    "  - id: r5\n    on: case.status_changed\n    after: 7d\n    send: t5\n";

}  // namespace

int main(int argc, char** argv) {
  size_t events = 1'000'000;
  std::string dir_flag;
  bool sync = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--events") {
      events = std::stoull(next());
    } else if (a == "--dir") {
      dir_flag = next();
    } else if (a == "--sync") {
      sync = next() != "0";
    } else {
      Die("usage: timers_bench [--events N] [--dir D] [--sync 0|1]");
    }
  }

  fs::path dir;
  const bool temp = dir_flag.empty();
  if (temp) {
    std::string tmpl = (fs::temp_directory_path() / "timers_bench.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    dir = tmpl;
  } else {
    dir = dir_flag;
    fs::create_directories(dir);
  }

  for (int t = 1; t <= 5; ++t) {
    WriteText(dir / "templates" / ("t" + std::to_string(t)) / "en.md",
              "---\nsubject: s\nsms: s\n---\nbody\n");
  }
  WriteText(dir / "campaigns" / "bench.yaml", kCampaign);
  CampaignLoad load = LoadCampaigns((dir / "campaigns").string(), (dir / "templates").string());
  if (!load.ok()) {
    for (const ConfigError& e : load.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    Die("campaign load failed");
  }

  FakeClock clock;  // 2026-01-01T00:00:00Z
  const Micros start = clock.NowMicros();
  ZoneCache zones;

  StoreOptions so;
  so.path = (dir / "store").string();
  so.sync_writes = false;  // setup only: ingest is benchmarked elsewhere
  auto log_r = RocksStore::Open(so, clock);
  if (!log_r.ok()) Die(log_r.status().ToString());
  std::unique_ptr<RocksStore> log = std::move(log_r).value();

  ScheduleStoreOptions sso;
  sso.path = (dir / "schedule").string();
  sso.sync_writes = sync;
  auto sched_r = RocksScheduleStore::Open(sso, clock);
  if (!sched_r.ok()) Die(sched_r.status().ToString());
  std::unique_ptr<RocksScheduleStore> sched = std::move(sched_r).value();

  auto engine = std::make_unique<RuleEngine>(load.campaigns, *log, *sched, clock, zones);
  auto firer = std::make_unique<TimerFirer>(load.campaigns, *sched, clock, zones);

  std::printf("timers_bench: events=%zu dir=%s schedule sync_writes=%d (event log sync_writes=0)\n",
              events, dir.string().c_str(), sync ? 1 : 0);
  std::fflush(stdout);

  // Setup: append the events (not measured as ingest).
  const std::string occurred_at = FormatRfc3339(start);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Event> batch;
  batch.reserve(1000);
  for (size_t i = 0; i < events;) {
    batch.clear();
    for (size_t j = 0; j < 1000 && i < events; ++j, ++i) {
      const std::string n = std::to_string(i);
      Event e;
      e.id = "e" + n;
      e.case_id = "case-" + n;
      e.type = "case.status_changed";
      e.occurred_at = occurred_at;
      e.occurred_at_us = start;
      e.data = nlohmann::json{{"status", "documents_requested"}};
      Recipient r;
      r.id = "p-" + n;
      r.email = "p" + n + "@example.org";
      r.timezone = "America/Chicago";
      r.locale = "en";
      e.recipient = std::move(r);
      batch.push_back(std::move(e));
    }
    auto out = log->Append("bench", batch);
    if (!out.ok()) Die(out.status().ToString());
  }
  std::printf("setup: appended %zu events in %.1f s (not a measurement)\n", events, Seconds(t0));
  std::fflush(stdout);

  // 1. Planning.
  t0 = std::chrono::steady_clock::now();
  size_t processed = 0;
  for (;;) {
    auto n = engine->ProcessAvailable(100'000);
    if (!n.ok()) Die(n.status().ToString());
    processed += *n;
    auto cursor = sched->Cursor();
    if (!cursor.ok()) Die(cursor.status().ToString());
    if (*cursor >= log->LastSequence()) break;
    if (*n == 0) Die("rule engine made no progress before the end of the log");
  }
  const double plan_s = Seconds(t0);
  auto pending = sched->PendingTimerCount();
  if (!pending.ok()) Die(pending.status().ToString());
  std::printf("planning: %zu events in %.2f s = %.0f events/s, %zu plans = %.0f plans/s\n",
              processed, plan_s, processed / plan_s, *pending, *pending / plan_s);

  // 2. Pending timers.
  std::printf("pending: %zu timers, RSS %.1f MiB, schedule dir %.1f MiB\n", *pending,
              RssKiB() / 1024.0, DirBytes(dir / "schedule") / (1024.0 * 1024.0));
  std::fflush(stdout);

  // 3. Firing: everything is due after 7 days.
  clock.Set(start + 8 * kDay);
  t0 = std::chrono::steady_clock::now();
  size_t fired = 0;
  for (;;) {
    auto n = firer->FireDue(100'000);
    if (!n.ok()) Die(n.status().ToString());
    if (*n == 0) break;
    fired += *n;
  }
  const double fire_s = Seconds(t0);
  auto left = sched->PendingTimerCount();
  if (!left.ok()) Die(left.status().ToString());
  auto outbox = sched->OutboxAfter(0, 1);
  if (!outbox.ok()) Die(outbox.status().ToString());
  std::printf(
      "firing: %zu timers in %.2f s = %.0f timers/s into the outbox (goal >= 50000), "
      "%zu still pending, outbox %s\n",
      fired, fire_s, fired / fire_s, *left, outbox->empty() ? "EMPTY" : "non-empty");

  engine.reset();
  firer.reset();
  sched.reset();
  log.reset();
  if (temp) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}
