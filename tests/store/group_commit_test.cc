// Group commit: preparing requests and the GroupBuilder's validation, rebuilds and
// in-group overlay (deterministic, no RocksDB), RecentWrites, the writer queue under real
// concurrency and with a change slipped in after a request was prepared, and a write
// that really fails.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/store/group_builder.h"
#include "engine/store/keys.h"
#include "engine/store/recent_writes.h"
#include "engine/store/records.h"
#include "engine/store/rocks_store.h"
#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::MakeEvent;
using testing::TempDir;
using Kind = AppendOutcome::Kind;

// Committed state held in maps and filled from a builder's writes like RocksStore would;
// counts the reads that reach it, so tests can tell prefetched values from fresh reads.
class MapState final : public StateView, public WriteSink {
 public:
  Result<std::optional<std::string_view>> Find(StoreColumn column, std::string_view key,
                                               uint64_t) override {
    ++reads_;
    if (fail_case_reads_ && column == StoreColumn::kCases) {
      return Status::IOError("injected read failure");
    }
    auto it = data_.find({column, std::string(key)});
    if (it == data_.end()) return std::optional<std::string_view>();
    return std::optional<std::string_view>(it->second);
  }
  // Buffers a group's writes until Apply, like a WriteBatch.
  void Put(StoreColumn column, std::string_view key, std::string_view value) override {
    pending_.push_back({column, std::string(key), std::string(value)});
  }
  void Apply() {
    for (const Write& w : pending_) {
      if (w.column == StoreColumn::kEvents) events_.push_back(*DecodeSeq(w.key));
      data_[{w.column, w.key}] = w.value;
    }
    pending_.clear();
  }
  void Discard() { pending_.clear(); }
  std::optional<std::string> Raw(StoreColumn column, std::string_view key) const {
    auto it = data_.find({column, std::string(key)});
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }
  CaseRecord Case(const std::string& id) {
    return *DecodeCaseRecord(id, *Raw(StoreColumn::kCases, id));
  }

  std::vector<uint64_t> events_;
  bool fail_case_reads_ = false;
  int reads_ = 0;

 private:
  struct Write {
    StoreColumn column;
    std::string key, value;
  };
  std::vector<Write> pending_;
  std::map<std::pair<StoreColumn, std::string>, std::string> data_;
};

// One Append request as a request thread prepares it: events encoded, committed records
// prefetched from `state` (unless `prefetch` is false: then the build reads `state`
// directly) as of generation `gen`, and built.
struct Request {
  std::vector<Event> events;
  PreparedRequest prepared;
};
std::unique_ptr<Request> Prepare(MapState& state, uint64_t gen, std::vector<Event> events,
                                 bool prefetch = true) {
  auto r = std::make_unique<Request>();
  r->events = std::move(events);
  PreparedRequest& p = r->prepared;
  PrepareEvents("k", r->events, &p.events);
  p.snapshot_gen = gen;
  if (prefetch) {
    for (const PreparedEvent& e : p.events) {
      p.idempotency[e.idem_key()] = state.Raw(StoreColumn::kIdempotency, e.idem_key());
      p.cases[e.event->case_id] = state.Raw(StoreColumn::kCases, e.event->case_id);
    }
    for (const std::string& key : RecipientKeysToRead(p)) {
      p.recipients[key] = state.Raw(StoreColumn::kRecipients, key);
    }
  }
  PrefetchedState view(p, state);
  const int reads_before = state.reads_;
  Status s = BuildRequest(view, p.events, &p.build);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  if (prefetch) CHECK(state.reads_ == reads_before);  // everything came from the prefetch
  return r;
}

// A group as a leader runs it: gen, first seq and receive time, over `state`.
struct Group {
  Group(MapState& state, RecentWrites& recent, uint64_t gen, uint64_t first_seq, Micros at)
      : builder(state, recent, gen, first_seq, at, state) {}
  Result<std::vector<AppendOutcome>> Add(Request& r) { return builder.AddRequest(r.prepared); }
  GroupBuilder builder;
};

Event WithRecipient(Event e, std::string id, std::string email) {
  Recipient r;
  r.id = std::move(id);
  r.email = std::move(email);
  e.recipient = std::move(r);
  return e;
}

