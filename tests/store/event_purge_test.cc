// RocksStore::PurgePersonalData: the event log's part of retention.pii. Old events lose
// their data and recipient fields (on read and on disk), newer ones and the live case
// state stay, idempotency keeps working, and redaction never passes a consumer.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/records.h"
#include "engine/store/rocks_store.h"
#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::MakeEvent;
using testing::TempDir;
using Kind = AppendOutcome::Kind;

constexpr Micros kDay = 86'400'000'000LL;
constexpr uint64_t kAll = std::numeric_limits<uint64_t>::max();

std::unique_ptr<RocksStore> OpenStore(const std::string& path, const Clock& clock) {
  StoreOptions options;
  options.path = path;
  options.sync_writes = false;
  Result<std::unique_ptr<RocksStore>> store = RocksStore::Open(options, clock);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

std::vector<AppendOutcome> MustAppend(RocksStore& store, const std::vector<Event>& events,
                                      std::string_view key_id = "key-1") {
  Result<std::vector<AppendOutcome>> r = store.Append(key_id, events);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->size() == events.size());
  return std::move(r).value();
}

RocksStore::EventPurge MustPurge(RocksStore& store, Micros cutoff, uint64_t consumed = kAll) {
  Result<RocksStore::EventPurge> r = store.PurgePersonalData(cutoff, consumed);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

std::vector<StoredEvent> All(RocksStore& store) {
  Result<std::vector<StoredEvent>> r = store.ReadAfter(0, 1000);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

Recipient IdOnly(std::string id) {
  Recipient r;
  r.id = std::move(id);
  return r;
}

Event WithRecipient(Event e, std::string id, std::string email, std::string phone) {
  Recipient r;
  r.id = std::move(id);
  r.email = std::move(email);
  r.phone = std::move(phone);
  r.locale = "es-MX";
  r.timezone = "America/Chicago";
  r.channels = std::vector<Channel>{Channel::kEmail, Channel::kSms};
  e.recipient = std::move(r);
  return e;
}

// Whether any file under `dir` holds `needle` (WAL, table files, manifests, LOG: all).
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE(
    "event purge: old events lose data and recipient fields, newer ones and case state "
    "stay") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Micros t0 = clock.NowMicros();
  MustAppend(*store, {WithRecipient(MakeEvent("e1", "c1", json{{"status", "open"}}), "r1",
                                    "maria@example.org", "+14155550100"),
                      MakeEvent("e2", "c2", json{{"status", "open"}})});
  clock.Advance(10 * kDay);
  MustAppend(*store, {WithRecipient(MakeEvent("e3", "c1", json{{"status", "approved"}}), "",
                                    "maria.new@example.org", "+14155550199")});
  const Result<CaseRecord> before = store->GetCase("c1");
  REQUIRE(before.ok());

  const RocksStore::EventPurge purged = MustPurge(*store, t0 + 5 * kDay);
  CHECK(purged.redacted == 2);
  CHECK(purged.redacted_through == 2);
  CHECK(*store->RedactedThrough() == 2);

  const std::vector<StoredEvent> all = All(*store);
  REQUIRE(all.size() == 3);
  const StoredEvent& e1 = all[0];
  CHECK(e1.redacted);
  CHECK(e1.seq == 1);
  CHECK(e1.key_id == "key-1");
  CHECK(e1.received_at == t0);
  CHECK(e1.event.id == "e1");
  CHECK(e1.event.case_id == "c1");
  CHECK(e1.event.type == "case.updated");
  CHECK(e1.event.occurred_at == "2026-01-01T00:00:00Z");
  CHECK(e1.event.occurred_at_us == 1'767'225'600'000'000);
  CHECK(e1.event.data.is_null());
  REQUIRE(e1.event.recipient.has_value());
  CHECK(*e1.event.recipient == IdOnly("r1"));  // the id alone
  CHECK(all[1].redacted);
  CHECK(all[1].event.data.is_null());
  CHECK_FALSE(all[1].event.recipient.has_value());
  // Newer than the cutoff: as posted.
  CHECK_FALSE(all[2].redacted);
  CHECK(all[2].event.data == json{{"status", "approved"}});
  CHECK(all[2].event.recipient->email == "maria.new@example.org");

  // The history shows the same, and the live state is untouched.
  Result<std::vector<StoredEvent>> history = store->CaseHistory("c1", 0, 10);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].redacted);
  CHECK_FALSE((*history)[1].redacted);
  const Result<CaseRecord> after = store->GetCase("c1");
  REQUIRE(after.ok());
  CHECK(after->state == before->state);
  CHECK(after->recipient == before->recipient);
  CHECK(after->event_count == 2);
  CHECK(after->last_seq == 3);
  CHECK(store->GetRecipient("r1")->email == "maria.new@example.org");
  CHECK(store->LastSequence() == 3);

  // Redacted records survive a restart as redacted.
  store.reset();
  store = OpenStore(dir.Sub("db"), clock);
  CHECK(All(*store)[0].redacted);
  CHECK(All(*store)[0].event.recipient->id == "r1");
}

