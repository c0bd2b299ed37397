// RocksStore behaviour through its public contract: sequencing, idempotency, case state,
// recipients, history, cursors, restart, open errors.
#include "engine/store/rocks_store.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::MakeEvent;
using testing::TempDir;
using Kind = AppendOutcome::Kind;

std::unique_ptr<RocksStore> OpenStore(const std::string& path, const Clock& clock) {
  StoreOptions options;
  options.path = path;
  Result<std::unique_ptr<RocksStore>> store = RocksStore::Open(options, clock);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

std::vector<AppendOutcome> MustAppend(RocksStore& store, std::string_view key_id,
                                      const std::vector<Event>& events) {
  Result<std::vector<AppendOutcome>> r = store.Append(key_id, events);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->size() == events.size());
  return std::move(r).value();
}

std::vector<uint64_t> Seqs(const std::vector<StoredEvent>& events) {
  std::vector<uint64_t> out;
  for (const StoredEvent& e : events) out.push_back(e.seq);
  return out;
}

std::vector<StoredEvent> MustReadAfter(RocksStore& store, uint64_t after, size_t limit) {
  Result<std::vector<StoredEvent>> r = store.ReadAfter(after, limit);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

TEST_CASE("append assigns dense sequence numbers from 1 and stores the events") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  CHECK(store->LastSequence() == 0);
  CHECK(MustReadAfter(*store, 0, 10).empty());

  Event a = MakeEvent("e1", "c1", json{{"status", "open"}});
  Recipient r;
  r.email = "ana@example.org";
  r.channels = std::vector<Channel>{Channel::kSms, Channel::kEmail};
  a.recipient = r;
  auto first = MustAppend(*store, "key-a", {a, MakeEvent("e2", "c1"), MakeEvent("e3", "c2")});
  CHECK(first[0].kind == Kind::kAccepted);
  CHECK(first[0].seq == 1);
  CHECK(first[1].seq == 2);
  CHECK(first[2].seq == 3);

  clock.Advance(5'000'000);
  auto second = MustAppend(*store, "key-b", {MakeEvent("e4", "c3"), MakeEvent("e5", "c3")});
  CHECK(second[0].seq == 4);
  CHECK(second[1].seq == 5);
  CHECK(store->LastSequence() == 5);

  auto all = MustReadAfter(*store, 0, 100);
  REQUIRE(Seqs(all) == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(all[0].event == a);  // data, recipient and channels survive the encoding
  CHECK(all[0].key_id == "key-a");
  CHECK(all[0].received_at == clock.NowMicros() - 5'000'000);
  CHECK(all[3].key_id == "key-b");
  CHECK(all[3].received_at == clock.NowMicros());
}

TEST_CASE("the same id with the same content is a duplicate and is not written again") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Event e1 = MakeEvent("e1", "c1", json{{"n", 1}});
  MustAppend(*store, "k", {e1});

  auto out = MustAppend(*store, "k", {e1, MakeEvent("e2", "c1")});
  CHECK(out[0].kind == Kind::kDuplicate);
  CHECK(out[0].seq == 1);
  CHECK(out[1].kind == Kind::kAccepted);
  CHECK(out[1].seq == 2);

  // A request of only duplicates writes nothing.
  out = MustAppend(*store, "k", {e1});
  CHECK(out[0].kind == Kind::kDuplicate);
  CHECK(store->LastSequence() == 2);
  CHECK(MustReadAfter(*store, 0, 10).size() == 2);
  CHECK(store->GetCase("c1")->event_count == 2);
}