TEST_CASE("requests in one group see the effects of earlier requests") {
  MapState state;
  RecentWrites recent;
  // All four were prepared against the same (empty) state before the group formed.
  auto r1 = Prepare(state, 0, {MakeEvent("a", "c1", json{{"x", 1}, {"y", 1}})});
  // Same id and content as request 1: a duplicate of a seq not yet written.
  auto r2 = Prepare(
      state, 0,
      {MakeEvent("a", "c1", json{{"x", 1}, {"y", 1}}), MakeEvent("b", "c1", json{{"y", nullptr}})});
  // Conflicts with request 1: refused, but requests 1, 2 and 4 proceed.
  auto r3 = Prepare(state, 0,
                    {MakeEvent("c", "c1", json{{"z", 1}}), MakeEvent("a", "c1", json{{"x", 2}})});
  auto r4 = Prepare(state, 0, {MakeEvent("c", "c1", json{{"w", 1}})});
  Group group(state, recent, 1, 1, 1000);
  auto o1 = group.Add(*r1);
  auto o2 = group.Add(*r2);
  auto o3 = group.Add(*r3);
  auto o4 = group.Add(*r4);
  REQUIRE(o1.ok());
  REQUIRE(o2.ok());
  REQUIRE(o3.ok());
  REQUIRE(o4.ok());
  CHECK((*o1)[0].seq == 1);
  CHECK((*o2)[0].kind == Kind::kDuplicate);
  CHECK((*o2)[0].seq == 1);
  CHECK((*o2)[1].seq == 2);
  CHECK((*o3)[0].kind == Kind::kNotWritten);
  CHECK((*o3)[1].kind == Kind::kConflict);
  CHECK((*o3)[1].seq == 1);
  CHECK((*o4)[0].kind == Kind::kAccepted);  // "c" was not taken by refused request 3
  CHECK((*o4)[0].seq == 3);
  CHECK(group.builder.accepted() == 3);
  CHECK(group.builder.rebuilt() == 3);  // 2, 3 and 4 read what 1 (then 2) wrote

  state.Apply();
  CHECK(state.events_ == std::vector<uint64_t>{1, 2, 3});
  CaseRecord c1 = state.Case("c1");
  CHECK(c1.state == json{{"x", 1}, {"w", 1}});
  CHECK(c1.event_count == 3);
  CHECK(c1.last_seq == 3);
  CHECK(c1.created_at == 1000);
  CHECK(c1.updated_at == 1000);

  // The next group continues from the committed state.
  auto r5 = Prepare(state, 1, {MakeEvent("b", "c1", json{{"y", nullptr}})});
  Group next(state, recent, 2, 4, 2000);
  auto o5 = next.Add(*r5);
  CHECK((*o5)[0].kind == Kind::kDuplicate);
  CHECK((*o5)[0].seq == 2);
  CHECK(next.builder.rebuilt() == 0);
  CHECK(next.builder.accepted() == 0);
}

TEST_CASE("a request whose reads nothing changed is used as its thread built it") {
  MapState state;
  RecentWrites recent;
  auto r1 = Prepare(state, 0, {MakeEvent("a", "c1", json{{"x", 1}}), MakeEvent("b", "c2")});
  const Event c = WithRecipient(MakeEvent("c", "c3", json{{"y", 2}}), "", "a@example.org");
  auto r2 = Prepare(state, 0, {c, c});  // a duplicate within the request
  const int reads = state.reads_;
  Group group(state, recent, 1, 10, 5000);
  auto o1 = group.Add(*r1);
  auto o2 = group.Add(*r2);
  CHECK(group.builder.rebuilt() == 0);
  CHECK(state.reads_ == reads);  // the leader read nothing
  CHECK((*o1)[0].seq == 10);
  CHECK((*o1)[1].seq == 11);
  CHECK((*o2)[0].kind == Kind::kAccepted);
  CHECK((*o2)[0].seq == 12);
  CHECK((*o2)[1].kind == Kind::kDuplicate);
  CHECK((*o2)[1].seq == 12);
  state.Apply();
  CHECK(state.events_ == std::vector<uint64_t>{10, 11, 12});
  CaseRecord c3 = state.Case("c3");
  CHECK(c3.state == json{{"y", 2}});
  CHECK(c3.last_seq == 12);
  CHECK(c3.created_at == 5000);
  CHECK(c3.recipient->email == "a@example.org");
  CHECK(DecodeRecipient(*state.Raw(StoreColumn::kRecipients, "c3"))->email == "a@example.org");
  // The leader filled in the seq and receive time the request thread left blank.
  CHECK(DecodeIdempotencyEntry(
            *state.Raw(StoreColumn::kIdempotency, r2->prepared.events[0].idem_key()))
            ->seq == 12);
  StoredEvent e = *DecodeStoredEvent(12, *state.Raw(StoreColumn::kEvents, EncodeSeq(12)));
  CHECK(e.received_at == 5000);
  CHECK(e.key_id == "k");
  CHECK(e.event == r2->events[0]);
  CHECK(state.Raw(StoreColumn::kCaseEvents, CaseEventKey("c3", 12)).has_value());
}

