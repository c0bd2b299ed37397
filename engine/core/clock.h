// Clock: the only way engine code learns the time.
//
// Engine code never calls std::chrono::system_clock::now() or sleeps; it asks the Clock
// it was given. Production uses SystemClock(); tests use FakeClock and move it forward,
// so nothing in a test waits for real time. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace herald {

// Microseconds since the Unix epoch, UTC. The engine's one representation of an instant.
using Micros = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC) in microseconds since the epoch.
  virtual Micros NowMicros() const = 0;
  // A monotonic reading for measuring durations (latency histograms); never goes back.
  virtual Micros MonotonicMicros() const = 0;
};

// The real clock. A process-lifetime object owned by main(); pass it down by reference.
class SystemClock final : public Clock {
 public:
  Micros NowMicros() const override;
  Micros MonotonicMicros() const override;
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Micros start = 1'767'225'600'000'000)  // 2026-01-01T00:00:00Z
      : now_(start) {}
  Micros NowMicros() const override { return now_.load(); }
  Micros MonotonicMicros() const override { return now_.load(); }
  void Advance(Micros delta) { now_.fetch_add(delta); }
  void Set(Micros t) { now_.store(t); }

 private:
  std::atomic<Micros> now_;
};

}  // namespace herald
