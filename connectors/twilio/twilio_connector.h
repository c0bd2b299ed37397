// The `twilio` connector: SMS through Twilio's Messages API.
//
// Send POSTs one form to {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json with
// To, From and/or MessagingServiceSid, Body and (when the message has one) StatusCallback,
// authenticated with HTTP Basic (account_sid : auth_token), and maps the reply to a
// SendOutcome (README.md in this folder has the table):
//   201/200 with a "sid"            accepted, provider_id = the sid
//   21610 (recipient replied STOP)  suppress
//   401 (bad credentials)           temporary: the configuration is wrong, not the message
//   408, 429, 5xx                   temporary, retry_after from Retry-After when given
//   other 4xx                       permanent, code = Twilio's error code (21211, ...)
//   timeout, connection error,      temporary (the message may have been accepted: the
//   reply cut off                   dispatcher's retry may send it twice)
//   2xx without a sid               temporary ("invalid_reply": not Twilio answering)
// Reasons carry Twilio's code and message with phone numbers and addresses redacted.
//
// VerifyCallback (delivery receipts) is true when the request's X-Twilio-Signature
// verifies with the auth token over request.url and request.form (twilio_signature.h).
//
// Options (validated once by the factory; errors name the field, never the value):
//   account_sid            required, "AC" + 32 hex digits
//   auth_token | auth_token_env   exactly one; _env names an environment variable
//   from | messaging_service_sid  at least one; from is E.164 or an alphanumeric sender
//                          id (1-11 of A-Z a-z 0-9 and space, with a letter);
//                          messaging_service_sid is "MG" + 32 hex digits
//   base_url               default https://api.twilio.com; http(s), no query
//   timeout_seconds        default 10 (0.001-600), the whole request
//   concurrency            default 4 (1-1024): pooled connections, Sends at once
//   tls_verify             default true
//
// Thread-safe: Send may run on max_concurrency() threads at once; it never logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http/http_client.h"
#include "connectors/http/option_reader.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/result.h"

namespace herald {

struct TwilioOptions {
  std::string account_sid;
  std::string auth_token;
  std::string from;                   // empty when only messaging_service_sid is given
  std::string messaging_service_sid;  // empty when only from is given
  std::string base_url = "https://api.twilio.com";  // no trailing '/'
  http::HttpClientOptions http;
};

// Reads and checks `config.options`; InvalidArgument with every problem, one per line
// ("connectors.<name>.<field>: problem").
Result<TwilioOptions> ParseTwilioOptions(const ConnectorConfig& config, const http::EnvLookup& env);

// The registry's factory (ConnectorFactoryFn): reads auth_token_env from the process
// environment.
Result<std::unique_ptr<Connector>> CreateTwilioConnector(const ConnectorConfig& config,
                                                         const ConnectorEnv& env);
// Same, with the environment given (tests).
Result<std::unique_ptr<Connector>> MakeTwilioConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env,
                                                       const http::EnvLookup& lookup);

// Maps one Twilio reply to an outcome (the table above). `now` resolves an HTTP-date
// Retry-After. Pure; exposed for tests.
SendOutcome ClassifyTwilioReply(const http::HttpResponse& reply, Micros now);

// True when `request` carries exactly one X-Twilio-Signature header and it verifies with
// `auth_token` over request.url and request.form: the connector's VerifyCallback.
bool VerifyTwilioCallback(std::string_view auth_token, const CallbackRequest& request);

// True for a Twilio alphanumeric sender id: 1-11 characters of A-Z, a-z, 0-9 and space,
// at least one a letter, not starting or ending with a space.
bool IsAlphanumericSenderId(std::string_view s);

}  // namespace herald