TEST_CASE("a conflicting id refuses the whole request") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  MustAppend(*store, "k", {MakeEvent("e1", "c1", json{{"a", 1}})});

  auto out = MustAppend(*store, "k",
                        {MakeEvent("e2", "c1", json{{"b", 1}}),
                         MakeEvent("e1", "c1", json{{"a", 2}}),  // same id, new content
                         MakeEvent("e3", "c9")});
  CHECK(out[0].kind == Kind::kNotWritten);
  CHECK(out[0].seq == 0);
  CHECK(out[1].kind == Kind::kConflict);
  CHECK(out[1].seq == 1);  // the original's
  CHECK(out[2].kind == Kind::kNotWritten);

  CHECK(store->LastSequence() == 1);
  CHECK(MustReadAfter(*store, 0, 10).size() == 1);
  CHECK(store->GetCase("c1")->state == json{{"a", 1}});
  CHECK(store->GetCase("c9").status().IsNotFound());

  // The refused events' ids were not recorded: posting them again works.
  out = MustAppend(*store, "k", {MakeEvent("e2", "c1", json{{"b", 1}})});
  CHECK(out[0].kind == Kind::kAccepted);
  CHECK(out[0].seq == 2);
}

TEST_CASE("the same id twice within one request") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);

  SUBCASE("same content: the second is a duplicate of the first") {
    const Event x = MakeEvent("x", "c1", json{{"n", 1}});
    auto out = MustAppend(*store, "k", {x, x});
    CHECK(out[0].kind == Kind::kAccepted);
    CHECK(out[0].seq == 1);
    CHECK(out[1].kind == Kind::kDuplicate);
    CHECK(out[1].seq == 1);
    CHECK(store->LastSequence() == 1);
    CHECK(store->GetCase("c1")->event_count == 1);
  }
  SUBCASE("different content: a conflict with an original that is not written") {
    auto out = MustAppend(
        *store, "k", {MakeEvent("y", "c1", json{{"n", 1}}), MakeEvent("y", "c1", json{{"n", 2}})});
    CHECK(out[0].kind == Kind::kNotWritten);
    CHECK(out[1].kind == Kind::kConflict);
    CHECK(out[1].seq == 0);
    CHECK(store->LastSequence() == 0);
    CHECK(store->GetCase("c1").status().IsNotFound());
  }
}

TEST_CASE("idempotency is per API key") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Event e = MakeEvent("e1", "c1", json{{"n", 1}});
  auto a = MustAppend(*store, "agency-a", {e});
  auto b = MustAppend(*store, "agency-b", {e});
  CHECK(a[0].kind == Kind::kAccepted);
  CHECK(b[0].kind == Kind::kAccepted);
  CHECK(a[0].seq == 1);
  CHECK(b[0].seq == 2);
  // Even with different content under the other key.
  auto c = MustAppend(*store, "agency-c", {MakeEvent("e1", "c1", json{{"n", 2}})});
  CHECK(c[0].kind == Kind::kAccepted);
}

TEST_CASE("case state is folded with JSON merge patch") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Micros t0 = clock.NowMicros();
  MustAppend(*store, "k",
             {MakeEvent("e1", "c1",
                        json{{"status", "open"},
                             {"office", {{"city", "Austin"}, {"room", 4}}},
                             {"docs", json::array({"id", "lease"})}})});
  clock.Advance(1'000'000);
  MustAppend(*store, "k",
             {MakeEvent("e2", "c1",
                        json{{"status", "review"},
                             {"office", {{"room", nullptr}, {"floor", 2}}},  // nested delete
                             {"docs", json::array({"id"})}}),                // arrays replace
              MakeEvent("e3", "c1"),                                         // no data
              MakeEvent("e4", "c1", json{{"status", nullptr}, {"fee", 12.5}})});

  Result<CaseRecord> c = store->GetCase("c1");
  REQUIRE(c.ok());
  CHECK(c->case_id == "c1");
  CHECK(c->state == json{{"office", {{"city", "Austin"}, {"floor", 2}}},
                         {"docs", json::array({"id"})},
                         {"fee", 12.5}});
  CHECK(c->event_count == 4);
  CHECK(c->last_seq == 4);
  CHECK(c->created_at == t0);
  CHECK(c->updated_at == t0 + 1'000'000);
  CHECK_FALSE(c->recipient.has_value());

  Result<CaseRecord> missing = store->GetCase("nope");
  CHECK(missing.status().IsNotFound());
}

