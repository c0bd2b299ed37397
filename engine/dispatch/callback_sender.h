// CallbackSender: posts the StatusCallbacks the Dispatcher queues (message_store.h) to the
// case system's callback URL, and retries them with backoff.
//
// The Dispatcher adds one StatusCallback in the same write as each status change of a
// message after intake; SendDue takes the due ones out of the MessageStore (oldest seq
// first), hands each body to a StatusCallbackPoster (connectors/callback implements it
// with curl; dispatch never includes curl) and records the outcome in one Commit:
//   delivered (2xx)                 removed
//   permanent (a 4xx but 408/429)   removed, logged, counted as rejected
//   temporary (408, 429, 5xx, no    put back with attempts + 1 and the next attempt from
//   reply)                          NextAttemptAt (delivery_policy.h) on `retry`; a
//                                   Retry-After that asks for longer wins. When attempts
//                                   or age (from the body's "at") run out: removed,
//                                   logged, counted as given up.
// Delivery is at least once: a callback posted but not yet removed when the process
// stops is posted again; its Idempotency-Key ("<message id>-<seq>") is the same.
//
// Order. Callbacks of one message are posted in seq order (the order of its status
// changes), one at a time: a callback is posted only when no callback of the same message
// with a smaller seq is still stored. While one waits for its retry, the later ones of
// its message wait behind it, even when they are due; they follow in order, in the same
// round, as soon as it is delivered, rejected or given up. Callbacks of other messages
// never wait for it. SendDue sees at most `scan_limit` stored callbacks (oldest first) per
// round; beyond that, newer callbacks wait until older ones leave.
//
// A post that got no reply at all (timeout, connection refused) ends the round and holds
// every post until that callback's next attempt: the receiver is likely down, and the
// worker that calls SendDue also sends messages, so it must not wait out one timeout per
// callback.
//
// Thread safety: SendDue and NextDueAt from one thread at a time (the dispatch worker);
// stats() from any. Nothing is logged that names a recipient or holds a body: logs name
// the callback's seq, its message id (opaque), the HTTP status and attempts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/dispatch/message_store.h"

namespace herald {

// What became of one POST of a status callback.
struct CallbackPostResult {
  enum class Kind {
    kDelivered,  // 2xx
    kTemporary,  // 408, 429, 5xx, 3xx, no reply: try again later
    kPermanent,  // any other 4xx: the receiver will never take it as is
  };
  Kind kind = Kind::kTemporary;
  bool no_reply = false;  // timeout or connection failure: nobody answered
  int http_status = 0;    // 0 when no reply
  // For logs: "HTTP 503", "timeout", "network: curl 7 ..."; never a body or an address.
  std::string detail;
  std::optional<Micros> retry_after;  // the receiver's Retry-After, as a delay

  static CallbackPostResult Delivered(int status) {
    CallbackPostResult r;
    r.kind = Kind::kDelivered;
    r.http_status = status;
    r.detail = "HTTP " + std::to_string(status);
    return r;
  }
};

// Posts one status callback: `body` (JSON text) to the configured URL with
// Content-Type: application/json, X-Herald-Timestamp, X-Herald-Signature and
// Idempotency-Key: `idempotency_key`. Blocks until the reply or a timeout; never throws,
// never retries (CallbackSender does). Implementations are thread-safe.
class StatusCallbackPoster {
 public:
  virtual ~StatusCallbackPoster() = default;
  virtual CallbackPostResult Post(const std::string& body, const std::string& idempotency_key) = 0;
};

// Retry settings of status callbacks as a DeliveryConfig (max_attempts, retry_initial_us,
// retry_max_us, max_age_us; the connector lists are not used), from `status_callbacks:`
// in herald.yaml, whose defaults ride out a receiver that is down for a weekend.
inline DeliveryConfig CallbackRetryFrom(const StatusCallbackConfig& c) {
  DeliveryConfig d;
  d.max_attempts = c.max_attempts;
  d.retry_initial_us = c.retry_initial_us;
  d.retry_max_us = c.retry_max_us;
  d.max_age_us = c.max_age_us;
  return d;
}
inline DeliveryConfig DefaultCallbackRetry() {
  return CallbackRetryFrom(StatusCallbackConfig{});
}

struct CallbackSenderOptions {
  DeliveryConfig retry = DefaultCallbackRetry();
  uint64_t random_seed = 0;  // jitter; tests fix it
  size_t scan_limit = 10'000;
};

struct CallbackStats {
  uint64_t posts = 0;      // POSTs made
  uint64_t delivered = 0;  // 2xx
  uint64_t retried = 0;    // temporary failures put back for a later attempt
  uint64_t rejected = 0;   // permanent failures, removed
  uint64_t given_up = 0;   // attempts or age ran out, removed
};

class CallbackSender {
 public:
  // `store`, `poster` and `clock` must outlive the sender.
  CallbackSender(MessageStore& store, StatusCallbackPoster& poster, const Clock& clock,
                 CallbackSenderOptions options = {});

  // One round: posts up to `max` due callbacks (in the order above) and commits what
  // became of them. Returns how many it posted; an error when the store failed (the
  // posts of the round are then made again later).
  Result<size_t> SendDue(size_t max);

  // When SendDue next has something to post (at or before now: at once); nullopt when
  // no callback is stored.
  Result<std::optional<Micros>> NextDueAt();

  CallbackStats stats() const;

 private:
  MessageStore& store_;
  StatusCallbackPoster& poster_;
  const Clock& clock_;
  CallbackSenderOptions options_;
  std::mt19937_64 random_;
  Micros hold_until_ = 0;  // no posts before this (the receiver did not answer)
  mutable std::mutex stats_mu_;
  CallbackStats stats_;
};

}  // namespace herald
