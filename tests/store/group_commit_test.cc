// Group commit: the GroupBuilder's in-group overlay (deterministic, no RocksDB), the
// writer queue under real concurrency, and a write that really fails.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/group_builder.h"
#include "engine/store/keys.h"
#include "engine/store/rocks_store.h"
#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::MakeEvent;
using testing::TempDir;
using Kind = AppendOutcome::Kind;

// Committed state held in maps, filled from a builder's writes like RocksStore would.
class MapState final : public CommittedState {
 public:
  Result<std::optional<IdempotencyEntry>> FindIdempotency(const std::string& key) override {
    auto it = idempotency_.find(key);
    if (it == idempotency_.end()) return std::optional<IdempotencyEntry>();
    return std::optional<IdempotencyEntry>(*DecodeIdempotencyEntry(it->second));
  }
  Result<std::optional<CaseRecord>> FindCase(const std::string& case_id) override {
    if (fail_case_reads_) return Status::IOError("injected read failure");
    auto it = cases_.find(case_id);
    if (it == cases_.end()) return std::optional<CaseRecord>();
    return std::optional<CaseRecord>(*DecodeCaseRecord(it->second));
  }
  Result<std::optional<Recipient>> FindRecipient(const std::string& key) override {
    auto it = recipients_.find(key);
    if (it == recipients_.end()) return std::optional<Recipient>();
    return std::optional<Recipient>(*DecodeRecipient(it->second));
  }
  void Apply(const std::vector<PendingWrite>& writes) {
    for (const PendingWrite& w : writes) {
      if (w.column == StoreColumn::kIdempotency) idempotency_[w.key] = w.value;
      if (w.column == StoreColumn::kCases) cases_[w.key] = w.value;
      if (w.column == StoreColumn::kRecipients) recipients_[w.key] = w.value;
      if (w.column == StoreColumn::kEvents) events_.push_back(*DecodeSeq(w.key));
    }
  }
  CaseRecord Case(const std::string& id) { return **FindCase(id); }

  std::vector<uint64_t> events_;
  bool fail_case_reads_ = false;

 private:
  std::map<std::string, std::string> idempotency_, cases_, recipients_;
};

TEST_CASE("requests in one group see the effects of earlier requests") {
  MapState state;
  GroupBuilder group(state, 1, 1000);
  auto r1 = group.AddRequest("k", {MakeEvent("a", "c1", json{{"x", 1}, {"y", 1}})});
  // Same id and content as request 1: a duplicate of a seq not yet written.
  auto r2 = group.AddRequest("k", {MakeEvent("a", "c1", json{{"x", 1}, {"y", 1}}),
                                   MakeEvent("b", "c1", json{{"y", nullptr}})});
  // Conflicts with request 1: refused, but requests 1, 2 and 4 proceed.
  auto r3 = group.AddRequest(
      "k", {MakeEvent("c", "c1", json{{"z", 1}}), MakeEvent("a", "c1", json{{"x", 2}})});
  auto r4 = group.AddRequest("k", {MakeEvent("c", "c1", json{{"w", 1}})});
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  REQUIRE(r3.ok());
  REQUIRE(r4.ok());
  CHECK((*r1)[0].seq == 1);
  CHECK((*r2)[0].kind == Kind::kDuplicate);
  CHECK((*r2)[0].seq == 1);
  CHECK((*r2)[1].seq == 2);
  CHECK((*r3)[0].kind == Kind::kNotWritten);
  CHECK((*r3)[1].kind == Kind::kConflict);
  CHECK((*r3)[1].seq == 1);
  CHECK((*r4)[0].kind == Kind::kAccepted);  // "c" was not taken by refused request 3
  CHECK((*r4)[0].seq == 3);
  CHECK(group.accepted() == 3);

  state.Apply(group.TakeWrites());
  CHECK(state.events_ == std::vector<uint64_t>{1, 2, 3});
  CaseRecord c1 = state.Case("c1");
  CHECK(c1.state == json{{"x", 1}, {"w", 1}});
  CHECK(c1.event_count == 3);
  CHECK(c1.last_seq == 3);

  // The next group continues from the committed state.
  GroupBuilder next(state, 4, 2000);
  auto r5 = next.AddRequest("k", {MakeEvent("b", "c1", json{{"y", nullptr}})});
  CHECK((*r5)[0].kind == Kind::kDuplicate);
  CHECK((*r5)[0].seq == 2);
  CHECK(next.TakeWrites().empty());
}

