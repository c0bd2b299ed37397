// Dispatcher: moves messages from the schedule's outbox to the gateways and on to a final
// state.
//
//   Intake     outbox intents after the message store's cursor -> MessageComposer ->
//              messages (queued, or settled when they cannot be sent) + the cursor, in
//              one write. Ids are deterministic and intake skips ids already stored, so a
//              crash between the write and anything else never makes a message twice.
//   SendReady  one round: ready messages (queued, or sending whose lease ran out after a
//              crash) are claimed (status sending, attempt + 1, lease) in one write, sent
//              through their channel's connectors (failover: attempt n uses connector
//              (n - 1) mod the route's length) in parallel lanes up to each connector's
//              concurrency and rate limit, and their outcomes written in one more write.
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
#include "engine/dispatch/worker_pool.h"
#include "engine/schedule/schedule_store.h"

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
  uint64_t random_seed = 0;       // jitter; tests fix it
  size_t send_threads = 0;        // 0: send on the calling thread
  size_t messages_per_lane = 16;  // messages one connection sends in one round
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
};

class Dispatcher {
 public:
  Dispatcher(ScheduleStore& schedule, MessageStore& messages, MessageComposer& composer,
             const Clock& clock, DispatcherOptions options);

  // Takes up to `max` intents in. Returns how many.
  Result<size_t> Intake(size_t max);
  // One sending round over up to `max` ready messages. Returns how many it sent or
  // settled (0: nothing was ready, or every ready message waits for a rate token).
  Result<size_t> SendReady(size_t max);
  // The earliest instant SendReady has work (a ready message or a rate token for one);
  // nullopt when the ready queue is empty.
  Result<std::optional<Micros>> NextWakeAt();

  // Applies a receipt. *found is false for an unknown message (the caller answers 200
  // and ignores it). A receipt for a settled message, or a repeated one, changes nothing.
  Status ApplyReceipt(const Receipt& receipt, bool* found);

  DispatchStats stats() const;

 private:
  struct Lane;
  const std::vector<std::string>& RouteFor(Channel c) const;
  void AddTransition(Message* m, MessageStatus to, const std::string& detail, Micros now,
                     MessageBatch* batch);
  OutboundMessage ToOutbound(const Message& m, const std::string& connector) const;

  ScheduleStore& schedule_;
  MessageStore& messages_;
  MessageComposer& composer_;
  const Clock& clock_;
  DispatcherOptions options_;
  std::vector<std::string> email_route_;
  std::vector<std::string> sms_route_;
  std::map<std::string, TokenBucket> buckets_;  // driving thread only
  std::mt19937_64 random_;                      // driving thread only
  std::unique_ptr<WorkerPool> pool_;
  std::mutex state_mu_;  // orders read-modify-write of messages (SendReady vs receipts)
  mutable std::mutex stats_mu_;
  DispatchStats stats_;
};

}  // namespace herald
