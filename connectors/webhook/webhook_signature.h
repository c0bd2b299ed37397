// The webhook connector's request signature, for receivers (and herald's own tests).
//
// Each POST carries
//   X-Herald-Timestamp: <unix seconds, from herald's clock>
//   X-Herald-Signature: sha256=<lower-case hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// where <body> is the exact bytes of the request body. A receiver recomputes the HMAC over
// the timestamp header, a '.', and the raw body (before any JSON parsing), compares it in
// constant time, and rejects timestamps too far from its own clock (replays). This is the
// scheme of Stripe and Standard Webhooks; README.md in this folder has examples.
//
// Pure functions on OpenSSL; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

// "sha256=<hex>" for this timestamp and body.
std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body);

// True when `signature_header` is WebhookSignature(secret, timestamp, body) (constant-time
// comparison) and the timestamp header is a plain decimal number within
// `tolerance_seconds` of `now_seconds`. Empty secrets never verify.
bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                            std::string_view body, std::string_view signature_header,
                            int64_t now_seconds, int64_t tolerance_seconds = 300);

}  // namespace herald
