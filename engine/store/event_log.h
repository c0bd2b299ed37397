// The durable case-event log and the views derived from it.
//
// The log is the system of record: ingest appends to it; everything downstream (the rule
// engine, reports) reads it through a persisted cursor and never gets called by ingest.
// These are interfaces so that a cluster mode can put the log on a distributed engine;
// RocksStore (rocks_store.h) is the embedded implementation.
//
// Thread safety: every method may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/core/status.h"

namespace herald {

// The outcome for one event of an Append.
struct AppendOutcome {
  enum class Kind {
    kAccepted,   // newly written; seq is its new sequence number
    kDuplicate,  // same id and same content seen before; seq is the original's
    kConflict,   // same id, different content; seq is the original's (0 when the original
                 // is an earlier event of the same, refused, batch); nothing written
    kNotWritten  // the batch was refused because another event in it conflicted (this
                 // includes events that would otherwise be duplicates); seq is 0
  };
  Kind kind = Kind::kAccepted;
  uint64_t seq = 0;
};

std::string_view AppendOutcomeName(AppendOutcome::Kind kind);  // "accepted", ...

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends `events`, posted with API key `key_id`, as one atomic batch and returns one
  // outcome per event, in order. Returns only once the batch is durable (WAL synced);
  // concurrent callers share one synced write (group commit).
  //
  // Idempotency is per (key_id, event.id): an id seen before with the same content
  // (EventFingerprint) is a duplicate and is not written again; with different content it
  // is a conflict. If any event conflicts, nothing of the batch is written: the
  // conflicting events are marked kConflict and the rest kNotWritten. Two events with the
  // same id inside one batch follow the same rules (the second is a duplicate or
  // conflict of the first).
  //
  // Accepted events update the case state (data merged as RFC 7396 JSON Merge Patch, in
  // sequence order), the case's recipient (MergeRecipient) and the case history.
  //
  // Concurrent batches are independent: a conflict in one never refuses another.
  //
  // Errors: Unavailable when storage cannot take writes (disk full, read-only, closing):
  // then nothing was acknowledged, and retrying the same batch later is safe. Usually
  // nothing was written either; but a batch whose WAL append went through and whose fsync
  // failed can come back when the database is reopened (after the fault, or a restart),
  // and its retry then answers duplicates with the seqs it got. The events must already
  // be validated by the caller; an event the store cannot encode (e.g. a string that is
  // not UTF-8) fails its batch with InvalidArgument. An empty batch returns an empty
  // vector.
  virtual Result<std::vector<AppendOutcome>> Append(std::string_view key_id,
                                                    const std::vector<Event>& events) = 0;

  // Up to `limit` events with seq > after, in order. An empty vector at the end.
  virtual Result<std::vector<StoredEvent>> ReadAfter(uint64_t after, size_t limit) = 0;

  // The highest sequence number written so far (0 for an empty log).
  virtual uint64_t LastSequence() const = 0;
};

// The state of one case, folded from its events.
struct CaseRecord {
  std::string case_id;
  nlohmann::json state = nlohmann::json::object();  // merged `data`
  std::optional<Recipient> recipient;
  uint64_t last_seq = 0;     // seq of the latest event applied
  uint64_t event_count = 0;  // events applied
  Micros created_at = 0;     // received_at of the first event
  Micros updated_at = 0;     // received_at of the latest event
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;
  // NotFound when no event for the case was ever accepted.
  virtual Result<CaseRecord> GetCase(std::string_view case_id) = 0;
  // Up to `limit` of the case's events with seq > after, oldest first.
  virtual Result<std::vector<StoredEvent>> CaseHistory(std::string_view case_id, uint64_t after,
                                                       size_t limit) = 0;
  // A recipient by id; recipients given without an id are stored under their case id
  // (or under the id the case's recipient already has). Each record is the
  // MergeRecipient fold of every update addressed to it, across cases; a CaseRecord's
  // recipient is the fold of that case's own events. NotFound when unknown.
  virtual Result<Recipient> GetRecipient(std::string_view recipient_id) = 0;
};

// Named, persisted positions in the log for its consumers (the rule engine, reports).
class CursorStore {
 public:
  virtual ~CursorStore() = default;
  // The last seq the consumer finished; 0 when it never saved one.
  virtual Result<uint64_t> LoadCursor(std::string_view consumer) = 0;
  // Durably records that `consumer` finished everything up to and including `seq`.
  virtual Status SaveCursor(std::string_view consumer, uint64_t seq) = 0;
};

// Storage health and size, for /readyz and /metrics.
struct StoreStats {
  uint64_t last_seq = 0;
  uint64_t live_data_bytes = 0;  // estimate of the database's size on disk
  bool writable = true;          // false after a background error (disk full, read-only)
};

}  // namespace herald