TEST_CASE("event purge: a repost after redaction is still a duplicate, or a conflict") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Event original = WithRecipient(MakeEvent("e1", "c1", json{{"status", "open"}}), "r1",
                                       "maria@example.org", "+14155550100");
  MustAppend(*store, {original});
  clock.Advance(10 * kDay);
  REQUIRE(MustPurge(*store, clock.NowMicros()).redacted == 1);

  // The idempotency entry keeps the fingerprint of the event as posted.
  std::vector<AppendOutcome> again = MustAppend(*store, {original});
  CHECK(again[0].kind == Kind::kDuplicate);
  CHECK(again[0].seq == 1);
  Event changed = original;
  changed.data = json{{"status", "closed"}};
  std::vector<AppendOutcome> conflict = MustAppend(*store, {changed});
  CHECK(conflict[0].kind == Kind::kConflict);
  CHECK(conflict[0].seq == 1);
  // Nor does the redacted content pass for the original.
  Event as_redacted = original;
  as_redacted.data = nullptr;
  as_redacted.recipient = IdOnly("r1");
  CHECK(MustAppend(*store, {as_redacted})[0].kind == Kind::kConflict);
  CHECK(store->LastSequence() == 1);
  CHECK(store->GetCase("c1")->event_count == 1);
}

TEST_CASE("event purge: never past a consumer's cursor, nor past what the caller says was read") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  MustAppend(*store,
             {MakeEvent("e1", "c1", json{{"n", 1}}), MakeEvent("e2", "c1", json{{"n", 2}}),
              MakeEvent("e3", "c1", json{{"n", 3}}), MakeEvent("e4", "c1", json{{"n", 4}})});
  clock.Advance(10 * kDay);
  const Micros cutoff = clock.NowMicros();
  REQUIRE(store->SaveCursor("rules", 2).ok());
  REQUIRE(store->SaveCursor("reports", 3).ok());

  // The lowest saved cursor bounds it.
  CHECK(MustPurge(*store, cutoff).redacted_through == 2);
  std::vector<StoredEvent> all = All(*store);
  CHECK(all[1].redacted);
  CHECK_FALSE(all[2].redacted);
  CHECK(all[2].event.data == json{{"n", 3}});

  // So does the caller's bound (the rule engine's cursor in the schedule store).
  REQUIRE(store->SaveCursor("rules", 4).ok());
  CHECK(MustPurge(*store, cutoff, 2).redacted == 0);
  const RocksStore::EventPurge next = MustPurge(*store, cutoff, 4);
  CHECK(next.redacted == 1);  // the reports cursor still holds seq 4 back
  CHECK(next.redacted_through == 3);
  REQUIRE(store->SaveCursor("reports", 4).ok());
  CHECK(MustPurge(*store, cutoff, 4).redacted_through == 4);
  for (const StoredEvent& e : All(*store)) CHECK(e.redacted);
}

