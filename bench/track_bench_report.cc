// track_bench --report-latency: report latency over millions of real engagement events.
//
//   track_bench --report-latency [--events E] [--messages M] [--runs R] [--dir D]
//                                [--max-seconds S] [--compact 0|1] [--threads T]
//
// 1. setup (timed, not a goal): M messages (default 1,000,000) of one campaign, created
//    evenly over 90 days, five rules, five locales, email and SMS, each registered and
//    recorded sent (and delivered for email) with unsynced writes;
// 2. recording: E events (default 10,000,000) through TrackStore::RecordEngagement from T
//    threads (default 16), as the HTTP routes call it, with the store's production options
//    (engagement writes unsynced): each on a random message, opens and clicks (SMS: clicks),
//    minutes to days after the send, with a mix of user agents (so the classifier marks some
//    machine ones). Stops early after S seconds (default: no limit) and says so;
// 3. reports: TrackStore::Report over the last 30 and 90 days, grouped by day
//    (America/Chicago), rule, locale and channel, R runs each (default 7): median and max,
//    as recorded and again after CompactAll (--compact 1, the default).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/track_bench_seed.h"

namespace fs = std::filesystem;

namespace herald::bench {
namespace {

constexpr Micros kEnd = 1'775'001'600'000'000;  // 2026-04-01T00:00:00Z
constexpr Micros kSpan = 90 * kDay;

struct ReportArgs {
  uint64_t events = 10'000'000;
  uint64_t messages = 1'000'000;
  int runs = 7;
  std::string dir;
  double max_seconds = 0;
  bool compact = true;
  int threads = 16;
};

uint64_t DirBytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  }
  return n;
}

Micros Created(uint64_t i, uint64_t messages) {
  return kEnd - kSpan + Micros((__int128)kSpan * i / messages);
}

void TimeReports(RocksTrackStore& store, int runs, const char* when) {
  const struct {
    ReportGroup group;
    const char* name;
  } groups[] = {{ReportGroup::kDay, "day"},
                {ReportGroup::kRule, "rule"},
                {ReportGroup::kLocale, "locale"},
                {ReportGroup::kChannel, "channel"}};
  for (int days : {30, 90}) {
    for (const auto& g : groups) {
      ReportQuery q;
      q.campaign = kCampaign;
      q.from = kEnd - days * kDay;
      q.to = kEnd;
      q.group = g.group;
      q.timezone = "America/Chicago";
      std::vector<double> ms;
      CampaignReport last;
      for (int r = 0; r < runs; ++r) {
        const int64_t t = NowSteadyMicros();
        Result<CampaignReport> rep = store.Report(q);
        ms.push_back(SecondsSince(t) * 1e3);
        if (!rep.ok()) Die("report: " + rep.status().ToString());
        last = std::move(rep).value();
      }
      std::sort(ms.begin(), ms.end());
      std::printf(
          "report %-9s %2d days by %-7s: median %7.2f ms, max %7.2f ms (%d runs); %zu rows, "
          "%llu counter rows read, %lld opens, %lld clicks in range\n",
          when, days, g.name, ms[ms.size() / 2], ms.back(), runs, last.rows.size(),
          (unsigned long long)last.counter_rows_read,
          (long long)(last.total.v[kOpensHuman] + last.total.v[kOpensMachine]),
          (long long)(last.total.v[kClicksHuman] + last.total.v[kClicksMachine]));
    }
  }
  std::fflush(stdout);
}

}  // namespace

