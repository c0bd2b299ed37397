// Dispatcher: moves messages from the schedule's outbox to the gateways and on to a final
// state.
//
//   Intake     outbox intents after the message store's cursor -> MessageComposer ->
//              messages (queued, or settled when they cannot be sent) + the cursor, in
//              one write. Ids are deterministic and intake skips ids already stored, so a
//              crash between the write and anything else never makes a message twice.
//   SendReady  up to `max` ready messages (queued, or sending whose lease ran out after a
//              crash) are claimed (status sending, attempt + 1, lease) and sent through
//              their channel's connectors (failover: attempt n uses connector (n - 1) mod
//              the route's length) within each connector's rate limit, on its lanes
//              (SendLanes: one per connection, each taking the next claimed message as
//              soon as it is done). The driving thread keeps each connector at most
//              max_concurrency x messages_per_lane messages ahead: as outcomes come back
//              it writes them together with the next claims in one write, so connections
//              stay busy while the store works. A claim is written before its message is
//              handed to a lane; a message is claimed at most once per call. Only the
//              small state is read and rewritten; the rendering is read once per attempt.
//              A candidate whose plan was cancelled (the case no longer waits) becomes
//              cancelled with the plan's reason instead of being claimed.
//   Receipts   ApplyReceipt moves sent messages to delivered or bounced.
//
// Sending is at least once: a message whose gateway accepted it but whose outcome was
// not yet written when the process died is sent again after its lease (the file
// connector and gateways that honour the id deduplicate it; SMTP and SMS cannot).
//
// Every status change after claiming adds a StatusCallback (when callbacks are on) in the
// same write. Thread safety: Intake and SendReady are called from one driving thread;
// ApplyReceipt and Get from any thread (an internal mutex orders each read-modify-write
// of messages). Nothing is logged that names a recipient or holds a body.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/dispatch/composer.h"
#include "engine/dispatch/delivery_policy.h"
#include "engine/dispatch/message_store.h"
#include "engine/dispatch/send_lanes.h"
#include "engine/schedule/schedule_store.h"
#include "engine/track/track_store.h"

namespace herald {

struct DispatcherOptions {
  DeliveryConfig delivery;
  // Connectors by name (not owned; they outlive the dispatcher) with their rate limits.
  struct ConnectorEntry {
    Connector* connector = nullptr;
    double rate_per_second = 0;
    uint32_t burst = 1;
  };
  std::map<std::string, ConnectorEntry> connectors;
  // Routes, in failover order; empty in DeliveryConfig: every connector carrying the
  // channel, in name order.
  std::vector<std::string> email_route;
  std::vector<std::string> sms_route;
  std::string public_url;         // for StatusCallback URLs of SMS receipts
  bool status_callbacks = false;  // add a StatusCallback for every status change
  // Engagement (optional, not owned). With it: a message whose recipient or address opted
  // out of its channel (TrackStore::CheckSuppression) is `suppressed` at intake or, when
  // the opt-out came while it waited, at claim time, and never sent; and every status
  // change is counted there (TrackStore::RecordStatuses, one write after each message
  // store commit: a crash between the two can lose a few counts, never a message).
  TrackStore* track = nullptr;
  uint64_t random_seed = 0;  // jitter; tests fix it
  // 0: send on the calling thread, in claim order (tests). Otherwise every connector gets
  // min(its max_concurrency, send_threads) lane threads.
  size_t send_threads = 0;
  // Claimed and not yet settled, per connection: a connector has at most max_concurrency
  // x messages_per_lane messages in flight. A claimed message waits behind about this
  // many sends of its connection, and its lease runs meanwhile: keep it small.
  size_t messages_per_lane = 16;
  // SendReady stops claiming once it has run this long (clock time) and returns when what
  // it claimed is settled, so a long queue or a slow gateway never holds back intake and
  // status callbacks for long. 0: only `max` bounds a call.
  Micros send_call_us = 1'000'000;
};

// A delivery receipt from a gateway, already parsed (engine/api parses the HTTP forms).
struct Receipt {
  std::string connector;    // from the URL
  std::string message_id;   // ours when the gateway echoes it (our callback URL has it)
  std::string provider_id;  // the gateway's id
  // "delivered", "bounced", "failed" (a permanent failure after acceptance),
  // "complained" or "suppressed" (the recipient opted out at the gateway). Anything else
  // (queued, sent, sending) is progress the store does not keep.
  std::string status;
  std::string code;
  std::string reason;
};

struct DispatchStats {
  size_t intents = 0;  // taken in
  size_t sends = 0;    // connector calls
  size_t accepted = 0;
  size_t retried = 0;
  size_t failed = 0;
  size_t suppressed = 0;
  size_t cancelled = 0;  // their plan was cancelled while they waited
};

class Dispatcher {
 public:
  Dispatcher(ScheduleStore& schedule, MessageStore& messages, MessageComposer& composer,
             const Clock& clock, DispatcherOptions options);

