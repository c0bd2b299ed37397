// Durations as agencies write them: "45s", "30m", "12h", "3d", "2w", "1d12h".
//
// Used by campaign expressions (`at: interview_at - 2d`) and by configuration that
// names a length of time. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/clock.h"
#include "engine/core/result.h"

namespace herald {

// The longest duration ParseDuration accepts: 36500 days (about 100 years). Far beyond
// any campaign's needs, and small enough that adding it to any RFC 3339 instant (years
// 0000-9999) cannot overflow Micros.
inline constexpr Micros kMaxDuration = Micros{36'500} * 86'400 * 1'000'000;

// Parses a positive duration, nothing before or after it:
//   duration = 1*( 1*DIGIT unit )      unit = "w" | "d" | "h" | "m" | "s"
// - units are lowercase and fixed-length: w = 7 days, d = 24 hours (a day is always 24
//   hours, whatever a time zone's daylight saving rules do that day), h, m, s;
// - several groups combine ("1d12h", "1h30m", "2w3d"), each unit at most once, largest
//   first, so every duration has one obvious reading ("30m1h" is rejected);
// - no sign, fraction, space, month or year (months and years vary in length);
// - the total must be greater than zero and at most kMaxDuration.
// Returns nullopt for anything else.
std::optional<Micros> ParseDuration(std::string_view text);

// ParseDuration that says why not: InvalidArgument with a message for people, e.g.
// "'3x' is not a duration (use s, m, h, d, w)" or "'30m1h' is not a duration: write
// units from largest to smallest, each once (e.g. 1h30m)". The message quotes `text`.
Result<Micros> ParseDurationOrError(std::string_view text);

// Formats a duration in the units ParseDuration reads, largest first, zero groups left
// out: 90 minutes is "1h30m", 36 hours "1d12h", 14 days "2w". Weeks are used only for
// a whole number of weeks (10 days is "10d", not "1w3d"), which reads more naturally.
// A positive whole number of seconds up to kMaxDuration round-trips through
// ParseDuration. Other values are for display: "0s", a leading '-' for negative
// durations, and a sub-second rest as a decimal fraction of seconds ("1m0.5s",
// "0.000001s"), which ParseDuration does not read.
std::string FormatDuration(Micros d);

}  // namespace herald