TEST_CASE("recipients merge across events, by id or under the case id") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  auto with = [](Event e, Recipient r) {
    e.recipient = std::move(r);
    return e;
  };
  Recipient email;
  email.email = "ana@example.org";
  email.locale = "es-MX";
  Recipient phone;
  phone.phone = "+14155550100";
  MustAppend(*store, "k", {with(MakeEvent("e1", "c1"), email)});
  MustAppend(*store, "k", {with(MakeEvent("e2", "c1"), phone)});

  // No id: stored under the case id, and on the case.
  Result<Recipient> by_case = store->GetRecipient("c1");
  REQUIRE(by_case.ok());
  CHECK(by_case->email == "ana@example.org");
  CHECK(by_case->phone == "+14155550100");
  CHECK(by_case->locale == "es-MX");
  CHECK(store->GetCase("c1")->recipient == *by_case);

  // With an id: shared by the cases naming it.
  Recipient r9;
  r9.id = "r-9";
  r9.email = "bo@example.org";
  Recipient r9_phone;
  r9_phone.id = "r-9";
  r9_phone.phone = "+14155550199";
  r9_phone.channels = std::vector<Channel>{Channel::kSms};
  MustAppend(*store, "k", {with(MakeEvent("e3", "c2"), r9), with(MakeEvent("e4", "c3"), r9_phone)});
  // A later update without an id goes to the recipient the case already has.
  Recipient locale;
  locale.locale = "fr-CA";
  MustAppend(*store, "k", {with(MakeEvent("e5", "c2"), locale)});

  Result<Recipient> shared = store->GetRecipient("r-9");
  REQUIRE(shared.ok());
  CHECK(shared->id == "r-9");
  CHECK(shared->email == "bo@example.org");
  CHECK(shared->phone == "+14155550199");
  CHECK(shared->locale == "fr-CA");
  CHECK(shared->channels == std::vector<Channel>{Channel::kSms});
  Result<CaseRecord> c2 = store->GetCase("c2");
  REQUIRE(c2->recipient.has_value());
  CHECK(c2->recipient->id == "r-9");
  CHECK(c2->recipient->locale == "fr-CA");
  CHECK_FALSE(c2->recipient->phone.has_value());  // that update came through case c3
  CHECK(store->GetRecipient("c2").status().IsNotFound());
  CHECK(store->GetRecipient("nobody").status().IsNotFound());
}

TEST_CASE("case history is per case, oldest first, and pages") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  // Case "A" is a prefix of case "AB": their histories must not mix.
  MustAppend(*store, "k",
             {MakeEvent("1", "A"), MakeEvent("2", "AB"), MakeEvent("3", "A"), MakeEvent("4", "AB"),
              MakeEvent("5", "A"), MakeEvent("6", "A")});

  Result<std::vector<StoredEvent>> page = store->CaseHistory("A", 0, 2);
  REQUIRE(page.ok());
  CHECK(Seqs(*page) == std::vector<uint64_t>{1, 3});
  CHECK((*page)[1].event.id == "3");
  page = store->CaseHistory("A", 3, 2);
  CHECK(Seqs(*page) == std::vector<uint64_t>{5, 6});
  page = store->CaseHistory("A", 6, 2);
  REQUIRE(page.ok());
  CHECK(page->empty());
  CHECK(Seqs(*store->CaseHistory("AB", 0, 100)) == std::vector<uint64_t>{2, 4});
  CHECK(Seqs(*store->CaseHistory("A", 2, 100)) == std::vector<uint64_t>{3, 5, 6});
  CHECK(store->CaseHistory("nope", 0, 10)->empty());
  CHECK(store->CaseHistory("A", 0, 0)->empty());
}

