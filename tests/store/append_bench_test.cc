// A benchmark of RocksStore::Append alone (no HTTP), skipped in normal runs:
//   store_test -tc='append throughput*' --no-skip [-dt-threads=4]
// Posts the events bench/ingest_load posts (unique ids, 5000 cases per thread, a
// recipient each) in 1000-event requests from several threads, synced, and prints
// events/s, process CPU per event and the leaders' serial time per event.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/clock.h"
#include "engine/store/rocks_store.h"
#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void RunAppendBench(int threads, int batch, int requests_per_thread) {
  testing::TempDir dir;
  SystemClock clock;
  StoreOptions options;
  options.path = dir.Sub("db");
  auto store = std::move(RocksStore::Open(options, clock)).value();

  // Requests are built up front so the timing covers the store only.
  std::vector<std::vector<std::vector<Event>>> requests(threads);
  for (int t = 0; t < threads; ++t) {
    uint64_t n = 0;
    for (int r = 0; r < requests_per_thread; ++r) {
      std::vector<Event> events;
      for (int i = 0; i < batch; ++i, ++n) {
        Event e = testing::MakeEvent("bench-" + std::to_string(t) + "-" + std::to_string(n),
                                     "case-" + std::to_string(t) + "-" + std::to_string(n % 5000),
                                     json{{"status", "documents_requested"},
                                          {"documents", {"proof_of_income", "proof_of_address"}},
                                          {"due_date", "2026-03-16"}},
                                     "case.status_changed");
        Recipient rcp;
        rcp.email = "person" + std::to_string(n % 5000) + "@example.org";
        rcp.locale = "es-MX";
        rcp.timezone = "America/Chicago";
        rcp.channels = std::vector<Channel>{Channel::kEmail};
        e.recipient = rcp;
        events.push_back(std::move(e));
      }
      requests[t].push_back(std::move(events));
    }
  }

  std::atomic<int> failures{0};
  const double cpu0 = CpuSeconds();
  const Micros t0 = clock.MonotonicMicros();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (const std::vector<Event>& events : requests[t]) {
        if (!store->Append("bench-key", events).ok()) failures++;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = static_cast<double>(clock.MonotonicMicros() - t0) / 1e6;
  const double cpu = CpuSeconds() - cpu0;
  const RocksStore::AppendCounters c = store->Counters();
  const double events = static_cast<double>(c.events);
  MESSAGE("threads=", threads, " batch=", batch, " events=", c.events,
          " events_per_s=", static_cast<uint64_t>(events / seconds),
          " cpu_us_per_event=", cpu * 1e6 / events,
          " leader_us_per_event=", static_cast<double>(c.leader_micros) / events,
          " groups=", c.groups, " rebuilt=", c.rebuilt);
  CHECK(failures.load() == 0);
}

TEST_CASE("append throughput with 1000-event requests" * doctest::skip()) {
  RunAppendBench(4, 1000, 60);
}

TEST_CASE("append throughput with single-event requests" * doctest::skip()) {
  RunAppendBench(32, 1, 1500);
}

}  // namespace
}  // namespace herald
