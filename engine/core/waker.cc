#include "engine/core/waker.h"

#include <algorithm>
#include <chrono>

namespace herald {

void Waker::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

bool Waker::WaitUntil(Micros deadline, const Clock& clock) {
  using std::chrono::microseconds;
  std::unique_lock<std::mutex> lock(mu_);
  if (dynamic_cast<const SystemClock*>(&clock) != nullptr) {
    const std::chrono::system_clock::time_point until{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(microseconds(deadline))};
    cv_.wait_until(lock, until, [this] { return notified_; });
  } else {
    // Another clock's time is not the system clock's: wait for what is left by that
    // clock, in slices, so a clock that jumps ahead is seen.
    constexpr Micros kSlice = 1'000'000;
    while (!notified_) {
      const Micros left = deadline - clock.NowMicros();
      if (left <= 0) break;
      cv_.wait_for(lock, microseconds(std::min(left, kSlice)));
    }
  }
  const bool woken = notified_;
  notified_ = false;
  return woken;
}

}  // namespace herald