TEST_CASE("a request that fails to read leaves no trace in the group") {
  MapState state;
  GroupBuilder group(state, 1, 1000);
  REQUIRE(group.AddRequest("k", {MakeEvent("a", "c1", json{{"x", 1}})}).ok());
  state.fail_case_reads_ = true;
  auto failed = group.AddRequest("k", {MakeEvent("b", "c1"), MakeEvent("c", "c2")});
  CHECK(failed.status().code() == Status::Code::kIOError);
  state.fail_case_reads_ = false;
  auto after = group.AddRequest("k", {MakeEvent("c", "c3")});
  REQUIRE(after.ok());
  CHECK((*after)[0].kind == Kind::kAccepted);
  CHECK((*after)[0].seq == 2);
  state.Apply(group.TakeWrites());
  CHECK(state.events_ == std::vector<uint64_t>{1, 2});
  CHECK(state.FindCase("c2")->has_value() == false);
}

std::unique_ptr<RocksStore> OpenStore(const std::string& path, const Clock& clock) {
  StoreOptions options;
  options.path = path;
  Result<std::unique_ptr<RocksStore>> store = RocksStore::Open(options, clock);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

TEST_CASE("concurrent appends get dense, unique sequence numbers") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int i = 0;
      while (i < kPerThread) {
        // Requests of 1 to 4 events; every event also updates one shared case.
        std::vector<Event> request;
        for (int n = 0; n < 1 + (i + t) % 4 && i < kPerThread; ++n, ++i) {
          request.push_back(MakeEvent("t" + std::to_string(t) + "-" + std::to_string(i), "shared",
                                      json{{"t" + std::to_string(t), i}}));
        }
        Result<std::vector<AppendOutcome>> r = store->Append("k", request);
        if (!r.ok()) {
          errors[t] = r.status().ToString();
          return;
        }
        for (const AppendOutcome& o : *r) {
          if (o.kind != Kind::kAccepted) errors[t] = "not accepted";
          seqs[t].push_back(o.seq);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& e : errors) CHECK(e.empty());

  std::vector<uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    // One caller's requests are sequential, so its seqs increase.
    CHECK(std::is_sorted(seqs[t].begin(), seqs[t].end()));
    all.insert(all.end(), seqs[t].begin(), seqs[t].end());
  }
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == kThreads * kPerThread);
  for (size_t i = 0; i < all.size(); ++i) REQUIRE(all[i] == i + 1);
  CHECK(store->LastSequence() == kThreads * kPerThread);

  // Every event is in the log exactly once, under the seq its caller was given.
  std::map<std::string, uint64_t> by_id;
  uint64_t after = 0;
  for (;;) {
    Result<std::vector<StoredEvent>> page = store->ReadAfter(after, 300);
    REQUIRE(page.ok());
    if (page->empty()) break;
    for (const StoredEvent& e : *page) CHECK(by_id.emplace(e.event.id, e.seq).second);
    after = page->back().seq;
  }
  CHECK(by_id.size() == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      CHECK(by_id["t" + std::to_string(t) + "-" + std::to_string(i)] == seqs[t][i]);
    }
  }

  // The shared case folded every event, each caller's last write winning its own field.
  Result<CaseRecord> shared = store->GetCase("shared");
  REQUIRE(shared.ok());
  CHECK(shared->event_count == kThreads * kPerThread);
  CHECK(shared->last_seq == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t)
    CHECK(shared->state["t" + std::to_string(t)] == kPerThread - 1);
  CHECK(store->CaseHistory("shared", 0, 10000)->size() == kThreads * kPerThread);
}

