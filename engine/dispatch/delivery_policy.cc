#include "engine/dispatch/delivery_policy.h"

#include <algorithm>
#include <cmath>

namespace herald {

std::optional<Micros> NextAttemptAt(const DeliveryConfig& delivery, int failed_attempts, Micros now,
                                    Micros created_at, double random01,
                                    std::optional<Micros> retry_after) {
  if (failed_attempts >= static_cast<int>(delivery.max_attempts)) return std::nullopt;
  const int doublings = std::clamp(failed_attempts - 1, 0, 40);
  const double full =
      std::min(static_cast<double>(delivery.retry_max_us),
               static_cast<double>(delivery.retry_initial_us) * std::ldexp(1.0, doublings));
  const double r = std::clamp(random01, 0.0, 1.0);
  Micros wait = static_cast<Micros>(full / 2 + r * full / 2);
  if (retry_after && *retry_after > wait) wait = std::min(*retry_after, delivery.max_age_us);
  const Micros at = now + std::max<Micros>(wait, 1);
  if (at > created_at + delivery.max_age_us) return std::nullopt;
  return at;
}

TokenBucket::TokenBucket(double rate_per_second, uint32_t burst, Micros now)
    : rate_(rate_per_second / 1e6),
      burst_(std::max<uint32_t>(burst, 1)),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::Refill(Micros now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_) * rate_);
    last_ = now;
  }
}

bool TokenBucket::TryTake(Micros now) {
  if (rate_ <= 0) return true;
  Refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

Micros TokenBucket::NextTokenAt(Micros now) {
  if (rate_ <= 0) return now;
  Refill(now);
  if (tokens_ >= 1.0) return now;
  return now + static_cast<Micros>(std::ceil((1.0 - tokens_) / rate_));
}

}  // namespace herald
