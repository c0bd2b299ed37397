// CallbackPoster: the StatusCallbackPoster (engine/dispatch/callback_sender.h) of `herald
// serve`: one signed JSON POST per status callback to the case system's URL
// (`status_callbacks:` in herald.yaml).
//
// Request (README.md in this folder is the receiver's guide):
//   POST {url}
//   Content-Type: application/json
//   X-Herald-Timestamp: <unix seconds, from the injected Clock>
//   X-Herald-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//   Idempotency-Key: <message id>-<seq>
// The signature is the webhook connector's (connectors/webhook/webhook_signature.h: the
// same code signs both), so a receiver verifies both the same way.
//
// Reply -> CallbackPostResult:
//   2xx                                          delivered
//   408, 429, 5xx, 3xx (redirects not followed)   temporary, Retry-After honoured
//   other 4xx                                    permanent
//   timeout, connection error, reply cut off     temporary, no_reply
//
// Connections are reused: an HttpClient (connectors/http) pool of `concurrency` keep-alive
// handles. Thread-safe: Post may be called from any thread. Never logs; details carry
// statuses and curl errors, never the body.
#pragma once

#include <memory>
#include <string>

#include "connectors/http/http_client.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/dispatch/callback_sender.h"

namespace herald {

struct CallbackPosterOptions {
  std::string url;     // http:// or https://, a query string allowed, no user info
  std::string secret;  // the HMAC key, at least 16 bytes
  http::HttpClientOptions http = {/*timeout_seconds=*/10, /*concurrency=*/1,
                                  /*tls_verify=*/true};
};

class CallbackPoster final : public StatusCallbackPoster {
 public:
  // InvalidArgument naming the problem (never the secret) when the options are wrong.
  // `clock` must outlive the poster.
  static Result<std::unique_ptr<CallbackPoster>> Create(CallbackPosterOptions options,
                                                        const Clock& clock);
  // From the `status_callbacks:` section (url and secret), with the default HTTP options.
  static Result<std::unique_ptr<CallbackPoster>> FromConfig(const StatusCallbackConfig& config,
                                                            const Clock& clock);

  CallbackPostResult Post(const std::string& body, const std::string& idempotency_key) override;

 private:
  CallbackPoster(CallbackPosterOptions options, const Clock& clock);

  CallbackPosterOptions options_;
  const Clock& clock_;
  http::HttpClient client_;
};

// Maps one reply to a result (the table above); `now` resolves an HTTP-date Retry-After.
// Pure; exposed for tests.
CallbackPostResult ClassifyCallbackReply(const http::HttpResponse& reply, Micros now);

}  // namespace herald
