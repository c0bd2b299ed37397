// Small pure helpers for the HTTP connectors: URL checks, form encoding, Retry-After,
// header syntax, and making gateway texts safe to carry in a SendOutcome.
//
// Every function is pure, thread-safe and safe on hostile input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/clock.h"

namespace herald::http {

// Checks an http:// or https:// URL given in configuration. Returns the problem, or
// nullopt when it is fine. Rejected: other schemes, no host, whitespace or control
// characters, a fragment, user info ("user:pass@host": credentials belong in options,
// not in URLs that end up in error texts), and, when !allow_query, a query string.
std::optional<std::string> CheckHttpUrl(std::string_view url, bool allow_query);

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// so '+', '&', '=', ' ' and every UTF-8 byte are escaped: valid for both form bodies and
// query strings.
std::string PercentEncode(std::string_view s);

// application/x-www-form-urlencoded: "k1=v1&k2=v2", in the order given.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// Decodes a form body ("a=1&b=%2B+x") into pairs; '+' is a space. Malformed escapes are
// kept literally.
std::vector<std::pair<std::string, std::string>> FormDecode(std::string_view body);

// An HTTP Retry-After value: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT", also the obsolete RFC 850 and asctime forms), as a delay from `now`.
// A date in the past is a delay of 0. Delays are capped at one day. nullopt when the
// value is empty or unreadable.
std::optional<Micros> ParseRetryAfter(std::string_view value, Micros now);

// True for an RFC 9110 token (a header name): 1+ of ! # $ % & ' * + - . ^ _ ` | ~ and
// ASCII letters and digits.
bool IsHttpToken(std::string_view s);

// True for a header value herald may send: visible ASCII or UTF-8, spaces and tabs, no
// CR, LF, NUL or other control characters, no leading or trailing whitespace.
bool IsSafeHeaderValue(std::string_view s);

// Makes a gateway's text fit for SendOutcome::reason: ill-formed UTF-8 and control
// characters become spaces, email addresses and phone numbers are redacted ("[email]",
// "[phone]"; also any run of 7 or more digits, which gateways use for numbers without a
// '+'), whitespace is collapsed, and the result is cut to at most `max_bytes` bytes on a
// character boundary.
std::string SanitizeGatewayText(std::string_view text, size_t max_bytes = 200);

// Makes a gateway's identifier (a message sid, a queue id) fit for SendOutcome::provider_id:
// only visible ASCII (0x21-0x7E) is kept, cut to `max_bytes`. Not redacted: ids are not
// personal data, and a hex id may well contain a long run of digits.
std::string SanitizeGatewayId(std::string_view id, size_t max_bytes = 128);

// Lower-case hex of bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace herald::http
