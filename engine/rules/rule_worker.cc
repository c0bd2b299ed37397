#include "engine/rules/rule_worker.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace herald {

RuleWorker::RuleWorker(RuleEngine& engine, TimerFirer& firer, EventLog& log, ScheduleStore& store,
                       const Clock& clock)
    : engine_(engine), firer_(firer), log_(log), store_(store), clock_(clock) {}

RuleWorker::~RuleWorker() {
  Stop();
}

void RuleWorker::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RuleWorker::Stop() {
  stop_ = true;
  waker_.Notify();
  if (thread_.joinable()) thread_.join();
}

void RuleWorker::Run() {
  while (!stop_) {
    const Micros deadline = Step();
    if (stop_) break;
    if (deadline <= clock_.NowMicros()) continue;
    waker_.WaitUntil(deadline, clock_);
  }
}

Micros RuleWorker::Step() {
  const Micros retry = clock_.NowMicros() + kRetryMicros;
  Result<size_t> events = engine_.ProcessAvailable(kStepSize);
  if (!events.ok()) {
    spdlog::warn("rule engine: {}; retrying", events.status().ToString());
    return retry;
  }
  Result<size_t> timers = firer_.FireDue(kStepSize);
  if (!timers.ok()) {
    spdlog::warn("timer firer: {}; retrying", timers.status().ToString());
    return retry;
  }
  if (*timers > 0 && on_fired_) on_fired_();
  if (*events > 0 || *timers > 0) {
    spdlog::debug("rule engine: {} event(s) processed, {} timer(s) handled", *events, *timers);
  }
  const Micros now = clock_.NowMicros();
  if (*events == kStepSize || *timers == kStepSize) return now;  // more to do
  Result<uint64_t> cursor = store_.Cursor();
  if (cursor.ok() && log_.LastSequence() > *cursor) return now;
  Micros deadline = now + kPollMicros;
  Result<std::optional<TimerEntry>> next = store_.NextTimer();
  if (next.ok() && *next) deadline = std::min(deadline, std::max((*next)->fire_at, now));
  return deadline;
}

}  // namespace herald
