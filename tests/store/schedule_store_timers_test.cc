// RocksScheduleStore's timer queue: ordering, bounds, the head cache, tombstones,
// restart, and concurrent readers; and LowestNeededEventSeq, which scans it for retention.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/schedule_store_rocks.h"
#include "tests/store/schedule_store_test_util.h"
#include "tests/test_util.h"

#include "tests/forwarding_schedule_store.h"

namespace herald {
namespace {

using namespace testing;  // NOLINT: the helpers of schedule_store_test_util.h

TEST_CASE("timers: time then key order, DueTimers bounds, NextTimer") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  CHECK_FALSE(Must(store->NextTimer()).has_value());
  CHECK(Must(store->DueTimers(std::numeric_limits<Micros>::max(), 10)).empty());

  MustCommit(*store, Timers({Timer(200, "b"), Timer(100, "z"), Timer(200, "ab"), Timer(-50, "neg"),
                             Timer(300, "a"), Timer(200, "a", "r", "c\0"s)}));
  CHECK(Must(store->PendingTimerCount()) == 6);
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(-50, "neg")));

  CheckTimers(Must(store->DueTimers(-51, 10)), {});
  CheckTimers(Must(store->DueTimers(-50, 10)), {Timer(-50, "neg")});  // equal to now is due
  CheckTimers(Must(store->DueTimers(199, 10)), {Timer(-50, "neg"), Timer(100, "z")});
  CheckTimers(Must(store->DueTimers(200, 10)),
              {Timer(-50, "neg"), Timer(100, "z"), Timer(200, "a", "r", "c\0"s), Timer(200, "ab"),
               Timer(200, "b")});
  CheckTimers(Must(store->DueTimers(200, 3)),
              {Timer(-50, "neg"), Timer(100, "z"), Timer(200, "a", "r", "c\0"s)});
  CHECK(Must(store->DueTimers(200, 0)).empty());
  CHECK(Must(store->DueTimers(std::numeric_limits<Micros>::max(), 100)).size() == 6);
}

TEST_CASE("timers: removing the head, inserting before it, no-op adds and removes") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  MustCommit(*store, Timers({Timer(10, "a"), Timer(20, "a"), Timer(30, "a")}));

  MustCommit(*store, Timers({}, {Timer(10, "a")}));
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(20, "a")));
  CheckTimers(Must(store->DueTimers(25, 10)), {Timer(20, "a")});

  MustCommit(*store, Timers({Timer(5, "x")}));  // before the head
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(5, "x")));

  // Remove the head and add one past it: the head moves to the old second.
  MustCommit(*store, Timers({Timer(40, "a")}, {Timer(5, "x")}));
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(20, "a")));
  // Remove the head and add one before the old second.
  MustCommit(*store, Timers({Timer(25, "a")}, {Timer(20, "a")}));
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(25, "a")));
  CHECK(Must(store->PendingTimerCount()) == 3);

  // No-ops: removing an absent timer, adding a present one, a pair in both lists.
  MustCommit(*store,
             Timers({Timer(25, "a"), Timer(50, "a")}, {Timer(999, "nope"), Timer(50, "a")}));
  CHECK(Must(store->PendingTimerCount()) == 4);
  CheckTimers(Must(store->DueTimers(1000, 10)),
              {Timer(25, "a"), Timer(30, "a"), Timer(40, "a"), Timer(50, "a")});

  MustCommit(*store, Timers({}, {Timer(25, "a"), Timer(30, "a"), Timer(40, "a"), Timer(50, "a")}));
  CHECK_FALSE(Must(store->NextTimer()).has_value());
  CHECK(Must(store->DueTimers(1000, 10)).empty());
  CHECK(Must(store->PendingTimerCount()) == 0);
  MustCommit(*store, Timers({Timer(7, "again")}));
  CHECK(SameTimer(*Must(store->NextTimer()), Timer(7, "again")));
}

TEST_CASE("timers: 20000 inserted, 19999 removed from the head; still correct after restart") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock, /*sync=*/false);
  constexpr int kTimers = 20000;
  for (int start = 0; start < kTimers; start += 5000) {
    ScheduleBatch batch;
    for (int i = start; i < start + 5000; ++i) {
      batch.add_timers.push_back(Timer(1000 + i, "camp", "rule", "case-" + std::to_string(i)));
    }
    MustCommit(*store, batch);
  }
  CHECK(Must(store->PendingTimerCount()) == kTimers);
  // The timer firer's pattern: take what is due, remove it, repeat.
  int removed = 0;
  while (removed < kTimers - 1) {
    std::vector<TimerEntry> due = Must(store->DueTimers(
        1000 + kTimers - 2, static_cast<size_t>(std::min(700, kTimers - 1 - removed))));
    REQUIRE_FALSE(due.empty());
    CHECK(due.front().fire_at == 1000 + removed);
    removed += static_cast<int>(due.size());
    MustCommit(*store, Timers({}, due));
  }
  const TimerEntry last =
      Timer(1000 + kTimers - 1, "camp", "rule", "case-" + std::to_string(kTimers - 1));
  CHECK(SameTimer(*Must(store->NextTimer()), last));
  CHECK(Must(store->DueTimers(1000 + kTimers - 2, 10)).empty());
  CheckTimers(Must(store->DueTimers(1000 + kTimers - 1, 10)), {last});
  CHECK(Must(store->PendingTimerCount()) == 1);

  store.reset();
  store = OpenStore(dir.str(), clock);
  CHECK(SameTimer(*Must(store->NextTimer()), last));
  CHECK(Must(store->PendingTimerCount()) == 1);
  MustCommit(*store, Timers({}, {last}));
  CHECK_FALSE(Must(store->NextTimer()).has_value());
}

