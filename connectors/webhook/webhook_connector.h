// The `webhook` connector: one signed JSON POST per message, for gateways herald has no
// dedicated connector for (README.md in this folder is the receiver's guide).
//
// Request: POST {url}, Content-Type: application/json, body (WebhookBody below)
//   {"id": "<message id>", "channel": "sms" | "email", "to": "<E.164 or address>",
//    "sms_text": "..."                      (sms)
//    "mime": "<RFC 5322 message>", "envelope_from": "..." (email; envelope_from only when set)
//    "metadata": {...},                     (campaign, rule, case id, locale, template id)
//    "status_callback_url": "..."}          (only when the message has one)
// headers: X-Herald-Timestamp, X-Herald-Signature (webhook_signature.h), Idempotency-Key:
// <message id> (the same across retries of one message), then the configured headers.
//
// Reply -> SendOutcome:
//   any status < 500 with a JSON body {"status": "suppressed"}    suppress
//   410 Gone                                                      suppress
//   2xx                 accepted; provider_id = the reply's JSON "id" (string or integer),
//                       else the message id
//   401, 408, 429, 5xx, 3xx (redirects are not followed)          temporary, Retry-After
//   other 4xx                                                     permanent
//   timeout, connection error, reply cut off                      temporary
// code is the reply's JSON "code" when there is one, else the HTTP status; reason is the
// reply's JSON "reason", "error" or "message" text (redacted), else "HTTP <status>".
//
// Options (validated once by the factory; errors name the field, never the value):
//   url                   required, http:// or https:// (a query string is allowed)
//   secret | secret_env   exactly one, at least 16 bytes: the HMAC-SHA256 key
//   channels              list of email, sms; default both
//   headers               map of extra static headers (names are RFC 9110 tokens; values
//                         strings without CR, LF or other controls; Content-Type,
//                         Content-Length, Host, Idempotency-Key, X-Herald-* and
//                         hop-by-hop headers are herald's and rejected)
//   timeout_seconds       default 10 (0.001-600)
//   concurrency           default 4 (1-1024): pooled keep-alive connections
//   tls_verify            default true
//
// VerifyCallback (receipts the receiver posts back to status_callback_url) is true when the
// request carries one X-Herald-Timestamp and one X-Herald-Signature and the signature is
// WebhookSignature(secret, timestamp, raw body) with the timestamp within 300 seconds of
// the connector's clock (webhook_signature.h): the same scheme, in the other direction.
//
// Thread-safe: Send may run on max_concurrency() threads at once; it never logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http/http_client.h"
#include "connectors/http/option_reader.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/result.h"

namespace herald {

struct WebhookOptions {
  std::string url;
  std::string secret;
  std::vector<Channel> channels = {Channel::kEmail, Channel::kSms};
  std::vector<std::pair<std::string, std::string>> headers;  // in name order
  http::HttpClientOptions http;
};

// Reads and checks `config.options`; InvalidArgument with every problem, one per line.
Result<WebhookOptions> ParseWebhookOptions(const ConnectorConfig& config,
                                           const http::EnvLookup& env);

// The registry's factory (ConnectorFactoryFn): secret_env from the process environment.
Result<std::unique_ptr<Connector>> CreateWebhookConnector(const ConnectorConfig& config,
                                                          const ConnectorEnv& env);
// Same, with the environment given (tests).
Result<std::unique_ptr<Connector>> MakeWebhookConnector(const ConnectorConfig& config,
                                                        const ConnectorEnv& env,
                                                        const http::EnvLookup& lookup);

// The connector's VerifyCallback (above), with its secret and the time given.
bool VerifyWebhookCallback(std::string_view secret, const CallbackRequest& request, Micros now);

// The JSON body for `message` (above). InvalidArgument when a text is not valid UTF-8.
Result<std::string> WebhookBody(const OutboundMessage& message);

// Maps one reply to an outcome (the table above); `message_id` is the provider_id when the
// reply names none. Pure; exposed for tests.
SendOutcome ClassifyWebhookReply(const http::HttpResponse& reply, const std::string& message_id,
                                 Micros now);

}  // namespace herald