TEST_CASE("ReadAfter pages through the log and returns empty at the end") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  std::vector<Event> events;
  for (int i = 1; i <= 10; ++i) events.push_back(MakeEvent("e" + std::to_string(i), "c"));
  MustAppend(*store, "k", events);

  std::vector<uint64_t> seen;
  uint64_t after = 0;
  int pages = 0;
  for (;;) {
    auto page = MustReadAfter(*store, after, 4);
    if (page.empty()) break;
    ++pages;
    CHECK(page.size() <= 4);
    for (const StoredEvent& e : page) seen.push_back(e.seq);
    after = page.back().seq;
  }
  CHECK(pages == 3);
  CHECK(seen == std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(MustReadAfter(*store, 0, 0).empty());
  CHECK(MustReadAfter(*store, 10, 5).empty());
  CHECK(MustReadAfter(*store, 500, 5).empty());
  CHECK(MustReadAfter(*store, UINT64_MAX, 5).empty());
  CHECK(Seqs(MustReadAfter(*store, 8, SIZE_MAX)) == std::vector<uint64_t>{9, 10});
}

TEST_CASE("cursors start at 0, persist, and cannot pass the end of the log") {
  TempDir dir;
  FakeClock clock;
  {
    auto store = OpenStore(dir.Sub("db"), clock);
    CHECK(*store->LoadCursor("rules") == 0);
    MustAppend(*store, "k", {MakeEvent("e1", "c"), MakeEvent("e2", "c"), MakeEvent("e3", "c")});
    CHECK(store->SaveCursor("rules", 2).ok());
    CHECK(store->SaveCursor("reports", 3).ok());
    CHECK(*store->LoadCursor("rules") == 2);
    CHECK(store->SaveCursor("rules", 4).IsInvalidArgument());
    CHECK(store->SaveCursor("", 1).IsInvalidArgument());
    CHECK(*store->LoadCursor("rules") == 2);
  }
  auto reopened = OpenStore(dir.Sub("db"), clock);
  CHECK(*reopened->LoadCursor("rules") == 2);
  CHECK(*reopened->LoadCursor("reports") == 3);
  CHECK(reopened->SaveCursor("rules", 1).ok());  // consumers may rewind to replay
  CHECK(*reopened->LoadCursor("rules") == 1);
}

TEST_CASE("everything survives a restart and the sequence continues") {
  TempDir dir;
  FakeClock clock;
  const Event e1 = MakeEvent("e1", "c1", json{{"a", 1}});
  {
    auto store = OpenStore(dir.Sub("db"), clock);
    Event e2 = MakeEvent("e2", "c1", json{{"b", 2}});
    Recipient r;
    r.id = "r1";
    r.email = "x@example.org";
    e2.recipient = r;
    MustAppend(*store, "k", {e1, e2, MakeEvent("e3", "c2")});
  }
  auto store = OpenStore(dir.Sub("db"), clock);
  CHECK(store->LastSequence() == 3);
  Result<CaseRecord> c1 = store->GetCase("c1");
  REQUIRE(c1.ok());
  CHECK(c1->state == json{{"a", 1}, {"b", 2}});
  CHECK(c1->event_count == 2);
  CHECK(store->GetRecipient("r1")->email == "x@example.org");

  auto out = MustAppend(*store, "k", {e1});
  CHECK(out[0].kind == Kind::kDuplicate);
  CHECK(out[0].seq == 1);
  out = MustAppend(*store, "k", {MakeEvent("e1", "c1", json{{"a", 9}})});
  CHECK(out[0].kind == Kind::kConflict);
  CHECK(out[0].seq == 1);
  out = MustAppend(*store, "k", {MakeEvent("e4", "c1", json{{"a", nullptr}})});
  CHECK(out[0].seq == 4);
  CHECK(store->GetCase("c1")->state == json{{"b", 2}});
  CHECK(Seqs(MustReadAfter(*store, 0, 10)) == std::vector<uint64_t>{1, 2, 3, 4});
  CHECK(Seqs(*store->CaseHistory("c1", 0, 10)) == std::vector<uint64_t>{1, 2, 4});
}