TEST_CASE("event purge: resumable; later events on a later run; stops at the first newer event") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  const Micros t0 = clock.NowMicros();
  MustAppend(*store, {MakeEvent("e1", "c1", json{{"n", 1}})});  // t0
  clock.Advance(2 * kDay);
  MustAppend(*store, {MakeEvent("e2", "c1", json{{"n", 2}})});  // t0 + 2d
  // The wall clock stepped back: e3 was received before e2 by its time, after it by seq.
  clock.Set(t0 + kDay);
  MustAppend(*store, {MakeEvent("e3", "c1", json{{"n", 3}})});  // t0 + 1d
  clock.Set(t0 + 20 * kDay);

  // Cutoff between e3 and e2: the walk stops at e2, so e3 waits (conservative).
  RocksStore::EventPurge first = MustPurge(*store, t0 + kDay + 1);
  CHECK(first.redacted == 1);
  CHECK(first.redacted_through == 1);
  // Nothing new: nothing rewritten.
  CHECK(MustPurge(*store, t0 + kDay + 1).redacted == 0);
  CHECK(MustPurge(*store, t0 + kDay + 1).redacted_through == 1);

  // A later run with a later cutoff takes the rest, from where the last one stopped.
  RocksStore::EventPurge second = MustPurge(*store, t0 + 3 * kDay);
  CHECK(second.redacted == 2);
  CHECK(second.redacted_through == 3);
  MustAppend(*store, {MakeEvent("e4", "c1", json{{"n", 4}})});  // t0 + 20d
  CHECK(MustPurge(*store, t0 + 3 * kDay).redacted == 0);
  CHECK_FALSE(All(*store)[3].redacted);
  CHECK(MustPurge(*store, t0 + 21 * kDay).redacted == 1);

  // More events than one chunk go through in several writes.
  std::vector<Event> many;
  for (int i = 0; i < 2500; ++i) {
    many.push_back(MakeEvent("m" + std::to_string(i), "c2", json{{"i", i}}));
  }
  MustAppend(*store, many);
  clock.Advance(kDay);
  const RocksStore::EventPurge bulk = MustPurge(*store, clock.NowMicros());
  CHECK(bulk.redacted == 2500);
  CHECK(bulk.redacted_through == 2504);
  for (const StoredEvent& e : All(*store)) CHECK(e.redacted);
}

// The old event's personal data reaches only `events`: in one request, a later event of
// the same case replaces the recipient's fields and removes the data key, and a request
// writes only its final case and recipient records. So after the purge no file may hold
// it, whether it was still in the WAL or already in table files.
TEST_CASE("event purge: the personal data leaves every file of the database") {
  for (const bool in_tables : {false, true}) {
    CAPTURE(in_tables);
    TempDir dir;
    FakeClock clock;
    const std::string path = dir.Sub("db");
    auto store = OpenStore(path, clock);
    Event old = WithRecipient(MakeEvent("e1", "c1", json{{"note", "NOTE-OF-MARIA"}}), "r1",
                              "maria.purge@example.org", "+14155550123");
    Event replaced = WithRecipient(MakeEvent("e2", "c1", json{{"note", nullptr}}), "r1",
                                   "maria.current@example.org", "+14155550999");
    MustAppend(*store, {old, replaced});
    if (in_tables) REQUIRE(store->CompactAll().ok());  // flushed and compacted: in an SST
    for (const char* s : {"maria.purge@example.org", "+14155550123", "NOTE-OF-MARIA"}) {
      CAPTURE(s);
      CHECK(AnyFileHolds(path, s));
    }
    clock.Advance(10 * kDay);
    MustAppend(*store, {WithRecipient(MakeEvent("e3", "c9", json{{"k", "NEWER-DATA"}}), "r9",
                                      "newer@example.org", "+14155550777")});

    CHECK(MustPurge(*store, clock.NowMicros() - kDay).redacted == 2);
    for (const char* s : {"maria.purge@example.org", "+14155550123", "NOTE-OF-MARIA"}) {
      CAPTURE(s);
      CHECK_FALSE(AnyFileHolds(path, s));
    }
    store.reset();
    for (const char* s : {"maria.purge@example.org", "+14155550123", "NOTE-OF-MARIA"}) {
      CAPTURE(s);
      CHECK_FALSE(AnyFileHolds(path, s));
    }
    // What is live or newer stays.
    CHECK(AnyFileHolds(path, "maria.current@example.org"));
    CHECK(AnyFileHolds(path, "NEWER-DATA"));
    store = OpenStore(path, clock);
    CHECK(store->GetCase("c1")->recipient->email == "maria.current@example.org");
    CHECK(All(*store)[2].event.recipient->email == "newer@example.org");
  }
}

