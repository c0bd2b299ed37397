// MessageStore: durable state of dispatch (messages, the queue of messages to try, the
// gateway-id index for receipts, outgoing status callbacks, the outbox cursor).
//
// It is a store of its own (RocksMessageStore in engine/store, in data/messages) next to
// the schedule store: dispatch reads intents from the schedule store's outbox and records
// how far it got here, in the same atomic write as the messages it made, so intake after a
// crash resumes exactly where it stopped (and message ids are deterministic, so even a
// repeated intake writes the same messages).
//
// A message is kept in two parts: its state (status, attempts, times, history: everything
// but the rendering), rewritten at every status change, and its rendering (MessageBody),
// written once when the message is put whole and never rewritten by state puts, so an
// attempt costs a write of a few hundred bytes, not of the whole ~8 KB email. Sending reads
// states first (ReadyStates) and bodies only for the messages it claims (GetBodies).
//
// Invariants the store keeps itself, so callers cannot break them:
// - the ready queue holds exactly the messages whose status is queued or sending, keyed by
//   (next_attempt_at, id): putting a message moves, adds or removes its entry;
// - every (connector, provider_id) a message ever had points back to it;
// - every message is listed under its case.
//
// Thread safety: every method may be called from any thread; Commit calls are
// serialised. "Not found" is an empty optional, never an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/dispatch/message.h"

namespace herald {

// A status change to announce to the case system's callback URL.
struct StatusCallback {
  uint64_t seq = 0;  // assigned by Commit, dense from 1
  Micros next_attempt_at = 0;
  int attempts = 0;
  nlohmann::json body;  // what is posted

  bool operator==(const StatusCallback&) const = default;
};

struct MessageBatch {
  // The full message (state and rendering): insert or replace by id.
  std::vector<Message> put_messages;
  // The state only of a message already stored (or put whole earlier in this batch): its
  // rendering fields are ignored and the stored rendering kept. Applied after
  // put_messages; InvalidArgument, and nothing written, for an id stored nowhere.
  std::vector<Message> put_states;
  std::vector<StatusCallback> add_callbacks;  // seq assigned by Commit
  std::vector<StatusCallback> put_callbacks;  // by seq: rescheduled after a failed post
  std::vector<uint64_t> remove_callbacks;     // delivered or given up
  std::optional<uint64_t> outbox_cursor;      // the last intent queue_seq taken in

  bool empty() const {
    return put_messages.empty() && put_states.empty() && add_callbacks.empty() &&
           put_callbacks.empty() && remove_callbacks.empty() && !outbox_cursor;
  }
};

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // 32 random bytes made when the store was created and kept with it: the key of message
  // ids (and later of tracking tokens). Never logged.
  virtual const std::string& Secret() const = 0;

  // The queue_seq of the last outbox intent taken in (0 at first).
  virtual Result<uint64_t> OutboxCursor() = 0;

  // The complete message (state and rendering).
  virtual Result<std::optional<Message>> Get(std::string_view id) = 0;
  // Several at once, in the order asked (empty optional where absent).
  virtual Result<std::vector<std::optional<Message>>> GetMany(
      const std::vector<std::string>& ids) = 0;
  // As GetMany, but the state only: the rendering fields are left empty.
  virtual Result<std::vector<std::optional<Message>>> GetStates(
      const std::vector<std::string>& ids) = 0;
  // The renderings of messages, in the order asked (empty optional where absent).
  virtual Result<std::vector<std::optional<MessageBody>>> GetBodies(
      const std::vector<std::string>& ids) = 0;
  // The message a gateway knows as `provider_id`.
  virtual Result<std::optional<Message>> FindByProvider(std::string_view connector,
                                                        std::string_view provider_id) = 0;
  // Ids of a case's messages, in id order.
  virtual Result<std::vector<std::string>> MessagesForCase(std::string_view case_id) = 0;

  // The states (rendering fields empty) of up to `limit` queued or sending messages with
  // next_attempt_at <= now, earliest first.
  virtual Result<std::vector<Message>> ReadyStates(Micros now, size_t limit) = 0;
  // The earliest next_attempt_at in the ready queue.
  virtual Result<std::optional<Micros>> NextReady() = 0;
  virtual Result<size_t> ReadyCount() = 0;

  // Up to `limit` callbacks with next_attempt_at <= now, oldest seq first.
  virtual Result<std::vector<StatusCallback>> DueCallbacks(Micros now, size_t limit) = 0;

  // Applies `batch` atomically and durably. Unavailable when storage cannot take writes;
  // then nothing was applied.
  virtual Status Commit(const MessageBatch& batch) = 0;
};

}  // namespace herald
