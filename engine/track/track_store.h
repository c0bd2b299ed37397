// TrackStore: what herald remembers about engagement (opens, clicks, unsubscribes, SMS
// keywords), the report counters kept from it, and recipients' preferences and opt-outs.
//
// Implemented by RocksTrackStore (engine/store/track_store_rocks.h) in its own RocksDB
// database (data/track). Who calls what:
// - the composer, when it creates a message: RegisterMessage (the link table from
//   RewriteEmail/RewriteSms, the report dimensions, the address for STOP attribution);
// - the dispatcher, on every status transition and receipt: RecordStatus;
// - the dispatcher, before sending: CheckSuppression (a suppressed message becomes
//   `suppressed` and is never sent);
// - the HTTP layer: RecordEngagement for GET /o/{token} (open), GET /c/{token} (click:
//   answers the stored destination), POST /u/{token} (one-click unsubscribe; a GET only
//   reads GetMessage for the page's locale), RecordSmsKeyword for POST /v1/inbound/sms,
//   Get/PutPreferences for /v1/recipients/{id}/preferences, Get/LiftAddressOptOut for
//   POST /v1/opt-outs/lookup and /v1/opt-outs/lift;
// - reports: Report (counters only, never raw events);
// - a retention job: Purge.
//
// Counters are attributed to the message's cohort hour: the UTC hour it was sent (or
// created, while it was never sent), so a report over a period answers "of the messages
// sent then, how many were opened", and rates never exceed 100%.
//
// Personal data: recipient ids, user agents, IP addresses and (hashed) addresses are kept
// only until Purge; counters, link tables and opt-outs are kept. Nothing here is logged.
//
// Thread safety: every method may be called from any thread; writes are serialised inside
// the store, so per-message unique counts are exact. "Not found" is an empty optional or
// `found == false`, never an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/dispatch/message.h"
#include "engine/track/classifier.h"
#include "engine/track/metrics.h"
#include "engine/track/sms_keywords.h"
#include "engine/track/tracking_token.h"

namespace herald {

struct TrackedMessage {
  std::string id;  // Message::id: 32 lowercase hex characters
  std::string campaign;
  std::string rule;
  std::string locale;  // the template locale rendered
  Channel channel = Channel::kEmail;
  std::string recipient_id;  // personal data: cleared by Purge
  // RegisterMessage only: the address or phone it goes to. Never stored as such: only its
  // keyed hash (HMAC with the store's secret), for SMS STOP attribution and address opt-outs;
  // cleared by Purge. Always empty when read back.
  std::string address;
  Micros case_event_at = 0;  // when the case event behind it occurred (0: unknown)
  Micros created_at = 0;
  std::vector<std::string> links;  // the link table (http/https only, at most kMaxLinks)
  // Kept by the store from RecordStatus; ignored by RegisterMessage.
  Micros sent_at = 0;
  Micros delivered_at = 0;

  bool operator==(const TrackedMessage&) const = default;
};

enum class EngagementKind : uint8_t { kOpen, kClick, kUnsubscribe, kSmsStop, kSmsStart };
std::string_view EngagementKindName(EngagementKind k);  // "open", "click", ...

struct EngagementInput {
  TokenKind kind = TokenKind::kOpen;  // from the route the token came in on
  std::string message_id;
  uint32_t link_index = 0;  // click
  Micros at = 0;            // the HTTP layer's clock
  std::string user_agent;   // personal data (with the IP it identifies a device)
  std::string ip;           // personal data
};

struct EngagementResult {
  // False: no such message, or no such link index: nothing was recorded; answer 404 (the
  // pixel route still answers its GIF). Never redirect anywhere else.
  bool found = false;
  std::string destination;  // click: the stored destination to redirect to
  bool machine = false;
  MachineReason reason = MachineReason::kNone;
  std::string locale;  // the message's, for the unsubscribe confirmation page
  Channel channel = Channel::kEmail;
  bool opted_out = false;  // unsubscribe: a recipient or address opt-out is now in place
};

// A raw event as stored (Events), until Purge.
struct EngagementRecord {
  EngagementKind kind = EngagementKind::kOpen;
  Micros at = 0;
  uint32_t link_index = 0;
  bool machine = false;
  MachineReason reason = MachineReason::kNone;
  std::string user_agent;
  std::string ip;

  bool operator==(const EngagementRecord&) const = default;
};

struct SmsKeywordInput {
  std::string phone;  // E.164, as the gateway reports the sender
  SmsKeyword keyword = SmsKeyword::kNone;
  Micros at = 0;
};

struct SmsKeywordResult {
  bool changed = false;  // an opt-out was added (STOP) or removed (START)
  // The last SMS message registered to that phone, which the counters are attributed to;
  // empty when none is known (the opt-out is still recorded for the number).
  std::string message_id;
  std::string locale;  // of that message, for the reply; empty when unknown
};

struct OptOut {
  Channel channel = Channel::kEmail;
  Micros at = 0;
  std::string by;      // "recipient", "sms:STOP", an API key id, ...
  std::string reason;  // "one-click unsubscribe", "case closed", ...

  bool operator==(const OptOut&) const = default;
};

struct RecipientPreferences {
  std::string recipient_id;
  std::vector<OptOut> opt_outs;   // at most one per channel
  std::vector<Channel> channels;  // preferred order; empty: not set
  std::string locale;             // BCP 47; empty: not set
  Micros updated_at = 0;
  std::string updated_by;

