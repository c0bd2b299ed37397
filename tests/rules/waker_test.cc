// Waker, the RuleWorker's sleep: only the paths that return without waiting (tests do not
// sleep).
#include "engine/core/waker.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

TEST_CASE("Waker: a pending notification returns at once and is consumed") {
  FakeClock clock;
  Waker waker;
  waker.Notify();
  waker.Notify();  // notifications do not pile up
  CHECK(waker.WaitUntil(clock.NowMicros() + 3'600'000'000LL, clock));
  CHECK_FALSE(waker.WaitUntil(clock.NowMicros(), clock));  // consumed; deadline reached
}

TEST_CASE("Waker: a deadline already reached returns false at once") {
  FakeClock clock;
  Waker waker;
  CHECK_FALSE(waker.WaitUntil(clock.NowMicros() - 1, clock));
  SystemClock system;
  CHECK_FALSE(waker.WaitUntil(system.NowMicros() - 1'000'000, system));
  waker.Notify();
  CHECK(waker.WaitUntil(system.NowMicros() - 1'000'000, system));
}

}  // namespace
}  // namespace herald
