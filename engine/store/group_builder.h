// Building Append requests into the writes of one group commit.
//
// Internal to engine/store; kept apart from RocksDB so the idempotency and merge rules
// are plain logic. The group-commit leader is the one serial section of ingest, so the
// work is split to leave it as little as possible; the rest runs on the request threads,
// in parallel, before they join the writer queue:
//
// 1. PrepareEvents (request thread): per event the idempotency key, the fingerprint and
//    the encoded `events` value, `case_events` key and `idempotency` value, with the
//    sequence number and receive time left blank.
// 2. The request thread notes the generation (one per group commit) published so far,
//    then reads the committed records the request needs into its PreparedRequest
//    (RocksStore prefetches them with MultiGet) and runs BuildRequest against them:
//    outcomes, final case and recipient records (encoded), sequence numbers relative to
//    the request's first accepted event, and the hash of every key it read.
// 3. GroupBuilder::AddRequest (leader, serial). If RecentWrites says no key the request
//    read was written after its snapshot — by an earlier group or by an earlier request
//    of this group, whose keys are marked as they are added — the values it read are
//    still the committed ones, so its build is what building now would give: the leader
//    only assigns the sequence numbers, fills in the blanks and emits the writes.
//    Otherwise it runs BuildRequest again against the current state: this group's
//    earlier requests first, then the prefetched values of keys nothing wrote since the
//    snapshot, then fresh reads.
//
// Requests are applied in queue order and each sees the effects of the requests before
// it. A request is all or nothing: a refused (conflicting) or failed request emits no
// writes and marks no keys, so it leaves no trace.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/store/event_log.h"
#include "engine/store/keys.h"
#include "engine/store/recent_writes.h"
#include "engine/store/records.h"

namespace herald {

// The state a build reads: committed records, or those plus a group's pending ones.
// Find returns the encoded value of `key` in `column` (kIdempotency, kCases or
// kRecipients; records.h), nullopt when the key is absent, an error only when the read
// failed. `hash` is KeyHash(column, key). The view stays valid while the StateView lives.
class StateView {
 public:
  virtual ~StateView() = default;
  virtual Result<std::optional<std::string_view>> Find(StoreColumn column, std::string_view key,
                                                       uint64_t hash) = 0;
};

// Receives a group's writes, in the order they must be applied (a later put of the same
// key wins).
class WriteSink {
 public:
  virtual ~WriteSink() = default;
  virtual void Put(StoreColumn column, std::string_view key, std::string_view value) = 0;
};

// What one event contributes, independent of sequence numbers and state.
struct PreparedEvent {
  const Event* event = nullptr;
  uint64_t idem_hash = 0;  // KeyHash of idem_key()
  // The event's byte strings in one allocation, in this order: the `events` value, the
  // `case_events` key, the `idempotency` value and the idempotency key. Stamp fills in
  // the seq and receive time the request thread left blank.
  std::string bytes;
  uint32_t case_event_key_at = 0, idem_value_at = 0, idem_key_at = 0;

  std::string_view value() const { return View(0, case_event_key_at); }
  std::string_view case_event_key() const { return View(case_event_key_at, idem_value_at); }
  std::string_view idem_value() const { return View(idem_value_at, idem_key_at); }
  std::string_view idem_key() const { return View(idem_key_at, bytes.size()); }
  std::string_view fingerprint() const { return idem_value().substr(kIdempotencySeqOffset + 8); }
  void Stamp(uint64_t seq, Micros received_at);

