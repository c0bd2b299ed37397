// RFC 3339 timestamps: strict parsing of client input, one canonical output form.
//
// Pure functions on civil-date arithmetic (no timegm, no locale, no time zone
// database), so results do not depend on the host's TZ or libc. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/clock.h"

namespace herald {

// Parses a strict RFC 3339 date-time into microseconds since the epoch, UTC.
//
// Accepted form, nothing before or after it:
//   YYYY-MM-DD ('T' | 't') HH:MM:SS [ '.' 1*9DIGIT ] ( 'Z' | 'z' | ('+' | '-') HH:MM )
// - years 0000-9999; month/day checked against the calendar (Feb 29 only in leap years);
// - hour 00-23, minute 00-59, second 00-60; offsets -23:59..+23:59 ("-00:00", RFC 3339's
//   "offset unknown", is read as UTC);
// - the space separator that RFC 3339 allows "for readability" is rejected: clients
//   must send 'T', so every stored timestamp has one shape;
// - a fraction of up to 9 digits is truncated (not rounded) to microseconds;
// - a leap second (SS = 60) is accepted and read as second 59 of the same minute, fraction
//   kept: the engine has no leap-second table and this keeps the instant inside the minute
//   (and day) the client named, in order with the seconds before it.
// Returns nullopt for anything else.
std::optional<Micros> ParseRfc3339(std::string_view text);

// Formats an instant as RFC 3339 in UTC: "2026-01-02T03:04:05Z", with a fraction only
// when it is nonzero: 3 digits when the instant is a whole millisecond
// ("...05.123Z"), otherwise 6 ("...05.123456Z"). Always 'Z', never an offset, so
// FormatRfc3339 output parses back to the same Micros. Instants outside years
// 0000-9999 are not representable in RFC 3339; their year is printed as a plain
// (possibly negative or 5-digit) number.
std::string FormatRfc3339(Micros t);

}  // namespace herald
