// Message: one email or SMS to one recipient, from the moment dispatch takes its intent
// out of the outbox to a final state.
//
// An outbox intent (engine/schedule/schedule_store.h) names a template and the channels
// chosen when its timer fired; dispatch makes one Message per channel, renders it once
// (so every retry sends the same bytes and the same Message-ID), and moves it through
//
//   queued -> sending -> sent -> delivered | bounced
//      ^         |
//      +---------+  (a temporary failure: queued again with a later next_attempt_at)
//
// or to failed (permanent, or technical once attempts or age run out), suppressed (the
// recipient opted out, has no usable channel, or the gateway says so) or cancelled.
// `queued` and `sending` are the only states that change on their own; the rest are
// final except sent, which a receipt moves to delivered or bounced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

enum class MessageStatus {
  kQueued,
  kSending,
  kSent,
  kDelivered,
  kBounced,
  kFailed,
  kSuppressed,
  kCancelled,
};

std::string_view MessageStatusName(MessageStatus s);  // "queued", "sending", ...
std::optional<MessageStatus> MessageStatusFromName(std::string_view name);
// True for states nothing but a receipt moves on from (sent) or nothing at all moves on
// from (delivered, bounced, failed, suppressed, cancelled).
bool IsSettled(MessageStatus s);

// One step of a message's history, for GET /v1/messages/{id} and status callbacks.
struct MessageEvent {
  Micros at = 0;
  MessageStatus status = MessageStatus::kQueued;
  std::string detail;     // why, for people: "smtp 451 try later", "retry 2 at ..."
  std::string connector;  // the connector involved, if any
  int attempt = 0;        // the attempt it belongs to (0: none yet)

  bool operator==(const MessageEvent&) const = default;
};

// {"at": micros, "status", "detail"?, "connector"?, "attempt"?}
nlohmann::json MessageEventToJson(const MessageEvent& e);

struct Message {
  // Opaque: 32 lowercase hex characters (128 bits), keyed from the intent key and channel
  // with the store's secret, so the same occurrence always gets the same id (intake is
  // idempotent) and nobody can derive one from a case id.
  std::string id;
  std::string intent_key;  // OutboxKey(plan, occurrence)
  PlanKey plan;
  int occurrence = 1;
  std::string recipient_id;
  std::string template_id;
  std::string locale;  // the template's locale actually rendered
  Channel channel = Channel::kEmail;
  std::string to;  // address or phone as rendered (personal data: retention purges it)

  MessageStatus status = MessageStatus::kQueued;
  std::string failure;  // when failed: "permanent", "temporary" or "technical"
  std::string reason;   // why it is failed, suppressed, cancelled or bounced
  int attempts = 0;     // connector calls started
  Micros due = 0;       // the occurrence's nominal time (from the intent)
  Micros created_at = 0;
  Micros next_attempt_at = 0;  // queued: when to try; sending: when the lease runs out
  Micros updated_at = 0;
  Micros sent_at = 0;       // when a gateway accepted it (0: not yet)
  std::string connector;    // the connector that took it, or tried last
  std::string provider_id;  // the gateway's id once accepted

  // The rendering, fixed at intake (personal data: retention purges it).
  std::string subject;       // email
  std::string mime;          // email: the complete RFC 5322 message
  std::string text;          // email: its plain-text part, as rendered (for previews)
  std::string sms_text;      // sms
  std::string sms_encoding;  // "GSM-7" or "UCS-2"
  int sms_segments = 0;

  std::vector<MessageEvent> history;

  bool operator==(const Message&) const = default;
};

// A message's rendering (the fields of Message under "The rendering"), fixed at intake.
// The message store keeps it apart from the state, which changes at every attempt, so
// claims and outcomes neither rewrite nor re-read it.
struct MessageBody {
  std::string subject;
  std::string mime;
  std::string text;
  std::string sms_text;
  std::string sms_encoding;
  int sms_segments = 0;

  bool operator==(const MessageBody&) const = default;
};

// The rendering of `m`, copied.
MessageBody BodyOf(const Message& m);
// Sets the rendering fields of `*m` to `body`.
void SetBody(Message* m, MessageBody body);
// Clears the rendering fields of `*m` (a state-only copy).
void ClearBody(Message* m);

}  // namespace herald