  bool operator==(const RecipientPreferences&) const = default;
};

struct Suppression {
  bool suppressed = false;
  std::string source;  // "recipient" or "address"
  OptOut opt_out;      // the opt-out that applies
};

enum class ReportGroup { kNone, kDay, kRule, kLocale, kChannel };

struct ReportQuery {
  std::string campaign;
  Micros from = 0;  // rounded down to the hour: cohort hours starting in [from, to)
  Micros to = 0;
  ReportGroup group = ReportGroup::kNone;
  // kDay: an IANA zone; each UTC hour belongs to the local day its start falls on, so a
  // day is exact for whole-hour offsets and off by the minutes of the offset otherwise
  // (India: 30 min, Nepal: 45 min).
  std::string timezone = "UTC";
};

struct ReportRow {
  std::string key;  // the day ("2026-01-31"), rule, locale or channel; "" for kNone
  Counters counters;
};

struct LinkClicks {
  std::string link;  // LinkKey(destination)
  int64_t human_clicks = 0;
  int64_t machine_clicks = 0;
};

struct ReasonCount {
  std::string status;  // "failed", "bounced", "suppressed", "cancelled"
  std::string reason;  // ReasonKey(reason)
  int64_t count = 0;
};

struct CampaignReport {
  std::vector<ReportRow> rows;  // ordered by key
  Counters total;
  std::vector<LinkClicks> links;     // whole campaign, by human clicks descending
  std::vector<ReasonCount> reasons;  // whole campaign, by status then reason
  uint64_t counter_rows_read = 0;    // for tests and /metrics: bounded by hours, not events
};

struct PurgeStats {
  uint64_t events_deleted = 0;
  uint64_t messages_scrubbed = 0;
};

class TrackStore {
 public:
  virtual ~TrackStore() = default;

  // Idempotent: a message already registered is left as it was (ids are deterministic, so
  // a repeated intake registers the same message). InvalidArgument for a malformed id, an
  // empty campaign, a link that is not IsTrackableUrl or more than kMaxLinks links.
  virtual Status RegisterMessage(const TrackedMessage& m) = 0;
  // The same for several messages in one durable write (an intake step registers hundreds:
  // one synced write instead of one each). All or nothing: any invalid message refuses the
  // whole call with the error RegisterMessage would give.
  virtual Status RegisterMessages(const std::vector<TrackedMessage>& messages) = 0;
  virtual Result<std::optional<TrackedMessage>> GetMessage(std::string_view id) = 0;

  // Counts `status` (sent, delivered, bounced, failed, suppressed, cancelled; queued and
  // sending are ignored) once per (message, status) whatever the number of calls.
  // `reason` should be a code ("permanent", "invalid_number"), not gateway text: it is
  // reduced by ReasonKey. NotFound for a message never registered.
  virtual Status RecordStatus(std::string_view message_id, MessageStatus status, Micros at,
                              std::string_view reason) = 0;
  // The same for several status changes in one durable write (the dispatcher's outcomes
  // of a round), applied in order. A message never registered is skipped (messages
  // composed before tracking was on); the other errors are RecordStatus's.
  struct StatusChange {
    std::string message_id;
    MessageStatus status = MessageStatus::kSent;
    Micros at = 0;
    std::string reason;
  };
  virtual Status RecordStatuses(const std::vector<StatusChange>& changes) = 0;

  // Records an open, click or unsubscribe of a token the caller decoded (TokenCodec), with
  // the classifier's verdict, and updates counters in the same write. Unsubscribe also opts
  // the recipient and the address out of the message's channel (a durable write).
  virtual Result<EngagementResult> RecordEngagement(const EngagementInput& in) = 0;
  // A message's raw events in time order (empty after Purge).
  virtual Result<std::vector<EngagementRecord>> Events(std::string_view message_id) = 0;

  // STOP: opts the number out of SMS (and the recipient of its last message); START: lifts
  // those opt-outs; HELP and kNone change nothing (the result still names the message).
  virtual Result<SmsKeywordResult> RecordSmsKeyword(const SmsKeywordInput& in) = 0;

  virtual Result<std::optional<RecipientPreferences>> GetPreferences(
      std::string_view recipient_id) = 0;
  // Replaces the recipient's preferences. InvalidArgument for an empty id or two opt-outs
  // of one channel.
  virtual Status PutPreferences(const RecipientPreferences& p) = 0;
  // Whether a message to `recipient_id` at `address` over `channel` must not be sent.
  // Either may be empty.
  virtual Result<Suppression> CheckSuppression(std::string_view recipient_id, Channel channel,
                                               std::string_view address) = 0;
  // The opt-out of `address` on `channel` (made by a one-click unsubscribe or STOP), found
  // by the address's keyed hash, as CheckSuppression finds it (an email address ignoring
  // ASCII case); empty when there is none. InvalidArgument for an empty address.
  virtual Result<std::optional<OptOut>> GetAddressOptOut(Channel channel,
                                                         std::string_view address) = 0;
  // Lifts that opt-out (a durable write): the address may be sent to again on `channel`,
  // unless the recipient is opted out too (their preferences: PutPreferences). Answers the
  // opt-out it lifted, or an empty optional when there was none (idempotent: nothing is
  // written). InvalidArgument for an empty address.
  virtual Result<std::optional<OptOut>> LiftAddressOptOut(Channel channel,
                                                          std::string_view address) = 0;

  // Counters of `q.campaign`, grouped. Reads O(hours x groups) counter rows, whatever the
  // number of events. InvalidArgument for an unknown time zone or to < from.
  virtual Result<CampaignReport> Report(const ReportQuery& q) = 0;

  // Deletes raw events with at < cutoff and clears the personal data (recipient id, address
  // hash) of messages created before cutoff, then compacts the ranges so the bytes leave the
  // disk. Counters, link tables and opt-outs stay.
  virtual Result<PurgeStats> Purge(Micros cutoff) = 0;
};

}  // namespace herald