TEST_CASE("concurrent posts of the same events store each once") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  constexpr int kThreads = 8;
  constexpr int kEvents = 100;
  std::vector<std::vector<AppendOutcome>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEvents; ++i) {
        Result<std::vector<AppendOutcome>> r =
            store->Append("k", {MakeEvent("e" + std::to_string(i), "c", json{{"i", i}})});
        outcomes[t].push_back(r.ok() ? (*r)[0] : AppendOutcome{Kind::kNotWritten, 0});
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(store->LastSequence() == kEvents);
  for (int i = 0; i < kEvents; ++i) {
    int accepted = 0;
    std::set<uint64_t> seqs;
    for (int t = 0; t < kThreads; ++t) {
      const AppendOutcome& o = outcomes[t][i];
      CHECK((o.kind == Kind::kAccepted || o.kind == Kind::kDuplicate));
      accepted += o.kind == Kind::kAccepted;
      seqs.insert(o.seq);
    }
    CHECK(accepted == 1);
    CHECK(seqs.size() == 1);  // every caller learned the same seq for the id
  }
  CHECK(store->GetCase("c")->event_count == kEvents);
}

// RLIMIT_FSIZE makes the kernel refuse to grow any file past the limit (EFBIG), so the
// WAL append of a large batch really fails. The limit is process-wide; it is restored
// before any check can fail out of the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limited = old_;
    limited.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() { Lift(); }
  void Lift() {
    if (lifted_) return;
    setrlimit(RLIMIT_FSIZE, &old_);
    signal(SIGXFSZ, old_handler_);
    lifted_ = true;
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_ = SIG_DFL;
  bool lifted_ = false;
};

TEST_CASE("a failed write consumes no sequence numbers and reports Unavailable") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  REQUIRE(store->Append("k", {MakeEvent("e1", "c1", json{{"a", 1}})}).ok());

  Result<std::vector<AppendOutcome>> failed = Status::Internal("unset");
  {
    FileSizeLimit limit(256 << 10);
    failed = store->Append("k", {MakeEvent("big", "c1", json{{"pad", std::string(1 << 20, 'x')}})});
  }
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().IsUnavailable());
  CHECK(store->LastSequence() == 1);
  CHECK_FALSE(store->Stats().writable);
  CHECK(store->GetCase("c1")->state == json{{"a", 1}});
  MESSAGE("after a failed write: ", failed.status().ToString());

  // With the cause gone, the store either resumes or keeps refusing writes; either way
  // nothing half-written is visible and a reopen continues the sequence.
  Result<std::vector<AppendOutcome>> retry = store->Append("k", {MakeEvent("e2", "c1")});
  MESSAGE("retry: ", retry.ok() ? std::string("ok") : retry.status().ToString());
  if (retry.ok()) {
    CHECK((*retry)[0].seq == 2);
    CHECK(store->Stats().writable);
  } else {
    CHECK(retry.status().IsUnavailable());
  }
  const uint64_t last = store->LastSequence();
  store.reset();
  auto reopened = OpenStore(dir.Sub("db"), clock);
  CHECK(reopened->LastSequence() == last);
  Result<std::vector<AppendOutcome>> next = reopened->Append("k", {MakeEvent("e3", "c1")});
  REQUIRE(next.ok());
  CHECK((*next)[0].seq == last + 1);
  Result<std::vector<AppendOutcome>> big_again =
      reopened->Append("k", {MakeEvent("big", "c1", json{{"pad", "small now"}})});
  REQUIRE(big_again.ok());
  CHECK((*big_again)[0].kind == Kind::kAccepted);  // the failed event left no idempotency entry
}

}  // namespace
}  // namespace herald
