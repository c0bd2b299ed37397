// GroupBuilder: turns one write group (the Append requests a group-commit leader took
// off the queue) into the key/value writes of a single atomic batch.
//
// Internal to engine/store; kept apart from RocksDB so the idempotency and merge rules
// are plain logic. Requests are applied in queue order and each sees the effects of the
// requests before it in the group (pending idempotency entries, case records and
// recipients live in an overlay over the committed state). A request is all or nothing:
// it is built in its own layer and folded into the group only when none of its events
// conflicted and nothing failed, so a refused request leaves no trace.
//
// Not thread-safe: one leader owns a builder for the life of one group.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/store/event_log.h"
#include "engine/store/records.h"

namespace herald {

// Read access to what earlier groups committed. Each lookup returns nullopt when the
// key is absent and an error Status only when the read itself failed.
class CommittedState {
 public:
  virtual ~CommittedState() = default;
  virtual Result<std::optional<IdempotencyEntry>> FindIdempotency(const std::string& key) = 0;
  virtual Result<std::optional<CaseRecord>> FindCase(const std::string& case_id) = 0;
  virtual Result<std::optional<Recipient>> FindRecipient(const std::string& key) = 0;
};

enum class StoreColumn { kEvents, kCases, kCaseEvents, kRecipients, kIdempotency, kMeta };

struct PendingWrite {
  StoreColumn column;
  std::string key;
  std::string value;
};

class GroupBuilder {
 public:
  // `committed` must outlive the builder. Accepted events get seqs first_seq, +1, ...
  // and `received_at` as their receive time.
  GroupBuilder(CommittedState& committed, uint64_t first_seq, Micros received_at);

  // Adds one Append request. Returns its outcomes (one per event, in order) or the error
  // that made the whole request fail (a read error, an event that cannot be encoded); in
  // both cases a request with no kAccepted outcome contributes no writes.
  Result<std::vector<AppendOutcome>> AddRequest(std::string_view key_id,
                                                const std::vector<Event>& events);

  // Events accepted so far across all requests of the group.
  uint64_t accepted() const { return next_seq_ - first_seq_; }

  // All writes of the group. Call once, after the last AddRequest.
  std::vector<PendingWrite> TakeWrites();

 private:
  // One layer of pending state: the group's, or the request's being built on top of it.
  struct Layer {
    std::map<std::string, IdempotencyEntry> idempotency;
    std::map<std::string, CaseRecord> cases;
    std::map<std::string, Recipient> recipients;
    std::vector<PendingWrite> appends;  // events, case_events and idempotency puts
  };
  struct Found {
    IdempotencyEntry entry;
    bool in_request = false;  // the original is an earlier event of the same request
  };

  Result<std::vector<AppendOutcome>> BuildRequest(std::string_view key_id,
                                                  const std::vector<Event>& events, Layer& request,
                                                  uint64_t& next_seq);
  Result<std::optional<Found>> FindIdempotency(const Layer& request, const std::string& key);
  Result<CaseRecord*> LoadCase(Layer& request, const std::string& case_id);
  Result<Recipient*> LoadRecipient(Layer& request, const std::string& key);
  void Fold(Layer&& request);

  CommittedState& committed_;
  const uint64_t first_seq_;
  uint64_t next_seq_;
  const Micros received_at_;
  Layer group_;
};

}  // namespace herald