TEST_CASE("a request prepared before another group changed its case is rebuilt on it") {
  MapState state;
  RecentWrites recent;
  {
    auto r0 = Prepare(state, 0, {MakeEvent("first", "c1", json{{"a", 0}})});
    Group g(state, recent, 1, 1, 1000);
    REQUIRE(g.Add(*r0).ok());
    state.Apply();
  }
  // Prepared at generation 1; then group 2 changes c1's state, its recipient id and an id.
  auto late = Prepare(state, 1,
                      {MakeEvent("x", "c1", json{{"a", 1}, {"b", 1}}),
                       WithRecipient(MakeEvent("y", "c1"), "", "late@example.org"),
                       MakeEvent("z", "c2", json{{"q", 1}})});
  {
    auto r = Prepare(state, 1,
                     {WithRecipient(MakeEvent("w", "c1", json{{"b", 2}, {"c", 2}}), "r-7",
                                    "early@example.org")});
    Group g(state, recent, 2, 2, 2000);
    REQUIRE(g.Add(*r).ok());
    state.Apply();
  }
  const int reads = state.reads_;
  Group g(state, recent, 3, 3, 3000);
  auto out = g.Add(*late);
  REQUIRE(out.ok());
  CHECK(g.builder.rebuilt() == 1);
  // c1 was re-read (group 2 wrote it); "x", "y", "z" and c2 came from the prefetch; the
  // recipient key changed with c1's recipient id, so it was read fresh.
  CHECK(state.reads_ - reads == 2);
  CHECK((*out)[0].seq == 3);
  CHECK((*out)[2].seq == 5);
  state.Apply();
  CaseRecord c1 = state.Case("c1");
  CHECK(c1.state == json{{"a", 1}, {"b", 1}, {"c", 2}});  // group 2's patch first
  CHECK(c1.event_count == 4);
  CHECK(c1.last_seq == 4);
  CHECK(c1.created_at == 1000);
  CHECK(c1.updated_at == 3000);
  REQUIRE(c1.recipient.has_value());
  CHECK(c1.recipient->id == "r-7");
  CHECK(c1.recipient->email == "late@example.org");
  // The update without an id went to the recipient the case had by then.
  CHECK(DecodeRecipient(*state.Raw(StoreColumn::kRecipients, "r-7"))->email == "late@example.org");
  CHECK_FALSE(state.Raw(StoreColumn::kRecipients, "c1").has_value());
  CHECK(state.Case("c2").state == json{{"q", 1}});
}

TEST_CASE("an id taken after a request was prepared makes it a duplicate or a conflict") {
  MapState state;
  RecentWrites recent;
  auto same = Prepare(state, 0, {MakeEvent("n", "c9"), MakeEvent("e", "c1", json{{"v", 1}})});
  auto differs = Prepare(state, 0, {MakeEvent("e", "c1", json{{"v", 2}}), MakeEvent("m", "c2")});
  {
    auto r = Prepare(state, 0, {MakeEvent("e", "c1", json{{"v", 1}})});
    Group g(state, recent, 1, 1, 1000);
    REQUIRE(g.Add(*r).ok());
    state.Apply();
  }
  Group g(state, recent, 2, 2, 2000);
  auto o1 = g.Add(*same);
  auto o2 = g.Add(*differs);
  CHECK(g.builder.rebuilt() == 2);
  CHECK((*o1)[0].kind == Kind::kAccepted);
  CHECK((*o1)[0].seq == 2);
  CHECK((*o1)[1].kind == Kind::kDuplicate);
  CHECK((*o1)[1].seq == 1);
  CHECK((*o2)[0].kind == Kind::kConflict);
  CHECK((*o2)[0].seq == 1);
  CHECK((*o2)[1].kind == Kind::kNotWritten);
  state.Apply();
  CHECK(state.events_ == std::vector<uint64_t>{1, 2});
  CHECK(state.Case("c1").state == json{{"v", 1}});
  CHECK_FALSE(state.Raw(StoreColumn::kCases, "c2").has_value());
}

TEST_CASE("a snapshot older than RecentWrites remembers is rebuilt") {
  MapState state;
  RecentWrites recent(4);  // two tables of 4 keys
  auto old = Prepare(state, 0, {MakeEvent("old", "c-old", json{{"v", 1}})});
  uint64_t gen = 0, seq = 1;
  for (int i = 0; i < 6; ++i) {  // 2 keys per request, none of them `old`'s: 12 marks
    auto r = Prepare(state, gen, {MakeEvent("id" + std::to_string(i), "c" + std::to_string(i))});
    Group g(state, recent, ++gen, seq++, 1000);
    REQUIRE(g.Add(*r).ok());
    CHECK(g.builder.rebuilt() == 0);
    state.Apply();
  }
  CHECK(recent.floor() > 0);
  Group g(state, recent, ++gen, seq, 2000);
  auto out = g.Add(*old);
  REQUIRE(out.ok());
  CHECK(g.builder.rebuilt() == 1);
  CHECK((*out)[0].seq == seq);
}

