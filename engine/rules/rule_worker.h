// RuleWorker: the background thread of `herald serve` that keeps the schedule moving.
//
// It loops: RuleEngine::ProcessAvailable, then TimerFirer::FireDue, and when both are
// caught up waits on a Waker until the next timer is due, or at most kPollMicros, after
// which it compares EventLog::LastSequence() with its cursor. Ingest never calls the rule
// engine (the log is the only hand-off): the worker notices new events by that poll, or
// sooner when someone calls Notify() (e.g. after an append). Errors (storage unavailable)
// are logged and retried after kRetryMicros; they never stop the worker.
//
// This is the only part of the rules layer that waits for real time; tests drive
// RuleEngine and TimerFirer directly with a FakeClock instead.
//
// Thread safety: Start/Stop from one thread; Notify from any.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "engine/core/clock.h"
#include "engine/core/waker.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/timer_firer.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/event_log.h"

namespace herald {

class RuleWorker {
 public:
  static constexpr Micros kPollMicros = 200'000;     // new events are seen within this
  static constexpr Micros kRetryMicros = 1'000'000;  // after a storage error
  static constexpr size_t kStepSize = 4096;          // events or timers per step

  // Everything must outlive the worker.
  RuleWorker(RuleEngine& engine, TimerFirer& firer, EventLog& log, ScheduleStore& store,
             const Clock& clock);
  ~RuleWorker();  // Stop()s
  RuleWorker(const RuleWorker&) = delete;
  RuleWorker& operator=(const RuleWorker&) = delete;

  void Start();
  // Asks the loop to stop and joins it; the step in progress (one committed batch at
  // most) finishes first. Idempotent.
  void Stop();
  // There may be new events: look now rather than at the next poll.
  void Notify() { waker_.Notify(); }
  // Called on the worker's thread after a step that fired timers (so dispatch can look
  // at the outbox now). Set before Start().
  void SetOnFired(std::function<void()> on_fired) { on_fired_ = std::move(on_fired); }

 private:
  void Run();
  // One round of work; the deadline to sleep until (now when there is more to do).
  Micros Step();

  RuleEngine& engine_;
  TimerFirer& firer_;
  EventLog& log_;
  ScheduleStore& store_;
  const Clock& clock_;
  Waker waker_;
  std::function<void()> on_fired_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace herald
