#include "engine/dispatch/callback_sender.h"

#include <exception>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/core/time_format.h"
#include "engine/dispatch/delivery_policy.h"

namespace herald {
namespace {

constexpr Micros kForever = std::numeric_limits<Micros>::max();

// The message a callback belongs to; callbacks without one (none the Dispatcher makes)
// are ordered on their own, by seq.
std::string MessageOf(const StatusCallback& cb) {
  auto it = cb.body.find("message_id");
  if (it != cb.body.end() && it->is_string()) return it->get<std::string>();
  return "#" + std::to_string(cb.seq);
}

// When the status change happened: the body's "at", or `fallback` when it has none.
Micros CreatedAt(const StatusCallback& cb, Micros fallback) {
  auto it = cb.body.find("at");
  if (it != cb.body.end() && it->is_string()) {
    if (std::optional<Micros> at = ParseRfc3339(it->get_ref<const std::string&>())) return *at;
  }
  return fallback;
}

}  // namespace

CallbackSender::CallbackSender(MessageStore& store, StatusCallbackPoster& poster,
                               const Clock& clock, CallbackSenderOptions options)
    : store_(store),
      poster_(poster),
      clock_(clock),
      options_(std::move(options)),
      random_(options_.random_seed) {}

Result<size_t> CallbackSender::SendDue(size_t max) {
  try {
    const Micros start = clock_.NowMicros();
    if (max == 0 || start < hold_until_) return size_t{0};
    // Every stored callback (not only the due ones): a due callback must wait behind an
    // earlier one of its message that is not due yet.
    Result<std::vector<StatusCallback>> stored = store_.DueCallbacks(kForever, options_.scan_limit);
    if (!stored.ok()) return stored.status();
    MessageBatch batch;
    CallbackStats delta;
    std::set<std::string> blocked;  // messages with an earlier callback still stored
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    size_t posts = 0;
    for (StatusCallback& cb : *stored) {
      const std::string message = MessageOf(cb);
      if (blocked.count(message) > 0) continue;
      const Micros now = clock_.NowMicros();
      if (cb.next_attempt_at > now) {
        blocked.insert(message);
        continue;
      }
      if (posts == max) break;
      const std::string body =
          cb.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      const std::string key = message + "-" + std::to_string(cb.seq);
      CallbackPostResult r = poster_.Post(body, key);
      ++posts;
      ++delta.posts;
      const int attempts = cb.attempts + 1;
      const Micros done = clock_.NowMicros();
      switch (r.kind) {
        case CallbackPostResult::Kind::kDelivered:
          batch.remove_callbacks.push_back(cb.seq);
          ++delta.delivered;
          break;
        case CallbackPostResult::Kind::kPermanent:
          batch.remove_callbacks.push_back(cb.seq);
          ++delta.rejected;
          spdlog::warn("status callback {} of message {} refused ({}); dropped", cb.seq, message,
                       r.detail);
          break;
        case CallbackPostResult::Kind::kTemporary: {
          std::optional<Micros> next = NextAttemptAt(
              options_.retry, attempts, done, CreatedAt(cb, done), unit(random_), r.retry_after);
          if (!next) {
            batch.remove_callbacks.push_back(cb.seq);
            ++delta.given_up;
            spdlog::warn("status callback {} of message {} given up after {} attempts ({})", cb.seq,
                         message, attempts, r.detail);
            break;
          }
          cb.attempts = attempts;
          cb.next_attempt_at = *next;
          batch.put_callbacks.push_back(cb);
          blocked.insert(message);
          ++delta.retried;
          spdlog::debug("status callback {} of message {}: {}; retry at {}", cb.seq, message,
                        r.detail, FormatRfc3339(*next));
          if (r.no_reply) hold_until_ = *next;
          break;
        }
      }
      if (hold_until_ > done) break;  // nobody answers: the rest waits too
    }
    if (Status s = store_.Commit(batch); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.posts += delta.posts;
    stats_.delivered += delta.delivered;
    stats_.retried += delta.retried;
    stats_.rejected += delta.rejected;
    stats_.given_up += delta.given_up;
    return posts;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("status callbacks: ") + e.what());
  }
}

Result<std::optional<Micros>> CallbackSender::NextDueAt() {
  Result<std::vector<StatusCallback>> stored = store_.DueCallbacks(kForever, options_.scan_limit);
  if (!stored.ok()) return stored.status();
  std::set<std::string> seen;
  std::optional<Micros> next;
  for (const StatusCallback& cb : *stored) {
    // Only the first stored callback of each message can be posted next.
    if (!seen.insert(MessageOf(cb)).second) continue;
    if (!next || cb.next_attempt_at < *next) next = cb.next_attempt_at;
  }
  if (next && *next < hold_until_) next = hold_until_;
  return next;
}

CallbackStats CallbackSender::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace herald
