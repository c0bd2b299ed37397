#include "engine/dispatch/dispatch_worker.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace herald {

DispatchWorker::DispatchWorker(Dispatcher& dispatcher, const Clock& clock)
    : dispatcher_(dispatcher), clock_(clock) {}

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
  const Micros now = clock_.NowMicros();
  if (*taken == kIntakeStep || *sent > 0) return now;
  Micros deadline = now + kPollMicros;
  Result<std::optional<Micros>> next = dispatcher_.NextWakeAt();
  if (next.ok() && *next) deadline = std::min(deadline, std::max(**next, now));
  return deadline;
}

}  // namespace herald
