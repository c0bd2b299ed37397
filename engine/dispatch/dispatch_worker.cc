#include "engine/dispatch/dispatch_worker.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace herald {

DispatchWorker::DispatchWorker(Dispatcher& dispatcher, const Clock& clock,
                               CallbackSender* callbacks)
    : dispatcher_(dispatcher), clock_(clock), callbacks_(callbacks) {}

DispatchWorker::~DispatchWorker() {
  Stop();
}

void DispatchWorker::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void DispatchWorker::Stop() {
  stop_ = true;
  waker_.Notify();
  if (thread_.joinable()) thread_.join();
}

void DispatchWorker::Run() {
  while (!stop_) {
    const Micros deadline = Step();
    if (stop_) break;
    if (deadline <= clock_.NowMicros()) continue;
    waker_.WaitUntil(deadline, clock_);
  }
}

Micros DispatchWorker::Step() {
  const Micros retry = clock_.NowMicros() + kRetryMicros;
  Result<size_t> taken = dispatcher_.Intake(kIntakeStep);
  if (!taken.ok()) {
    spdlog::warn("dispatch intake: {}; retrying", taken.status().ToString());
    return retry;
  }
  Result<size_t> sent = dispatcher_.SendReady(kSendStep);
  if (!sent.ok()) {
    spdlog::warn("dispatch: {}; retrying", sent.status().ToString());
    return retry;
  }
  size_t posted = 0;
  bool callbacks_failed = false;
  if (callbacks_ != nullptr) {
    Result<size_t> p = callbacks_->SendDue(kCallbackStep);
    if (p.ok()) {
      posted = *p;
    } else {
      spdlog::warn("status callbacks: {}; retrying", p.status().ToString());
      callbacks_failed = true;
    }
  }
  const Micros now = clock_.NowMicros();
  if (*taken == kIntakeStep || *sent > 0 || posted > 0) return now;
  Micros deadline = now + kPollMicros;
  Result<std::optional<Micros>> next = dispatcher_.NextWakeAt();
  if (next.ok() && *next) deadline = std::min(deadline, std::max(**next, now));
  if (callbacks_ != nullptr && !callbacks_failed) {
    Result<std::optional<Micros>> due = callbacks_->NextDueAt();
    if (due.ok() && *due) deadline = std::min(deadline, std::max(**due, now));
  }
  return deadline;
}

}  // namespace herald
