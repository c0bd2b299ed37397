// The schedule store on a disk that fills up or turns read-only: commits (plans, timers,
// outbox intents, the rule cursor) answer Unavailable and change nothing, reads keep
// working, and commits resume in the same process once the disk takes writes again, so
// timers fire and intents reach dispatch again without a restart.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/store/fault_env.h"
#include "engine/store/schedule_store_rocks.h"
#include "tests/test_util.h"

namespace herald::testing {
namespace {

ScheduleBatch FiredBatch(const std::string& case_id, Micros fire_at, uint64_t cursor) {
  PlanKey key{"snap", "reminder", case_id};
  Plan plan;
  plan.key = key;
  plan.recipient_id = case_id;
  plan.template_id = "documents-reminder";
  plan.fire_at = fire_at;
  plan.updated_at = fire_at;
  OutboxIntent intent;
  intent.plan = key;
  intent.occurrence = 1;
  intent.key = OutboxKey(key, 1);
  intent.recipient_id = case_id;
  intent.template_id = "documents-reminder";
  intent.channels = {"email"};
  intent.due = fire_at;
  intent.fired_at = fire_at;
  ScheduleBatch b;
  b.put_plans.push_back(plan);
  b.add_timers.push_back(TimerEntry{fire_at + 1000, key});
  b.put_outbox.push_back(intent);
  b.cursor = cursor;
  return b;
}

TEST_CASE("fault schedule: commits refused by a faulty disk change nothing, then resume") {
  for (StorageFaults::Kind kind : {StorageFaults::Kind::kNoSpace, StorageFaults::Kind::kReadOnly}) {
    for (unsigned ops : {unsigned{StorageFaults::kAllOps}, unsigned{StorageFaults::kSyncs}}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(ops);
      TempDir dir;
      FakeClock clock;
      auto faults = std::make_shared<StorageFaults>();
      ScheduleStoreOptions o;
      o.path = dir.Sub("schedule");
      o.faults = faults;
      auto store = std::move(RocksScheduleStore::Open(o, clock)).value();
      REQUIRE(store->Commit(FiredBatch("case-1", 100, 1)).ok());

      faults->Set(kind, ops);
      for (int i = 0; i < 3; ++i) {
        Status s = store->Commit(FiredBatch("case-2", 200, 2));
        CHECK(s.IsUnavailable());
      }
      // Reads answer from what was committed.
      CHECK(*store->Cursor() == 1);
      CHECK(store->OutboxAfter(0, 10)->size() == 1);
      CHECK(store->DueTimers(100000, 10)->size() == 1);
      CHECK(*store->PendingTimerCount() == 1);

      faults->Clear();
      Status resumed = store->Commit(FiredBatch("case-2", 200, 2));
      REQUIRE_MESSAGE(resumed.ok(), resumed.ToString());
      REQUIRE(store->Commit(FiredBatch("case-3", 300, 3)).ok());
      CHECK(*store->Cursor() == 3);
      auto intents = store->OutboxAfter(0, 10);
      REQUIRE(intents.ok());
      // Dense queue seqs, each intent once, whether or not the refused batch came back
      // with the reopen (an intent already stored is kept, not queued twice).
      REQUIRE(intents->size() == 3);
      for (size_t i = 0; i < intents->size(); ++i) CHECK((*intents)[i].queue_seq == i + 1);
      CHECK((*intents)[2].plan.case_id == "case-3");
      CHECK(store->DueTimers(100000, 10)->size() == 3);
      CHECK(*store->PendingTimerCount() == 3);

      store.reset();
      store = std::move(RocksScheduleStore::Open(o, clock)).value();
      CHECK(store->OutboxAfter(0, 10)->size() == 3);
      CHECK(*store->PendingTimerCount() == 3);
    }
  }
}

}  // namespace
}  // namespace herald::testing