TEST_CASE("opening a directory another store holds fails with a clear error") {
  TempDir dir;
  FakeClock clock;
  auto first = OpenStore(dir.Sub("db"), clock);
  StoreOptions options;
  options.path = dir.Sub("db");
  Result<std::unique_ptr<RocksStore>> second = RocksStore::Open(options, clock);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().IsUnavailable());
  CHECK(second.status().message().find(dir.Sub("db")) != std::string::npos);
  first.reset();
  CHECK(RocksStore::Open(options, clock).ok());  // the lock went with the first store
}

TEST_CASE("open errors for unusable paths") {
  TempDir dir;
  FakeClock clock;
  StoreOptions options;
  SUBCASE("empty path") {
    CHECK(RocksStore::Open(options, clock).status().IsInvalidArgument());
  }
  SUBCASE("path is a file") {
    std::ofstream(dir.Sub("file")) << "x";
    options.path = dir.Sub("file");
    Result<std::unique_ptr<RocksStore>> r = RocksStore::Open(options, clock);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kIOError);
  }
  SUBCASE("no permission") {
    if (geteuid() == 0) return;  // root ignores directory permissions
    std::filesystem::create_directory(dir.Sub("locked"));
    std::filesystem::permissions(dir.Sub("locked"), std::filesystem::perms::owner_read);
    options.path = dir.Sub("locked") + "/db";
    Result<std::unique_ptr<RocksStore>> r = RocksStore::Open(options, clock);
    std::filesystem::permissions(dir.Sub("locked"), std::filesystem::perms::owner_all);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kIOError);
  }
}

TEST_CASE("stats report the log and size; compaction keeps the data") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  std::vector<Event> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back(MakeEvent("e" + std::to_string(i), "c" + std::to_string(i % 5),
                               json{{"i", i}, {"pad", std::string(200, 'x')}}));
  }
  MustAppend(*store, "k", events);
  StoreStats stats = store->Stats();
  CHECK(stats.last_seq == 50);
  CHECK(stats.writable);
  CHECK(stats.live_data_bytes > 0);

  REQUIRE(store->CompactAll().ok());
  CHECK(store->Stats().live_data_bytes > 0);
  CHECK(MustReadAfter(*store, 0, 100).size() == 50);
  CHECK(store->GetCase("c3")->event_count == 10);
  CHECK(MustAppend(*store, "k", {events[0]})[0].kind == Kind::kDuplicate);
}

TEST_CASE("an event the store cannot encode fails its request and nothing else") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  // The API rejects invalid UTF-8; the store must still not throw across its boundary.
  Result<std::vector<AppendOutcome>> bad =
      store->Append("k", {MakeEvent("ok", "c1"), MakeEvent("bad", "c1", json{{"s", "\xff\xfe"}})});
  CHECK(bad.status().IsInvalidArgument());
  CHECK(store->LastSequence() == 0);
  CHECK(store->GetCase("c1").status().IsNotFound());
  auto out = MustAppend(*store, "k", {MakeEvent("ok", "c1")});
  CHECK(out[0].kind == Kind::kAccepted);
  CHECK(out[0].seq == 1);
}

TEST_CASE("Close refuses later appends but keeps reads") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  MustAppend(*store, "k", {MakeEvent("e1", "c1")});
  store->Close();
  Result<std::vector<AppendOutcome>> r = store->Append("k", {MakeEvent("e2", "c1")});
  CHECK(r.status().IsUnavailable());
  CHECK_FALSE(store->Stats().writable);
  CHECK(MustReadAfter(*store, 0, 10).size() == 1);
  store->Close();  // idempotent
}

}  // namespace
}  // namespace herald