 private:
  std::string_view View(size_t from, size_t to) const {
    return std::string_view(bytes).substr(from, to - from);
  }
};

// One PreparedEvent per event; `events` must outlive `out`. Throws
// nlohmann::json::exception for an event that cannot be encoded (a string that is not
// UTF-8).
void PrepareEvents(std::string_view key_id, const std::vector<Event>& events,
                   std::vector<PreparedEvent>* out);

// One request built against some state, before the leader numbers it.
struct RequestBuild {
  struct CaseOut {
    std::string_view case_id;  // points into the request's events
    uint64_t hash = 0;
    // The final record; last_seq is relative (the leader stamps the absolute one) and
    // `state` is left empty here: the CBOR state is in `state` below.
    CaseFields fields;
    std::string state;
    bool created = false;  // the case had no events before this request
    std::string value;     // the encoded record; stamps filled in by the leader
  };
  struct RecipientOut {
    std::string key;
    uint64_t hash = 0;
    RecipientFields fields;
    std::string value;  // the encoded record
  };
  // One per event. The seqs of the outcomes listed in `relative` count from the request's
  // first accepted event (0); the leader adds that event's seq. The others are final.
  std::vector<AppendOutcome> outcomes;
  std::vector<uint32_t> relative;
  bool refused = false;                  // a conflict: nothing of the request is written
  std::vector<uint32_t> accepted;        // indexes of the events written, in seq order
  std::vector<CaseOut> cases;            // every case they change
  std::vector<RecipientOut> recipients;  // every recipient record they change
  std::vector<uint64_t> reads;           // KeyHash of every key read from the StateView
};

// Builds a request's prepared events against `state` (replacing *out). Errors: the
// StateView's read errors; Corruption for a record that cannot be decoded;
// InvalidArgument when a record cannot be encoded. The records' views point into `state`
// and the events, so only `value`s may be used once `state` is gone.
Status BuildRequest(StateView& state, const std::vector<PreparedEvent>& events, RequestBuild* out);

// Transparent hashing, so maps keyed by std::string can be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Everything a request thread hands the leader. Not copyable: views point into it.
struct PreparedRequest {
  PreparedRequest() = default;
  PreparedRequest(const PreparedRequest&) = delete;
  PreparedRequest& operator=(const PreparedRequest&) = delete;

  std::vector<PreparedEvent> events;
  // The generation published before any value below was read: each of them is the
  // committed value as of some generation >= snapshot_gen.
  uint64_t snapshot_gen = 0;
  // Committed encoded values read for the request, by key (nullopt: absent). The
  // idempotency and case maps' keys point into `events`.
  std::unordered_map<std::string_view, std::optional<std::string>> idempotency, cases;
  std::unordered_map<std::string, std::optional<std::string>, StringHash, std::equal_to<>>
      recipients;
  RequestBuild build;  // against the values above
};

// The recipient keys a build of `request` will read, given its prefetched `cases`
// (recipients named by id, else by the case's recipient id, else by the case id).
std::vector<std::string> RecipientKeysToRead(const PreparedRequest& request);

// A request's prefetched values, falling back to `fallback` for keys it did not read
// (which must then be read after snapshot_gen was noted, for the values to be valid).
class PrefetchedState final : public StateView {
 public:
  PrefetchedState(const PreparedRequest& request, StateView& fallback)
      : request_(request), fallback_(fallback) {}
  Result<std::optional<std::string_view>> Find(StoreColumn column, std::string_view key,
                                               uint64_t hash) override;

 private:
  const PreparedRequest& request_;
  StateView& fallback_;
};

// The leader's side: numbers and emits one group's requests.
// Not thread-safe: one leader owns a builder for the life of one group.
class GroupBuilder {
 public:
  // `fresh` reads the committed state (exact: only the leader writes); `recent` is the
  // leader's RecentWrites, into which this group's keys are marked with `gen` (greater
  // than every generation published so far); `sink` receives the writes. All must outlive
  // the builder. Accepted events get seqs first_seq, +1, ... and `received_at`.
  GroupBuilder(StateView& fresh, RecentWrites& recent, uint64_t gen, uint64_t first_seq,
               Micros received_at, WriteSink& sink);

  // Adds a request whose BuildRequest on its request thread succeeded; returns its
  // outcomes or the error that failed it (then it emitted nothing). `request` must stay
  // alive and unmoved while the builder lives (its records back later requests' reads).
  Result<std::vector<AppendOutcome>> AddRequest(PreparedRequest& request);

  // Events accepted so far across all requests of the group.
  uint64_t accepted() const { return next_seq_ - first_seq_; }
  // Requests whose build was stale and was redone here.
  uint64_t rebuilt() const { return rebuilt_; }

 private:
  class Current;

  std::vector<AppendOutcome> Commit(PreparedRequest& request);
  void AddToOverlay(const PreparedRequest& request);

  StateView& fresh_;
  RecentWrites& recent_;
  const uint64_t gen_;
  const uint64_t first_seq_;
  uint64_t next_seq_;
  const Micros received_at_;
  WriteSink& sink_;
  uint64_t rebuilt_ = 0;

  std::vector<const PreparedRequest*> committed_;  // this group's, in order
  // The records this group's requests wrote, by key: built only once a rebuild needs them
  // (most groups never do), then kept up to date.
  bool overlay_built_ = false;
  // Encoded values by key, one map per column (idempotency, cases, recipients).
  std::unordered_map<std::string_view, std::string_view> pending_[3];
};

}  // namespace herald
