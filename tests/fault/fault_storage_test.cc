// The event log on a disk that fills up or turns read-only (engine/store/fault_env.h):
// appends answer Unavailable and acknowledge nothing that was not written, reads keep
// working, and appends resume in the same process once the disk takes writes again.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/fault/fault_util.h"

namespace herald::testing {
namespace {

using Kind = AppendOutcome::Kind;
using nlohmann::json;

struct FaultCase {
  const char* name;
  StorageFaults::Kind kind;
  unsigned ops;
};

// Every way the disk can refuse: full or read-only; on every write-side operation, on
// appends alone (the WAL record never reaches the file), on syncs alone (it reaches the
// page cache but fsync fails: the record may come back when the database is reopened).
const FaultCase kFaults[] = {
    {"disk full", StorageFaults::Kind::kNoSpace, StorageFaults::kAllOps},
    {"disk full on appends", StorageFaults::Kind::kNoSpace, StorageFaults::kWrites},
    {"disk full on fsync", StorageFaults::Kind::kNoSpace, StorageFaults::kSyncs},
    {"read-only", StorageFaults::Kind::kReadOnly, StorageFaults::kAllOps},
    {"read-only on fsync", StorageFaults::Kind::kReadOnly, StorageFaults::kSyncs},
};

// The whole log, checked dense from 1.
std::vector<StoredEvent> WholeLog(RocksStore& store) {
  auto events = store.ReadAfter(0, 1000);
  REQUIRE(events.ok());
  for (size_t i = 0; i < events->size(); ++i) CHECK((*events)[i].seq == i + 1);
  return std::move(events).value();
}

TEST_CASE("fault: appends answer Unavailable while the disk refuses, and resume when it clears") {
  for (const FaultCase& f : kFaults) {
    CAPTURE(f.name);
    FaultyLog log;
    RocksStore& store = *log.store;
    REQUIRE(store.Append("k", {FaultEvent("e1", "c1", {{"a", 1}})}).ok());
    REQUIRE(store.Stats().writable);

    log.faults->Set(f.kind, f.ops);
    auto failed = store.Append("k", {FaultEvent("e2", "c1", {{"b", 2}})});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.status().IsUnavailable());
    CHECK(log.faults->failed_ops() > 0);
    // Nothing more is written while the disk refuses, and nothing is acknowledged.
    for (int i = 0; i < 3; ++i) {
      auto again = store.Append("k", {FaultEvent("e2", "c1", {{"b", 2}})});
      REQUIRE_FALSE(again.ok());
      CHECK(again.status().IsUnavailable());
    }
    CHECK_FALSE(store.SaveCursor("rules", 1).ok());
    CHECK_FALSE(store.Stats().writable);  // /readyz answers 503
    // Reads keep working: a full or read-only disk still reads.
    CHECK(store.LastSequence() == 1);
    CHECK(store.GetCase("c1")->state == json{{"a", 1}});
    CHECK(WholeLog(store).size() == 1);

    log.faults->Clear();
    CHECK(store.Stats().writable);  // the disk takes writes: /readyz lets traffic back
    // The same process takes writes again: the store reopened its database.
    auto retried = store.Append("k", {FaultEvent("e2", "c1", {{"b", 2}})});
    REQUIRE_MESSAGE(retried.ok(), retried.status().ToString());
    CHECK((*retried)[0].seq == 2);
    if (f.ops & StorageFaults::kWrites) {
      CHECK((*retried)[0].kind == Kind::kAccepted);  // the WAL never had it
    } else {
      // Its WAL record reached the file before fsync failed, so the reopen may replay it:
      // the caller was told Unavailable, and the retry is the duplicate it should be.
      CHECK(((*retried)[0].kind == Kind::kAccepted || (*retried)[0].kind == Kind::kDuplicate));
    }
    auto next = store.Append("k", {FaultEvent("e3", "c1", {{"c", 3}})});
    REQUIRE(next.ok());
    CHECK((*next)[0].seq == 3);
    REQUIRE(store.SaveCursor("rules", 3).ok());
    CHECK(store.Stats().writable);
    CHECK(store.GetCase("c1")->state == json{{"a", 1}, {"b", 2}, {"c", 3}});
    CHECK(store.GetCase("c1")->event_count == 3);

    // A restart sees exactly what was acknowledged.
    log.Restart();
    std::vector<StoredEvent> all = WholeLog(*log.store);
    REQUIRE(all.size() == 3);
    CHECK(all[0].event.id == "e1");
    CHECK(all[1].event.id == "e2");
    CHECK(all[2].event.id == "e3");
    CHECK(*log.store->LoadCursor("rules") == 3);
    CHECK(log.store->Append("k", {FaultEvent("e4", "c1")}).value()[0].seq == 4);
  }
}

TEST_CASE("fault: a batch refused by a full disk leaves no idempotency entry or case change") {
  FaultyLog log;
  RocksStore& store = *log.store;
  REQUIRE(store.Append("k", {FaultEvent("e1", "c1", {{"a", 1}})}).ok());
  log.faults->Set(StorageFaults::Kind::kNoSpace, StorageFaults::kWrites);
  REQUIRE_FALSE(store.Append("k", {FaultEvent("x", "c2", {{"v", "first"}})}).ok());
  log.faults->Clear();
  // Not a conflict: the refused content was never recorded under its id.
  auto other = store.Append("k", {FaultEvent("x", "c2", {{"v", "second"}})});
  REQUIRE(other.ok());
  CHECK((*other)[0].kind == Kind::kAccepted);
  CHECK(store.GetCase("c2")->state == json{{"v", "second"}});
}

TEST_CASE("fault: a request prepared before the reopen is rebuilt against what it brought back") {
  // "y" is prepared against the committed state; then, before it joins the queue, "e2"
  // fails on fsync (its WAL record is in the file) and the disk recovers. y's group
  // reopens the database, which replays e2: y must be numbered after e2 and merged into
  // the case state e2 left, not into the state y read before.
  FaultyLog log;
  RocksStore& store = *log.store;
  REQUIRE(store.Append("k", {FaultEvent("e1", "c1", {{"a", 1}})}).ok());
  bool injected = false;
  Result<std::vector<AppendOutcome>> e2 = Status::Internal("unset");
  store.SetAfterPrepareHookForTesting([&] {
    if (injected) return;
    injected = true;
    log.faults->Set(StorageFaults::Kind::kNoSpace, StorageFaults::kSyncs);
    e2 = store.Append("k", {FaultEvent("e2", "c1", {{"b", 2}})});
    log.faults->Clear();
  });
  auto y = store.Append("k", {FaultEvent("y", "c1", {{"c", 3}})});
  REQUIRE(e2.status().IsUnavailable());
  REQUIRE_MESSAGE(y.ok(), y.status().ToString());
  CHECK((*y)[0].kind == Kind::kAccepted);
  // e2's record was in the file (only its fsync failed): the reopen replayed it.
  REQUIRE(store.LastSequence() == 3);
  CHECK((*y)[0].seq == 3);
  auto c1 = store.GetCase("c1");
  REQUIRE(c1.ok());
  CHECK(c1->state == json{{"a", 1}, {"b", 2}, {"c", 3}});
  CHECK(c1->event_count == 3);
  auto again = store.Append("k", {FaultEvent("e2", "c1", {{"b", 2}})});
  REQUIRE(again.ok());
  CHECK((*again)[0].kind == Kind::kDuplicate);
  CHECK((*again)[0].seq == 2);
  std::vector<StoredEvent> all = WholeLog(store);
  REQUIRE(all.size() == 3);
  CHECK(all[1].event.id == "e2");
  CHECK(all[2].event.id == "y");
}

TEST_CASE("fault: a reopen that fails leaves reads Unavailable until a read reopens it") {
  // The probe file goes through (no rename) but opening the database cannot install its
  // CURRENT file: the store is left without a database. Reads must not wait for a write
  // to bring it back.
  FaultyLog log;
  RocksStore& store = *log.store;
  REQUIRE(store.Append("k", {FaultEvent("e1", "c1", {{"a", 1}})}).ok());
  log.faults->Set(StorageFaults::Kind::kNoSpace);
  REQUIRE_FALSE(store.Append("k", {FaultEvent("e2", "c1")}).ok());
  log.faults->Set(StorageFaults::Kind::kReadOnly, StorageFaults::kRenames);
  auto failed = store.Append("k", {FaultEvent("e2", "c1")});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().IsUnavailable());
  auto unreadable = store.GetCase("c1");
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.status().IsUnavailable());
  CHECK_FALSE(store.Stats().writable);
  log.faults->Clear();
  auto c1 = store.GetCase("c1");  // a read, no write: it reopens the database
  REQUIRE_MESSAGE(c1.ok(), c1.status().ToString());
  CHECK(c1->state == json{{"a", 1}});
  CHECK(store.Stats().writable);
  CHECK(store.Append("k", {FaultEvent("e2", "c1")}).value()[0].seq == 2);
}

TEST_CASE("fault: a cursor that cannot be saved is saved once the disk recovers") {
  FaultyLog log;
  RocksStore& store = *log.store;
  REQUIRE(store.Append("k", {FaultEvent("e1", "c1"), FaultEvent("e2", "c1")}).ok());
  REQUIRE(store.SaveCursor("rules", 1).ok());
  log.faults->Set(StorageFaults::Kind::kReadOnly);
  Status s = store.SaveCursor("rules", 2);
  CHECK(s.IsUnavailable());
  CHECK(*store.LoadCursor("rules") == 1);
  log.faults->Clear();
  // No append came in between: the cursor write itself reopens the database.
  REQUIRE(store.SaveCursor("rules", 2).ok());
  CHECK(*store.LoadCursor("rules") == 2);
  log.Restart();
  CHECK(*log.store->LoadCursor("rules") == 2);
}

}  // namespace
}  // namespace herald::testing
