// AuthFailureLimiter: a cap on failed authentication attempts per client address, so that
// nobody can guess API keys (or dashboard sign-in keys, or one-time link tokens) at the
// speed of the network.
//
// Policy. A failure is a credential that was presented and refused: a Bearer value that
// matches no key (unknown or malformed), a wrong key typed into the dashboard's sign-in
// form, an unknown, expired or spent one-time sign-in link. Not failures: a valid key
// that lacks the scope (403; the key is right, nothing is being guessed), and a request
// that presents no credential at all (public routes, a browser without a session). When
// an address has made `max_failures` failures within `window`, it is blocked for one
// `window` from that last failure: every request from it that presents a credential is
// refused (429 with Retry-After) before the credential is looked at, so a blocked client
// learns nothing, not even whether a guess was right. That caps a guesser at
// `max_failures` attempts per `window`, whatever the timing of its bursts.
//
// Refused (blocked) requests are not failures and do not extend the block: they tested
// no key, and a legitimate client stuck in a retry loop (a case system with a rotated key)
// comes back by itself one window after its last real attempt. Successes are not recorded
// and do not clear failures: otherwise a holder of one valid key (an ingest key) could
// interleave it with guesses at the admin key and never be blocked.
//
// Addresses. The key is the peer address of the TCP connection (httplib's remote_addr);
// X-Forwarded-For is ignored on purpose (it can be forged). Behind a reverse proxy every
// client has the proxy's address, so one guesser blocks everyone: raise the limit or set
// it at the proxy (docs/security.md). An IPv6 peer is keyed by its /64 (one host usually
// has a whole /64, so per-address keys would not limit anything); an IPv4-mapped IPv6
// address (::ffff:192.0.2.1) counts as the IPv4 address.
//
// Memory is bounded: at most `max_addresses` addresses are tracked (about 150 bytes
// each); an address whose window and block have passed is forgotten, and when the table
// is full the one whose last failure is oldest is evicted. A flood from more distinct
// addresses than that can evict a blocked address early; a client that has that many
// addresses already has that many times the allowance, so the cap costs it nothing extra.
//
// Time is the injected Clock's monotonic reading (a wall-clock step must not lift or
// extend a block). Thread-safe: requests run on httplib's worker threads. When nothing is
// tracked (no failure within the last window), BlockedFor takes no lock, so the limiter
// costs the ingest path nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/core/clock.h"

namespace herald {

struct AuthFailureLimiterOptions {
  uint32_t max_failures = 20;      // failures within `window` that block; 0: no limit
  Micros window = 60LL * 1000000;  // also how long a block lasts (> 0)
  size_t max_addresses = 10000;    // tracked at once (0 is taken as 1)
};

class AuthFailureLimiter {
 public:
  // `clock` must outlive the limiter.
  AuthFailureLimiter(const Clock& clock, AuthFailureLimiterOptions options);
  AuthFailureLimiter(const AuthFailureLimiter&) = delete;
  AuthFailureLimiter& operator=(const AuthFailureLimiter&) = delete;

  bool enabled() const { return options_.max_failures > 0; }

  // Whole seconds (at least 1, rounded up) until `address` may present a credential
  // again, for Retry-After; 0 when it may now. Always 0 when disabled.
  int64_t BlockedFor(std::string_view address);

  // Records a refused credential from `address` (see the policy above). No-op when
  // disabled.
  void RecordFailure(std::string_view address);

  // Addresses tracked now (for tests and bounds checks).
  size_t tracked() const;

  // What `address` is counted under: an IPv4 address as is, IPv6 as its /64
  // ("2001:db8:1:2::/64"), IPv4-mapped IPv6 as the IPv4 address, anything else (not an
  // IP address) as given, cut to 64 bytes so no key is large.
  static std::string AddressKey(std::string_view address);

 private:
  struct Entry {
    Micros window_start = 0;               // first failure of the current window
    uint32_t failures = 0;                 // in the current window
    Micros blocked_until = 0;              // 0: not blocked
    std::list<std::string>::iterator lru;  // position in lru_
  };
  // Whether `e` holds nothing any more: its window and its block have passed.
  bool Stale(const Entry& e, Micros now) const;
  void DropStaleLocked(Micros now);
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);

  const Clock& clock_;
  const AuthFailureLimiterOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::list<std::string> lru_;   // guarded by mu_; keys, most recent failure first
  std::atomic<size_t> size_{0};  // entries_.size(), readable without mu_
};

}  // namespace herald