TEST_CASE("event purge: runs beside concurrent appends without losing or blocking them") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.Sub("db"), clock);
  std::vector<Event> first;
  for (int i = 0; i < 1500; ++i) first.push_back(MakeEvent("a" + std::to_string(i), "c1"));
  MustAppend(*store, first);
  clock.Advance(10 * kDay);
  const Micros cutoff = clock.NowMicros() - kDay;

  std::atomic<int> failures{0};  // doctest assertions stay on the test's thread
  std::thread appender([&] {
    for (int r = 0; r < 100; ++r) {
      std::vector<Event> batch;
      for (int i = 0; i < 10; ++i) {
        batch.push_back(
            MakeEvent("b" + std::to_string(r * 10 + i), "c" + std::to_string(i), json{{"r", r}}));
      }
      Result<std::vector<AppendOutcome>> out = store->Append("key-1", batch);
      if (!out.ok()) ++failures;
      for (const AppendOutcome& o : out.ok() ? *out : std::vector<AppendOutcome>{}) {
        if (o.kind != Kind::kAccepted) ++failures;
      }
    }
  });
  size_t redacted = 0;
  for (int run = 0; run < 5; ++run) redacted += MustPurge(*store, cutoff).redacted;
  appender.join();
  CHECK(failures.load() == 0);
  redacted += MustPurge(*store, cutoff).redacted;

  CHECK(redacted == 1500);
  CHECK(store->LastSequence() == 2500);
  const std::vector<StoredEvent> all = [&] {
    Result<std::vector<StoredEvent>> r = store->ReadAfter(0, 5000);
    REQUIRE(r.ok());
    return std::move(r).value();
  }();
  REQUIRE(all.size() == 2500);
  for (const StoredEvent& e : all) {
    CAPTURE(e.seq);
    CHECK(e.redacted == (e.seq <= 1500));
  }
  CHECK(store->GetCase("c3")->event_count == 100);
}

TEST_CASE("redacted event values: flagged, round trip, unknown flags refused") {
  StoredEvent s;
  s.seq = 7;
  s.key_id = "key-1";
  s.received_at = 1234;
  s.event = WithRecipient(MakeEvent("e1", "c1", json{{"x", 1}}), "r1", "a@example.org", "+1415");
  std::string fingerprint;
  const std::string posted = EncodeEventValue(s.key_id, s.event, &fingerprint);
  CHECK_FALSE(IsRedactedEventValue(posted));
  const std::string value = EncodeRedactedEventValue(s);
  CHECK(IsRedactedEventValue(value));
  CHECK(*PeekEventReceivedAt(value) == 1234);
  CHECK(value.find("a@example.org") == std::string::npos);
  Result<StoredEvent> back = DecodeStoredEvent(7, value);
  REQUIRE(back.ok());
  CHECK(back->redacted);
  CHECK(back->key_id == "key-1");
  CHECK(back->received_at == 1234);
  CHECK(back->event == RedactedEvent(s.event));
  std::string unknown = value;
  unknown[17] = 2;  // the flags byte, with a bit this build does not know
  CHECK(DecodeStoredEvent(7, unknown).status().code() == Status::Code::kCorruption);
}

}  // namespace
}  // namespace herald
