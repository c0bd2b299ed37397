// AuthFailureLimiter on its own: the counting window, the block, per-address keys (IPv6 by
// /64), the bound on memory and eviction, and "0 disables". A FakeClock; nothing sleeps.
#include "engine/api/auth_failure_limiter.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {

constexpr Micros kSec = 1'000'000;

AuthFailureLimiterOptions Options(uint32_t max_failures, size_t max_addresses = 10000) {
  AuthFailureLimiterOptions o;
  o.max_failures = max_failures;
  o.window = 60 * kSec;
  o.max_addresses = max_addresses;
  return o;
}

TEST_CASE("limiter: the Nth failure blocks for one window from it; then the address is clear") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(3));
  CHECK(limiter.enabled());
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);
  limiter.RecordFailure("192.0.2.1");
  clock.Advance(10 * kSec);
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);  // N-1 failures: still allowed
  clock.Advance(10 * kSec);
  limiter.RecordFailure("192.0.2.1");  // the Nth, at t=20s: blocked until t=80s
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  clock.Advance(59 * kSec + kSec / 2);
  CHECK(limiter.BlockedFor("192.0.2.1") == 1);  // rounded up: never "retry after 0"
  clock.Advance(kSec / 2);
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);
  // A new window starts from scratch.
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  // A window after the last failure the table is empty again (checks are lock-free then).
  CHECK(limiter.tracked() == 1);
  clock.Advance(60 * kSec);
  CHECK(limiter.BlockedFor("198.51.100.7") == 0);
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("limiter: failures further apart than the window never block") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(3));
  for (int i = 0; i < 10; ++i) {
    limiter.RecordFailure("192.0.2.1");
    limiter.RecordFailure("192.0.2.1");
    CHECK(limiter.BlockedFor("192.0.2.1") == 0);
    clock.Advance(60 * kSec);
  }
}

TEST_CASE("limiter: failures recorded while blocked do not extend the block") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(2));
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  // (Requests that passed the gate just before the block can still fail after it.)
  clock.Advance(30 * kSec);
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 30);
  clock.Advance(30 * kSec);
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);
}

TEST_CASE("limiter: addresses are counted separately; IPv6 by /64, IPv4-mapped as IPv4") {
  CHECK(AuthFailureLimiter::AddressKey("192.0.2.1") == "192.0.2.1");
  CHECK(AuthFailureLimiter::AddressKey("2001:db8:1:2:aaaa::9") == "2001:db8:1:2::/64");
  CHECK(AuthFailureLimiter::AddressKey("2001:0DB8:0001:0002:0:0:0:1") == "2001:db8:1:2::/64");
  CHECK(AuthFailureLimiter::AddressKey("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(AuthFailureLimiter::AddressKey("::1") == "::/64");
  CHECK(AuthFailureLimiter::AddressKey("fe80::1%eth0") == "fe80::/64");
  CHECK(AuthFailureLimiter::AddressKey("not-an-ip") == "not-an-ip");
  CHECK(AuthFailureLimiter::AddressKey(std::string(500, 'x')).size() == 64);

  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(2));
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  CHECK(limiter.BlockedFor("::ffff:192.0.2.1") == 60);
  CHECK(limiter.BlockedFor("192.0.2.2") == 0);

  limiter.RecordFailure("2001:db8:1:2::1");
  limiter.RecordFailure("2001:db8:1:2::2");  // same /64: the same client
  CHECK(limiter.BlockedFor("2001:db8:1:2:ffff::9") == 60);
  CHECK(limiter.BlockedFor("2001:db8:1:3::1") == 0);
  CHECK(limiter.tracked() == 2);
}

TEST_CASE("limiter: memory is bounded; the oldest address is evicted, stale ones forgotten") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(2, 3));
  limiter.RecordFailure("192.0.2.1");
  clock.Advance(kSec);
  limiter.RecordFailure("192.0.2.2");
  clock.Advance(kSec);
  limiter.RecordFailure("192.0.2.3");
  clock.Advance(kSec);
  limiter.RecordFailure("192.0.2.1");  // blocked, and now the most recent
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  CHECK(limiter.tracked() == 3);
  limiter.RecordFailure("192.0.2.4");  // full: .2 (oldest last failure) goes
  CHECK(limiter.tracked() == 3);
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
  limiter.RecordFailure("192.0.2.2");  // counted from scratch: one failure, not two
  CHECK(limiter.BlockedFor("192.0.2.2") == 0);

  // Once their windows and blocks have passed, entries are dropped on the next failure.
  clock.Advance(61 * kSec);
  limiter.RecordFailure("192.0.2.5");
  CHECK(limiter.tracked() == 1);

  // A flood of distinct addresses never holds more than the cap.
  AuthFailureLimiter flooded(clock, Options(20, 100));
  for (int i = 0; i < 5000; ++i) {
    flooded.RecordFailure("10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                          "." + std::to_string(i % 256));
  }
  CHECK(flooded.tracked() == 100);
}

TEST_CASE("limiter: 0 failures disables it") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(0));
  CHECK_FALSE(limiter.enabled());
  for (int i = 0; i < 100; ++i) limiter.RecordFailure("192.0.2.1");
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("limiter: concurrent failures from many threads are all counted") {
  FakeClock clock;
  AuthFailureLimiter limiter(clock, Options(4000, 50));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      for (int i = 0; i < 999; ++i) {
        limiter.RecordFailure("192.0.2.1");
        limiter.RecordFailure("198.51.100." + std::to_string(t * 40 + i % 40));
        (void)limiter.BlockedFor("192.0.2.1");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(limiter.tracked() <= 50);
  CHECK(limiter.BlockedFor("192.0.2.1") == 0);  // 3996 failures
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");
  limiter.RecordFailure("192.0.2.1");  // 4000
  CHECK(limiter.BlockedFor("192.0.2.1") == 60);
}

}  // namespace
}  // namespace herald