TEST_CASE("RecentWrites answers for every generation after the floor") {
  RecentWrites recent(4);
  CHECK_FALSE(recent.WrittenAfter(1, 0));
  recent.Mark(1, 1);
  recent.Mark(2, 2);
  CHECK(recent.WrittenAfter(1, 0));
  CHECK_FALSE(recent.WrittenAfter(1, 1));
  CHECK(recent.WrittenAfter(2, 1));
  CHECK_FALSE(recent.WrittenAfter(3, 0));
  recent.Mark(0, 2);  // hash 0 shares hash 1's slot, which only makes 1 look newer
  CHECK(recent.WrittenAfter(0, 1));
  // Fill past two tables: the oldest marks are dropped and the floor rises past them.
  for (uint64_t h = 10; h < 20; ++h) recent.Mark(h, 3 + h);
  CHECK(recent.floor() >= 2);
  CHECK(recent.WrittenAfter(1, 1));  // below the floor: conservatively "written"
  CHECK(recent.WrittenAfter(19, recent.floor()));
  CHECK_FALSE(recent.WrittenAfter(19, 22));
  CHECK_FALSE(recent.WrittenAfter(12345, recent.floor()));
}

TEST_CASE("a request that fails to read leaves no trace in the group") {
  MapState state;
  RecentWrites recent;
  auto r1 = Prepare(state, 0, {MakeEvent("a", "c1", json{{"x", 1}})});
  // Not prefetched, so its rebuild (it reads c1, which r1 writes) reads c2 afresh.
  auto failing = Prepare(state, 0, {MakeEvent("b", "c1"), MakeEvent("c", "c2")}, false);
  auto after = Prepare(state, 0, {MakeEvent("c", "c3")});
  Group group(state, recent, 1, 1, 1000);
  REQUIRE(group.Add(*r1).ok());
  state.fail_case_reads_ = true;
  auto failed = group.Add(*failing);
  CHECK(failed.status().code() == Status::Code::kIOError);
  state.fail_case_reads_ = false;
  auto o = group.Add(*after);  // "c" was not taken by the failed request
  REQUIRE(o.ok());
  CHECK((*o)[0].kind == Kind::kAccepted);
  CHECK((*o)[0].seq == 2);
  CHECK(group.builder.rebuilt() == 1);  // `after` read nothing the group wrote
  state.Apply();
  CHECK(state.events_ == std::vector<uint64_t>{1, 2});
  CHECK_FALSE(state.Raw(StoreColumn::kCases, "c2").has_value());
  CHECK(state.Case("c1").event_count == 1);
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

TEST_CASE("a change committed between a request's prefetch and its group is not lost") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  REQUIRE(store->Append("k", {MakeEvent("e0", "c", json{{"a", 0}})}).ok());
  bool fired = false;
  store->SetAfterPrepareHookForTesting([&] {
    if (std::exchange(fired, true)) return;
    // On the outer Append's thread, after it read case c, its recipient key and "dup":
    // commit changes to all three before it joins the queue.
    clock.Advance(1);
    auto inner = store->Append(
        "k", {WithRecipient(MakeEvent("inner", "c", json{{"b", 2}}), "r-1", "in@example.org"),
              MakeEvent("dup", "d", json{{"v", 1}})});
    REQUIRE(inner.ok());
    clock.Advance(1);
  });
  auto outer = store->Append("k", {MakeEvent("outer", "c", json{{"a", 1}}),
                                   WithRecipient(MakeEvent("outer2", "c"), "", "out@example.org"),
                                   MakeEvent("dup", "d", json{{"v", 1}})});
  REQUIRE(outer.ok());
  CHECK((*outer)[0].seq == 4);
  CHECK((*outer)[1].seq == 5);
  CHECK((*outer)[2].kind == Kind::kDuplicate);
  CHECK((*outer)[2].seq == 3);
  CHECK(store->Counters().rebuilt == 1);

  Result<CaseRecord> c = store->GetCase("c");
  REQUIRE(c.ok());
  CHECK(c->state == json{{"a", 1}, {"b", 2}});
  CHECK(c->event_count == 4);
  CHECK(c->last_seq == 5);
  CHECK(c->updated_at == clock.NowMicros());
  REQUIRE(c->recipient.has_value());
  CHECK(c->recipient->id == "r-1");
  CHECK(c->recipient->email == "out@example.org");
  // The outer update had no id, so it went to the recipient the case had by then.
  CHECK(store->GetRecipient("r-1")->email == "out@example.org");
  CHECK(store->GetRecipient("c").status().IsNotFound());
  CHECK(store->GetCase("d")->event_count == 1);
  CHECK(store->LastSequence() == 5);
}

