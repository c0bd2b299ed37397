// Retry timing and rate limits of dispatch: pure arithmetic on an injected time, so tests
// move a FakeClock instead of waiting.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/config/config.h"
#include "engine/core/clock.h"

namespace herald {

// When to try a message again after `failed_attempts` (>= 1) temporary failures:
// exponential from delivery.retry_initial (doubling per failure, capped at retry_max),
// with "equal jitter" (a uniform draw between half and all of it, from `random01` in
// [0, 1)), so a gateway outage does not bring every message back at the same instant.
// A Retry-After from the gateway wins when it is later. nullopt when the message has
// used its attempts or would go out after created_at + max_age: then it is a technical
// failure.
std::optional<Micros> NextAttemptAt(const DeliveryConfig& delivery, int failed_attempts, Micros now,
                                    Micros created_at, double random01,
                                    std::optional<Micros> retry_after);

// A token bucket: `rate` tokens a second up to `burst`. Not thread-safe: dispatch keeps
// one per connector on its driving thread.
class TokenBucket {
 public:
  // rate <= 0: unlimited.
  TokenBucket(double rate_per_second, uint32_t burst, Micros now);

  // Takes a token if one is there at `now`.
  bool TryTake(Micros now);
  // When the next token will be there (now when one is).
  Micros NextTokenAt(Micros now);

 private:
  void Refill(Micros now);

  double rate_;  // tokens per microsecond
  double burst_;
  double tokens_;
  Micros last_;
};

}  // namespace herald
