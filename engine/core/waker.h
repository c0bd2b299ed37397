// Waker: lets a background worker sleep until a deadline on the engine Clock, or until
// someone has news for it (a new event, a stop request).
//
// The worker is the only place in the engine that waits for real time; unit tests never
// use it (they call the worker's steps directly and move a FakeClock). Notifications are
// sticky: a Notify() that comes while nobody waits makes the next WaitUntil return at
// once, so news that arrives between the worker's check and its wait is never lost.
//
// Thread-safe: any thread may Notify; one thread at a time should wait.
#pragma once

#include <condition_variable>
#include <mutex>

#include "engine/core/clock.h"

namespace herald {

class Waker {
 public:
  // Wakes the waiter (or the next one, when nobody waits now).
  void Notify();

  // Blocks until Notify() is called (true; the notification is consumed) or until
  // `clock` reads at least `deadline` (false). For SystemClock the wait is on the
  // system clock's time point of `deadline`; for any other clock the time still to go
  // by that clock is waited on the steady clock, re-reading `clock` at least once a
  // second (a FakeClock moved by another thread is noticed within a second). A deadline
  // already passed returns false at once unless a notification is pending.
  bool WaitUntil(Micros deadline, const Clock& clock);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // guarded by mu_
};

}  // namespace herald