TEST_CASE("an id taken between a request's prefetch and its group is a conflict") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  bool fired = false;
  store->SetAfterPrepareHookForTesting([&] {
    if (!std::exchange(fired, true)) REQUIRE(store->Append("k", {MakeEvent("x", "c1")}).ok());
  });
  auto outer = store->Append("k", {MakeEvent("y", "c2"), MakeEvent("x", "c1", json{{"v", 1}})});
  REQUIRE(outer.ok());
  CHECK((*outer)[0].kind == Kind::kNotWritten);
  CHECK((*outer)[1].kind == Kind::kConflict);
  CHECK((*outer)[1].seq == 1);
  CHECK(store->LastSequence() == 1);
  CHECK(store->GetCase("c2").status().IsNotFound());
}

TEST_CASE("requests without shared keys are not rebuilt") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(
        store->Append("k", {MakeEvent("e" + std::to_string(i), "c" + std::to_string(i % 3))}).ok());
  }
  CHECK(store->Counters().requests == 20);
  CHECK(store->Counters().rebuilt == 0);
}

TEST_CASE("under concurrent appends to shared cases, each case is the fold of its history") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  constexpr int kThreads = 6;
  constexpr int kRequests = 150;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        std::vector<Event> request;
        for (int n = 0; n <= (i + t) % 3; ++n) {
          const int k = (i * 7 + t * 3 + n) % 5;
          Event e = MakeEvent(
              "t" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(n),
              "case" + std::to_string(k % 3),
              json{{"f" + std::to_string(k), i}, {"g", t}, {"h" + std::to_string(t), nullptr}});
          if (k == 4) e = WithRecipient(std::move(e), "", "t" + std::to_string(t) + "@example.org");
          if (k == 2) e = WithRecipient(std::move(e), "r" + std::to_string(t % 2), "");
          request.push_back(std::move(e));
        }
        // Every third request is retried once: all duplicates the second time.
        for (int attempt = 0; attempt < (i % 3 == 0 ? 2 : 1); ++attempt) {
          Result<std::vector<AppendOutcome>> r = store->Append("k", request);
          if (!r.ok()) errors[t] = r.status().ToString();
          for (const AppendOutcome& o : r.ok() ? *r : std::vector<AppendOutcome>{}) {
            if (o.kind != (attempt == 0 ? Kind::kAccepted : Kind::kDuplicate)) errors[t] = "kind";
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& e : errors) CHECK(e.empty());
  MESSAGE("rebuilt ", store->Counters().rebuilt, " of ", store->Counters().requests);

  uint64_t total = 0;
  for (int k = 0; k < 3; ++k) {
    const std::string id = "case" + std::to_string(k);
    Result<std::vector<StoredEvent>> history = store->CaseHistory(id, 0, 100000);
    REQUIRE(history.ok());
    json state = json::object();
    std::optional<Recipient> recipient;
    for (const StoredEvent& e : *history) {
      if (!e.event.data.is_null()) state.merge_patch(e.event.data);
      if (e.event.recipient) {
        if (!recipient) recipient = Recipient{};
        MergeRecipient(*recipient, *e.event.recipient);
      }
    }
    Result<CaseRecord> c = store->GetCase(id);
    REQUIRE(c.ok());
    CHECK(c->state == state);
    CHECK(c->recipient == recipient);
    CHECK(c->event_count == history->size());
    CHECK(c->last_seq == history->back().seq);
    total += history->size();
  }
  CHECK(total == store->LastSequence());
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
  CHECK(store->GetCase("c1")->state == json{{"a", 1}});
  MESSAGE("after a failed write: ", failed.status().ToString());

  // With the cause gone the disk takes writes again (Stats probes it, so /readyz lets
  // traffic back in) and the next append reopens the database: nothing half-written is
  // visible and the sequence continues.
  CHECK(store->Stats().writable);
  Result<std::vector<AppendOutcome>> retry = store->Append("k", {MakeEvent("e2", "c1")});
  REQUIRE_MESSAGE(retry.ok(), retry.status().ToString());
  CHECK((*retry)[0].seq == 2);
  CHECK(store->Stats().writable);
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