TEST_CASE("timers: concurrent readers always see exactly one timer while a writer moves it") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock, /*sync=*/false);
  TimerEntry current = Timer(1'000'000, "move");
  MustCommit(*store, Timers({current}));
  std::atomic<bool> done{false};
  std::atomic<int> bad_next{0}, bad_due{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        Result<std::optional<TimerEntry>> next = store->NextTimer();
        if (!next.ok() || !next->has_value()) bad_next++;
        Result<std::vector<TimerEntry>> due =
            store->DueTimers(std::numeric_limits<Micros>::max(), 5);
        if (!due.ok() || due->size() != 1) bad_due++;
        reads++;
      }
    });
  }
  // Alternately below and above the current head: both ways the head changes.
  for (int i = 1; i <= 3000; ++i) {
    TimerEntry moved = Timer(1'000'000 + (i % 2 ? -i : i), "move");
    MustCommit(*store, Timers({moved}, {current}));
    current = moved;
  }
  done = true;
  for (std::thread& t : readers) t.join();
  CHECK(bad_next.load() == 0);
  CHECK(bad_due.load() == 0);
  MESSAGE("concurrent reads: ", reads.load());
  CHECK(SameTimer(*Must(store->NextTimer()), current));
  CHECK(Must(store->PendingTimerCount()) == 1);
}

// Everything forwarded to a real store except LowestNeededEventSeq, so the interface's
// default implementation runs on real data.
class DefaultNeeded final : public ForwardingScheduleStore {
 public:
  using ForwardingScheduleStore::ForwardingScheduleStore;
};

Plan PlannedBy(uint64_t seq, std::string case_id, Micros fire_at,
               PlanStatus status = PlanStatus::kPending) {
  Plan p = MakePlan("snap", "reminder", std::move(case_id), fire_at);
  p.planned_seq = seq;
  p.status = status;
  return p;
}

// The same answer from the store's scan and from the interface's default.
uint64_t Needed(ScheduleStore& store, uint64_t outbox_after) {
  const uint64_t got = Must(store.LowestNeededEventSeq(outbox_after));
  DefaultNeeded fallback(store);
  CHECK(Must(fallback.LowestNeededEventSeq(outbox_after)) == got);
  return got;
}

constexpr uint64_t kNone = ScheduleStore::kNoEventNeeded;

