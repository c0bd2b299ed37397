// Dispatcher::Intake: outbox intents -> composed messages + the outbox cursor, in one
// write (see dispatcher.h). Kept apart from sending so each can change on its own.
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/dispatch/dispatcher.h"

namespace herald {

Result<size_t> Dispatcher::Intake(size_t max) {
  try {
    Result<uint64_t> cursor = messages_.OutboxCursor();
    if (!cursor.ok()) return cursor.status();
    Result<std::vector<OutboxIntent>> intents = schedule_.OutboxAfter(*cursor, max);
    if (!intents.ok()) return intents.status();
    if (intents->empty()) return size_t{0};
    const Micros now = clock_.NowMicros();
    MessageBatch batch;
    // The whole step at once: the composer reads ahead and renders in parallel.
    Result<std::vector<Message>> made = composer_.ComposeMany(*intents, now);
    if (!made.ok()) return made.status();
    batch.put_messages = std::move(made).value();
    // A repeated intake (the cursor write was lost) finds its messages already there and
    // leaves them as they are, whatever happened to them since.
    std::vector<std::string> ids;
    ids.reserve(batch.put_messages.size());
    for (const Message& m : batch.put_messages) ids.push_back(m.id);
    std::lock_guard<std::mutex> lock(state_mu_);
    uncounted_.clear();  // left by a step that failed before its commit
    Result<std::vector<std::optional<Message>>> existing = messages_.GetMany(ids);
    if (!existing.ok()) return existing.status();
    std::vector<Message> fresh;
    fresh.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((*existing)[i]) continue;
      Message& m = batch.put_messages[i];
      if (m.status == MessageStatus::kQueued && options_.track != nullptr) {
        std::string reason;
        Result<bool> out = OptedOut(m, &reason);
        if (!out.ok()) return out.status();
        if (*out) {
          m.status = MessageStatus::kSuppressed;
          m.reason = std::move(reason);
        }
      }
      m.history.insert(m.history.begin(), MessageEvent{now, MessageStatus::kQueued, "", "", 0});
      if (m.status != MessageStatus::kQueued) {
        m.history.push_back(MessageEvent{now, m.status, m.reason, "", 0});
      }
      fresh.push_back(std::move(m));
    }
    batch.put_messages = std::move(fresh);
    for (Message& m : batch.put_messages) {
      if (m.status == MessageStatus::kQueued) continue;
      if (options_.status_callbacks) {
        MessageStatus status = m.status;
        m.history.pop_back();
        AddTransition(&m, status, m.reason, now, &batch);  // notes it for the counters too
      } else {
        NoteStatus(m, m.status, now);
      }
    }
    batch.outbox_cursor = intents->back().queue_seq;
    if (Status s = CommitAndCount(batch); !s.ok()) return s;
    std::lock_guard<std::mutex> stats_lock(stats_mu_);
    stats_.intents += intents->size();
    return intents->size();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("dispatch intake: ") + e.what());
  }
}

}  // namespace herald