int RunReportLatency(int argc, char** argv) {
  ReportArgs a;
  if (const char* v = ArgValue(argc, argv, "--events")) a.events = std::strtoull(v, nullptr, 10);
  if (const char* v = ArgValue(argc, argv, "--messages")) {
    a.messages = std::strtoull(v, nullptr, 10);
  }
  if (const char* v = ArgValue(argc, argv, "--runs")) a.runs = std::max(1, std::atoi(v));
  if (const char* v = ArgValue(argc, argv, "--dir")) a.dir = v;
  if (const char* v = ArgValue(argc, argv, "--max-seconds")) a.max_seconds = std::atof(v);
  if (const char* v = ArgValue(argc, argv, "--compact")) a.compact = std::atoi(v) != 0;
  if (const char* v = ArgValue(argc, argv, "--threads")) a.threads = std::max(1, std::atoi(v));
  if (a.dir.empty()) Die("--report-latency needs --dir (the script gives it a temp dir)");
  if (a.messages == 0) Die("--messages must be positive");
  const std::string path = (fs::path(a.dir) / "track-report").string();
  // Registrations and statuses are setup here: unsynced. Engagement writes keep the
  // production default (unsynced too: TrackStoreOptions::sync_engagement_writes).
  std::unique_ptr<RocksTrackStore> store =
      OpenTrackStore(path, "track-bench-secret-0123456789abcdef", false);

  int64_t t = NowSteadyMicros();
  for (uint64_t i = 0; i < a.messages; ++i) {
    RegisterSent(*store, SeedMessage(i, Created(i, a.messages), 3));
  }
  const double reg_s = SecondsSince(t);
  std::printf("setup: %llu messages over 90 days registered and sent in %.1f s (%.0f/s)\n",
              (unsigned long long)a.messages, reg_s, double(a.messages) / reg_s);
  std::fflush(stdout);

  // Recording from many threads, as the HTTP server's connection threads call it: the store
  // groups concurrent events into one write (RecordEngagement's group commit).
  std::atomic<uint64_t> next{0}, recorded{0}, machine{0};
  std::atomic<bool> stop{false};
  std::mutex print_mu;
  t = NowSteadyMicros();
  int64_t lap = t;
  auto record = [&] {
    EngagementInput in;
    for (;;) {
      const uint64_t e = next.fetch_add(1);
      if (e >= a.events || stop.load()) return;
      const uint64_t r = Mix(e ^ 0x5eedULL);
      const uint64_t i = r % a.messages;
      const bool sms = i % 5 == 4;  // SeedMessage's channel rule
      const bool click = sms || (r >> 40) % 100 < 35;
      in.kind = click ? TokenKind::kClick : TokenKind::kOpen;
      in.message_id = MessageId(i);
      in.link_index = click && !sms ? uint32_t((r >> 20) % 3) : 0;
      // Minutes to three days after the send (sent = created + 1 min).
      in.at = Created(i, a.messages) + 60'000'000 + 5 * 60'000'000LL +
              Micros((r >> 8) % uint64_t(3 * kDay));
      in.user_agent = UserAgent(r >> 50);
      in.ip = "203.0.113." + std::to_string((r >> 32) % 250 + 1);
      Result<EngagementResult> res = store->RecordEngagement(in);
      if (!res.ok()) Die("record: " + res.status().ToString());
      if (!res->found) Die("record: message not found");
      if (res->machine) machine.fetch_add(1);
      const uint64_t n = recorded.fetch_add(1) + 1;
      if (n % 1'000'000 == 0) {
        std::lock_guard<std::mutex> l(print_mu);
        std::printf("  %llu events, %.1f s, last million at %.0f events/s\n", (unsigned long long)n,
                    SecondsSince(t), 1e6 / SecondsSince(lap));
        std::fflush(stdout);
        lap = NowSteadyMicros();
      }
      if (a.max_seconds > 0 && (e & 1023) == 0 && SecondsSince(t) > a.max_seconds) {
        stop.store(true);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < a.threads; ++i) threads.emplace_back(record);
  for (std::thread& th : threads) th.join();
  const double rec_s = SecondsSince(t);
  std::printf(
      "recording: %llu of %llu events through RecordEngagement from %d threads in %.1f s: "
      "%.0f events/s (%.1f%% machine)%s\n",
      (unsigned long long)recorded.load(), (unsigned long long)a.events, a.threads, rec_s,
      double(recorded.load()) / rec_s,
      100.0 * double(machine.load()) / double(std::max<uint64_t>(recorded.load(), 1)),
      recorded.load() < a.events ? "  ** stopped early by --max-seconds **" : "");
  std::printf("track store on disk: %.0f MiB; counters: %s\n", double(DirBytes(path)) / (1 << 20),
              store->CountersStats().c_str());
  std::fflush(stdout);

  TimeReports(*store, a.runs, "as-written");
  if (a.compact) {
    t = NowSteadyMicros();
    if (Status s = store->CompactAll(); !s.ok()) Die("compact: " + s.ToString());
    std::printf("CompactAll: %.1f s; on disk %.0f MiB\n", SecondsSince(t),
                double(DirBytes(path)) / (1 << 20));
    TimeReports(*store, a.runs, "compacted");
  }
  return 0;
}

}  // namespace herald::bench
