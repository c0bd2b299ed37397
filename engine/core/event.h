// The case event: what case systems post and what the log stores.
//
// An Event is validated input (see engine/api/event_parser.h for the rules); a
// StoredEvent is an Event after the log accepted it and gave it a sequence number.
// Both are plain values, safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"

namespace herald {

enum class Channel { kEmail, kSms };

std::string_view ChannelName(Channel c);  // "email" / "sms"
std::optional<Channel> ChannelFromName(std::string_view name);

// Who a case's messages go to. Every field is optional in an event: a later event
// updates only the fields it names (see MergeRecipient).
struct Recipient {
  std::string id;  // empty: the case's own recipient (stored under the case id)
  std::optional<std::string> email;
  std::optional<std::string> phone;              // E.164, e.g. +14155550100
  std::optional<std::string> locale;             // BCP 47, e.g. es-MX
  std::optional<std::string> timezone;           // IANA, e.g. America/New_York
  std::optional<std::vector<Channel>> channels;  // preference order

  bool operator==(const Recipient&) const = default;
};

struct Event {
  std::string id;  // idempotency key, unique per API key
  std::string case_id;
  std::string type;         // e.g. case.status_changed
  std::string occurred_at;  // RFC 3339 as the client sent it
  Micros occurred_at_us = 0;
  nlohmann::json data;  // a JSON object (merge patch), or null when absent
  std::optional<Recipient> recipient;

  bool operator==(const Event&) const = default;
};

struct StoredEvent {
  uint64_t seq = 0;        // position in the log, from 1, dense and increasing
  std::string key_id;      // the API key that posted it
  Micros received_at = 0;  // engine clock when the batch was accepted
  Event event;
  // Retention removed the event's personal data (`data` and the recipient's fields but
  // its id): `event` holds what is left, which is not what was posted.
  bool redacted = false;
};

// JSON forms. EventToJson produces exactly the public event contract (fields absent
// when unset); EventFromJson reads what EventToJson wrote (it trusts its input: use
// the API's event parser for client input).
nlohmann::json RecipientToJson(const Recipient& r);
Recipient RecipientFromJson(const nlohmann::json& j);
nlohmann::json EventToJson(const Event& e);
Event EventFromJson(const nlohmann::json& j);
nlohmann::json StoredEventToJson(const StoredEvent& e);
StoredEvent StoredEventFromJson(const nlohmann::json& j);

// Applies the fields `update` sets onto `base` (id is kept from base when set).
void MergeRecipient(Recipient& base, const Recipient& update);

// SHA-256 over the canonical JSON of the event's content (keys sorted, no whitespace).
// Two posts of the same id are the same event exactly when their fingerprints match.
std::string EventFingerprint(const Event& e);

}  // namespace herald