TEST_CASE("LowestNeededEventSeq: pending plans and uncomposed intents; not settled plans") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock, /*sync=*/false);
  CHECK(Needed(*store, 0) == kNone);  // no plans at all
  MustCommit(*store, CursorAt(100));
  CHECK(Needed(*store, 0) == kNone);  // the cursor is not a plan

  // Done and cancelled plans (kept forever in `plans`) need nothing, even with a stale
  // timer left behind; a pending plan planned by no event (seq 0) needs nothing either.
  ScheduleBatch settled;
  settled.put_plans = {PlannedBy(3, "done", 0, PlanStatus::kDone),
                       PlannedBy(4, "cancelled", 500, PlanStatus::kCancelled),
                       PlannedBy(0, "unanchored", 600)};
  settled.add_timers = {Timer(500, "snap", "reminder", "cancelled"),
                        Timer(600, "snap", "reminder", "unanchored")};
  MustCommit(*store, settled);
  CHECK(Needed(*store, 0) == kNone);

  // Pending plans: the lowest planned_seq, whatever their fire order.
  ScheduleBatch pending;
  pending.put_plans = {PlannedBy(40, "a", 100), PlannedBy(30, "b", 900), PlannedBy(50, "c", 50)};
  pending.add_timers = {Timer(100, "snap", "reminder", "a"), Timer(900, "snap", "reminder", "b"),
                        Timer(50, "snap", "reminder", "c")};
  MustCommit(*store, pending);
  CHECK(Needed(*store, 0) == 30);

  // b's timer fires for its last occurrence: the plan is done and its intent waits in
  // the outbox; dispatch will read event 30 when it composes it.
  ScheduleBatch fired;
  fired.put_plans = {PlannedBy(30, "b", 900, PlanStatus::kDone)};
  fired.remove_timers = {Timer(900, "snap", "reminder", "b")};
  fired.put_outbox = {Intent(PlanKey{"snap", "reminder", "b"}, 1)};
  MustCommit(*store, fired);
  CHECK(Needed(*store, 0) == 30);
  // Composed (dispatch's outbox cursor moved past it): b needs nothing any more.
  CHECK(Needed(*store, 1) == 40);

  // a is cancelled; c fires but stays pending for its next occurrence.
  ScheduleBatch moved;
  moved.put_plans = {PlannedBy(40, "a", 100, PlanStatus::kCancelled), PlannedBy(50, "c", 2000)};
  moved.remove_timers = {Timer(100, "snap", "reminder", "a"), Timer(50, "snap", "reminder", "c")};
  moved.add_timers = {Timer(2000, "snap", "reminder", "c")};
  moved.put_outbox = {Intent(PlanKey{"snap", "reminder", "c"}, 1)};
  MustCommit(*store, moved);
  CHECK(Needed(*store, 1) == 50);
  CHECK(Needed(*store, 2) == 50);

  // The answer survives a restart (the scan starts from the reloaded head).
  store.reset();
  store = OpenStore(dir.str(), clock, /*sync=*/false);
  CHECK(Needed(*store, 2) == 50);

  // c's last occurrence, composed: nothing is needed.
  ScheduleBatch last;
  last.put_plans = {PlannedBy(50, "c", 2000, PlanStatus::kDone)};
  last.remove_timers = {Timer(2000, "snap", "reminder", "c")};
  last.put_outbox = {Intent(PlanKey{"snap", "reminder", "c"}, 2)};
  MustCommit(*store, last);
  CHECK(Needed(*store, 2) == 50);
  CHECK(Needed(*store, 3) == kNone);
}

TEST_CASE("LowestNeededEventSeq: thousands of pending plans and intents, read in chunks") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock, /*sync=*/false);
  constexpr int kPlans = 3000;  // several MultiGet chunks and outbox pages
  ScheduleBatch batch;
  for (int i = 0; i < kPlans; ++i) {
    const std::string case_id = "case-" + std::to_string(i);
    // The lowest seq sits in the middle of the timer order.
    const uint64_t seq = i == 2222 ? 7 : 1000 + static_cast<uint64_t>(i);
    batch.put_plans.push_back(PlannedBy(seq, case_id, 10'000 - i));
    batch.add_timers.push_back(Timer(10'000 - i, "snap", "reminder", case_id));
  }
  MustCommit(*store, batch);
  CHECK(Needed(*store, 0) == 7);

  // Every plan fires its last occurrence; the intents wait for dispatch.
  ScheduleBatch fired;
  for (int i = 0; i < kPlans; ++i) {
    const std::string case_id = "case-" + std::to_string(i);
    Plan done = batch.put_plans[static_cast<size_t>(i)];
    done.status = PlanStatus::kDone;
    fired.put_plans.push_back(done);
    fired.remove_timers.push_back(batch.add_timers[static_cast<size_t>(i)]);
    fired.put_outbox.push_back(Intent(done.key, 1));
  }
  MustCommit(*store, fired);
  CHECK(Must(store->PendingTimerCount()) == 0);
  CHECK(Needed(*store, 0) == 7);
  CHECK(Needed(*store, 2223) == 1000 + 2223);  // case-2222 (queue_seq 2223) was composed
  CHECK(Needed(*store, kPlans) == kNone);
}

TEST_CASE("LowestNeededEventSeq: concurrent readers never miss a plan whose timer moves") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock, /*sync=*/false);
  Plan plan = PlannedBy(17, "moving", 1'000'000);
  ScheduleBatch first;
  first.put_plans = {plan};
  first.add_timers = {Timer(plan.fire_at, "snap", "reminder", "moving")};
  MustCommit(*store, first);
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        Result<uint64_t> needed = store->LowestNeededEventSeq(0);
        if (!needed.ok() || *needed != 17) wrong++;
        reads++;
      }
    });
  }
  // Deferred again and again (as quiet hours or a reload would), below and above the old
  // fire time: the head moves both ways, the plan stays pending on event 17.
  for (int i = 1; i <= 2000; ++i) {
    Plan next = plan;
    next.fire_at = 1'000'000 + (i % 2 ? -i : i);
    ScheduleBatch move;
    move.put_plans = {next};
    move.remove_timers = {Timer(plan.fire_at, "snap", "reminder", "moving")};
    move.add_timers = {Timer(next.fire_at, "snap", "reminder", "moving")};
    MustCommit(*store, move);
    plan = next;
  }
  done = true;
  for (std::thread& t : readers) t.join();
  CHECK(wrong.load() == 0);
  MESSAGE("concurrent reads: ", reads.load());
}

}  // namespace
}  // namespace herald
