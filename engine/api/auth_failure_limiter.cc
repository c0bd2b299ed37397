#include "engine/api/auth_failure_limiter.h"

#include <arpa/inet.h>

#include <algorithm>

namespace herald {

namespace {

AuthFailureLimiterOptions Checked(AuthFailureLimiterOptions o) {
  o.max_addresses = std::max<size_t>(o.max_addresses, 1);
  o.window = std::max<Micros>(o.window, 1);
  return o;
}

}  // namespace

AuthFailureLimiter::AuthFailureLimiter(const Clock& clock, AuthFailureLimiterOptions options)
    : clock_(clock), options_(Checked(options)) {}

std::string AuthFailureLimiter::AddressKey(std::string_view address) {
  constexpr size_t kMaxKey = 64;
  // A link-local IPv6 address may carry a zone ("fe80::1%eth0"); the zone is not part of
  // the address.
  const std::string ip(address.substr(0, std::min(address.find('%'), size_t{INET6_ADDRSTRLEN})));
  unsigned char bytes[16];
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) return ip;
  if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN];
    if (std::equal(bytes, bytes + 12, kMapped)) {
      return inet_ntop(AF_INET, bytes + 12, text, sizeof text) != nullptr ? text : ip;
    }
    // One host usually holds a whole /64: key by it, or a guesser could use a new
    // address for every attempt.
    std::fill(bytes + 8, bytes + 16, 0);
    if (inet_ntop(AF_INET6, bytes, text, sizeof text) == nullptr) return ip;
    return std::string(text) + "/64";
  }
  return std::string(address.substr(0, kMaxKey));
}

bool AuthFailureLimiter::Stale(const Entry& e, Micros now) const {
  return now >= e.window_start + options_.window && now >= e.blocked_until;
}

void AuthFailureLimiter::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  lru_.erase(it->second.lru);
  entries_.erase(it);
  size_.store(entries_.size(), std::memory_order_relaxed);
}

void AuthFailureLimiter::DropStaleLocked(Micros now) {
  // lru_ is ordered by last failure and an entry lasts at most one window past its last
  // failure, so the stale ones collect at the back: amortised O(1) per failure.
  while (!lru_.empty()) {
    auto it = entries_.find(lru_.back());
    if (!Stale(it->second, now)) break;
    EraseLocked(it);
  }
}

int64_t AuthFailureLimiter::BlockedFor(std::string_view address) {
  if (!enabled() || size_.load(std::memory_order_relaxed) == 0) return 0;
  const std::string key = AddressKey(address);
  std::lock_guard<std::mutex> lock(mu_);
  const Micros now = clock_.MonotonicMicros();
  // Forgetting what has passed here too brings the table back to empty, and this method
  // back to its lock-free path, a window after the last failure.
  DropStaleLocked(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const Micros left = it->second.blocked_until - now;
  if (left <= 0) return 0;
  return (left + 999999) / 1000000;
}

void AuthFailureLimiter::RecordFailure(std::string_view address) {
  if (!enabled()) return;
  std::string key = AddressKey(address);
  std::lock_guard<std::mutex> lock(mu_);
  const Micros now = clock_.MonotonicMicros();
  DropStaleLocked(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    // Full: forget the address whose last failure is oldest.
    while (entries_.size() >= options_.max_addresses) EraseLocked(entries_.find(lru_.back()));
    lru_.push_front(key);
    it = entries_.emplace(std::move(key), Entry{}).first;
    it->second.lru = lru_.begin();
    it->second.window_start = now;
    size_.store(entries_.size(), std::memory_order_relaxed);
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  if (now >= e.window_start + options_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  if (e.failures < options_.max_failures) ++e.failures;
  // A full window from the failure that trips the limit, not the end of the counting
  // window: otherwise a burst at the end of one window and another at the start of the
  // next would get twice the allowance.
  if (e.failures >= options_.max_failures && e.blocked_until <= now) {
    e.blocked_until = now + options_.window;
  }
}

size_t AuthFailureLimiter::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace herald
