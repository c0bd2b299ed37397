// POST /v1/events while the disk fills up, clears, turns read-only and clears again:
// every answer is 202 or 503 with Retry-After, every 202 names events that are in the
// log under the seqs it gave, and ingest works again after each fault without a restart.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/fault_util.h"

namespace herald::testing {
namespace {

using nlohmann::json;

json EventJson(const std::string& id, const std::string& case_id, int n) {
  return {{"id", id},
          {"case_id", case_id},
          {"type", "case.updated"},
          {"occurred_at", "2026-01-05T14:00:00Z"},
          {"data", {{"n", n}}}};
}

TEST_CASE("fault ingest: 503 with Retry-After during a disk fault, 202 again once it clears") {
  FaultyIngestServer s;
  auto first = s.Post(EventJson("e1", "c1", 1).dump());
  REQUIRE(first);
  REQUIRE(first->status == 202);
  CHECK(s.ReadyStatus() == 200);

  s.faults().Set(StorageFaults::Kind::kNoSpace);
  auto refused = s.Post(EventJson("e2", "c1", 2).dump());
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->get_header_value("Retry-After") == "5");
  CHECK(json::parse(refused->body)["error"]["code"] == "unavailable");
  CHECK(s.ReadyStatus() == 503);
  CHECK(s.log().store->LastSequence() == 1);

  s.faults().Clear();
  CHECK(s.ReadyStatus() == 200);
  auto accepted = s.Post(EventJson("e2", "c1", 2).dump());
  REQUIRE(accepted);
  CHECK(accepted->status == 202);
  CHECK(json::parse(accepted->body)["results"][0]["seq"] == 2);
}

// Clients post events with ids of their own, retrying each on 503 until it is
// acknowledged; the test thread turns the disk full, then fine, then read-only, then
// fine, each time after the clients made progress (no timing involved).
TEST_CASE("fault ingest: under a flapping disk every 202 is in the log, nothing twice") {
  FaultyIngestServer s;
  constexpr int kClients = 4;
  constexpr int kEventsPerClient = 60;
  std::mutex mu;
  std::condition_variable progress;
  int answered_202 = 0, answered_503 = 0, other = 0;
  std::map<std::string, uint64_t> acknowledged;  // event id -> seq its 202 gave

  auto client = [&](int c) {
    for (int i = 0; i < kEventsPerClient; ++i) {
      const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
      // A few cases shared by all clients, so their states see concurrent merges.
      const json body = EventJson(id, "case-" + std::to_string(i % 5), i);
      for (int attempt = 0;; ++attempt) {
        auto r = s.Post(body.dump());
        std::lock_guard<std::mutex> lock(mu);
        if (r && r->status == 202) {
          json b = json::parse(r->body);
          acknowledged[id] = b["results"][0]["seq"].get<uint64_t>();
          ++answered_202;
          progress.notify_all();
          break;
        }
        if (r && r->status == 503 && r->get_header_value("Retry-After") == "5") {
          ++answered_503;
        } else {
          ++other;
        }
        progress.notify_all();
        if (attempt > 100000) return;  // never: the fault always clears
      }
    }
  };
  auto wait_for = [&](int* counter, int at_least) {
    std::unique_lock<std::mutex> lock(mu);
    progress.wait(lock, [&] { return *counter >= at_least; });
  };

  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back(client, c);
  wait_for(&answered_202, 20);
  s.faults().Set(StorageFaults::Kind::kNoSpace, StorageFaults::kWrites);
  wait_for(&answered_503, 20);
  CHECK(s.ReadyStatus() == 503);
  const int before_clear = answered_202;
  s.faults().Clear();
  wait_for(&answered_202, before_clear + 20);
  s.faults().Set(StorageFaults::Kind::kReadOnly, StorageFaults::kSyncs);
  wait_for(&answered_503, 60);
  s.faults().Clear();
  for (std::thread& t : clients) t.join();

  CHECK(other == 0);
  CHECK(answered_503 >= 60);
  REQUIRE(acknowledged.size() == kClients * kEventsPerClient);
  // Every 202 is in the log under its seq, each event once, the log dense; and a
  // restart (the fault cleared) reads back the same.
  for (int pass = 0; pass < 2; ++pass) {
    RocksStore& store = *s.log().store;
    auto all = store.ReadAfter(0, 100000);
    REQUIRE(all.ok());
    std::map<std::string, uint64_t> in_log;
    std::map<std::string, uint64_t> per_case;
    for (size_t i = 0; i < all->size(); ++i) {
      const StoredEvent& e = (*all)[i];
      CHECK(e.seq == i + 1);
      CHECK(in_log.emplace(e.event.id, e.seq).second);  // no event twice
      ++per_case[e.event.case_id];
    }
    CHECK(in_log == acknowledged);
    for (const auto& [case_id, count] : per_case) {
      CHECK(store.GetCase(case_id)->event_count == count);
    }
    if (pass == 0) s.log().Restart();
  }
}

}  // namespace
}  // namespace herald::testing
