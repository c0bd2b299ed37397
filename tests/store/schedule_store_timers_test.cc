// RocksScheduleStore's timer queue: ordering, bounds, the head cache, tombstones,
// restart, and concurrent readers.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/store/schedule_store_rocks.h"
#include "tests/store/schedule_store_test_util.h"
#include "tests/test_util.h"

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

}  // namespace
}  // namespace herald
