// Connector: the contract between dispatch and a gateway (SMTP server, SMS API, webhook,
// a folder of files).
//
// Dispatch renders a message, picks a connector for its channel and calls Send. The
// connector hands the message to its gateway and says what happened as a SendOutcome;
// dispatch owns retries, backoff, rate limits and message state, so a connector never
// retries on its own and never sleeps.
//
// Lifecycle: a connector is made once at start-up by its factory (connectors/registry.h)
// from its ConnectorConfig, which the factory validates then; after that it is immutable
// configuration plus whatever connection pool it keeps. Thread safety: Send may be called
// from up to max_concurrency() threads at once.
//
// Privacy: a connector never logs an address, a phone number or a message body; reasons
// it returns carry gateway codes and texts, not the message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "engine/core/event.h"

namespace herald {

// A rendered message, ready for a gateway.
struct OutboundMessage {
  // herald's message id: stable across retries of the same message, so gateways that
  // deduplicate (and the file connector) can use it as their idempotency key.
  std::string id;
  Channel channel = Channel::kEmail;
  std::string to;  // email address, or E.164 phone number for SMS

  // Email: the complete RFC 5322 message (headers and body, CRLF line ends) as built by
  // templates/mime.h, and the envelope sender. The connector adds nothing to it.
  std::string mime;
  std::string envelope_from;  // empty: the connector's configured `from`

  // SMS: the text, already rendered (links already shortened).
  std::string sms_text;

  // Where the gateway should post delivery receipts (Twilio StatusCallback), or empty.
  std::string status_callback_url;

  // Non-personal context for gateways that take structured data (webhook): campaign,
  // rule, case id, locale, template id.
  nlohmann::json metadata = nlohmann::json::object();
};

struct SendOutcome {
  enum class Kind {
    kAccepted,   // the gateway took it; provider_id names it there
    kTemporary,  // try again later (timeouts, 429, 5xx, 4xx SMTP replies)
    kPermanent,  // never succeeds as is (invalid number, 5xx SMTP reply to RCPT)
    kSuppress,   // the gateway says the recipient opted out: stop sending on this channel
  };
  Kind kind = Kind::kTemporary;
  std::string provider_id;  // gateway's id for an accepted message (Twilio SID, queue id)
  std::string code;         // gateway code when there is one ("21211", "550", "429")
  std::string reason;       // short text for people; never the message or the address
  // The gateway asked for this much time before another try (HTTP Retry-After).
  std::optional<Micros> retry_after;

  static SendOutcome Accepted(std::string provider_id) {
    SendOutcome o;
    o.kind = Kind::kAccepted;
    o.provider_id = std::move(provider_id);
    return o;
  }
  static SendOutcome Failure(Kind kind, std::string code, std::string reason) {
    SendOutcome o;
    o.kind = kind;
    o.code = std::move(code);
    o.reason = std::move(reason);
    return o;
  }
};

std::string_view SendOutcomeKindName(SendOutcome::Kind kind);  // "accepted", "temporary", ...

// An HTTP request a gateway made to herald (a delivery receipt), for the connector to
// authenticate. Names of headers are lower-case.
struct CallbackRequest {
  std::string url;  // the full public URL it was sent to (public_url + path + query)
  std::vector<std::pair<std::string, std::string>> form;  // form fields, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the raw body
};

class Connector {
 public:
  virtual ~Connector() = default;

  // The key under `connectors:` in herald.yaml, and the registry type name.
  virtual const std::string& name() const = 0;
  virtual std::string_view type() const = 0;
  // Channels it can carry; dispatch only routes those to it.
  virtual std::vector<Channel> channels() const = 0;
  // How many Send calls it accepts at once (its pool size).
  virtual int max_concurrency() const { return 1; }

  // Hands one message to the gateway; blocks until the gateway answered or a timeout set
  // in the connector's options passed. Never throws.
  virtual SendOutcome Send(const OutboundMessage& message) = 0;

  // True when `request` provably comes from this connector's gateway (Twilio: its
  // X-Twilio-Signature; webhook: its HMAC headers). The default, for gateways that sign
  // nothing, is false: the receipt then needs an API key.
  virtual bool VerifyCallback(const CallbackRequest& request) const { return false; }
};

}  // namespace herald