  // Takes up to `max` intents in. Returns how many.
  Result<size_t> Intake(size_t max);
  // Sends or settles up to `max` ready messages (fewer once options.send_call_us has
  // passed) and returns when every message it claimed has its outcome written. Returns how many it
  // sent or settled (0: nothing was ready, or every ready message waits for a rate token). On an
  // error, messages already claimed stay `sending` and are sent again after their lease.
  Result<size_t> SendReady(size_t max);
  // The earliest instant SendReady has work (a ready message or a rate token for one);
  // nullopt when the ready queue is empty.
  Result<std::optional<Micros>> NextWakeAt();

  // Applies a receipt. *found is false for an unknown message (the caller answers 200
  // and ignores it). A receipt for a settled message, or a repeated one, changes nothing.
  Status ApplyReceipt(const Receipt& receipt, bool* found);

  DispatchStats stats() const;

 private:
  struct SendCall;
  const std::vector<std::string>& RouteFor(Channel c) const;
  void AddTransition(Message* m, MessageStatus to, const std::string& detail, Micros now,
                     MessageBatch* batch);
  OutboundMessage ToOutbound(const Message& state, MessageBody body,
                             const std::string& connector) const;
  // SendReady's steps: the loop; a claim of up to `limit` ready messages (returns how
  // many it claimed or settled); recording finished sends; handing claims to the lanes.
  Result<size_t> SendLoop(SendCall& call, size_t max);
  size_t FreeCapacity(const SendCall& call) const;
  Result<size_t> Claim(SendCall& call, size_t limit, Micros now, MessageBatch* batch,
                       std::vector<size_t>* jobs, DispatchStats* delta);
  Status RecordOutcomes(SendCall& call, const std::vector<SendLanes::Done>& done,
                        MessageBatch* batch, DispatchStats* delta);
  Status SubmitClaimed(SendCall& call, const std::vector<size_t>& jobs);
  void AddStats(const DispatchStats& delta);
  // Engagement: whether `m` must not be sent (opted out), with the reason; the changes
  // noted since the last commit are counted after it (state_mu_ held for both).
  Result<bool> OptedOut(const Message& m, std::string* reason);
  void NoteStatus(const Message& m, MessageStatus to, Micros at);
  Status CommitAndCount(const MessageBatch& batch);

  ScheduleStore& schedule_;
  MessageStore& messages_;
  MessageComposer& composer_;
  const Clock& clock_;
  DispatcherOptions options_;
  std::vector<std::string> email_route_;
  std::vector<std::string> sms_route_;
  std::map<std::string, TokenBucket> buckets_;  // driving thread only
  std::map<std::string, size_t> capacity_;      // messages in flight at most, per connector
  std::mt19937_64 random_;                      // driving thread only
  std::unique_ptr<SendLanes> lanes_;            // driving thread only
  // Orders each read-modify-write of message states (claims and outcomes vs receipts).
  std::mutex state_mu_;
  std::vector<TrackStore::StatusChange> uncounted_;  // guarded by state_mu_
  mutable std::mutex stats_mu_;
  DispatchStats stats_;
};

}  // namespace herald
