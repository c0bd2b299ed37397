// Twilio's request signature (X-Twilio-Signature), for status callbacks and inbound SMS.
//
// Twilio signs each webhook it sends: HMAC-SHA1, keyed with the account's auth token,
// over the full URL it called (scheme, host, port if any, path and query, exactly as
// configured in Twilio) followed, for form POSTs, by every POST parameter sorted by name
// (then by value, for repeated names; a name=value pair repeated exactly counts once, as
// in Twilio's libraries), each as name immediately followed by the decoded value, with no
// separators; the digest is base64-encoded. See
// https://www.twilio.com/docs/usage/webhooks/webhooks-security.
//
// Pure functions on OpenSSL; thread-safe. Parameters are the decoded form values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// The base64 signature Twilio would send for a POST of `params` to `url`.
std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            const FormParams& params);

// True when `signature` (the X-Twilio-Signature header) matches, compared in constant
// time. Like Twilio's own libraries it also accepts the signature of the same URL with
// the port removed ("https://h:443/p" -> "https://h/p") and with the scheme's default port
// added ("https://h/p" -> "https://h:443/p"), because proxies and Twilio disagree about
// explicit ports. An empty token or signature never verifies.
bool VerifyTwilioSignature(std::string_view auth_token, std::string_view url,
                           const FormParams& params, std::string_view signature);

}  // namespace herald
