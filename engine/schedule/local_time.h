// Wall-clock time in IANA time zones: conversions between UTC instants (Micros) and the
// local date and time a recipient's clock shows, with explicit rules for the local times
// that daylight-saving transitions skip (spring forward) or repeat (fall back).
//
// Everything here is a pure function of its arguments and ICU's copy of the time-zone
// database (ICU, not the host's /usr/share/zoneinfo, so results do not depend on the
// host). Nothing reads the clock.
//
// Supported instants: years 0001..9999 (kMinSupportedInstant..kMaxSupportedInstant).
// Arguments outside that range are clamped into it; the results are then meaningless
// but always computed without overflow.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/core/clock.h"
#include "engine/core/result.h"

namespace herald {

inline constexpr Micros kMicrosPerSecond = 1'000'000;
inline constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;

inline constexpr Micros kMinSupportedInstant = -62'135'596'800 * kMicrosPerSecond;  // 0001-01-01Z
inline constexpr Micros kMaxSupportedInstant =
    253'402'300'800 * kMicrosPerSecond - 1;  // 9999-12-31T23:59:59.999999Z

// An IANA time zone, loaded from ICU. A Zone is an immutable, cheap-to-copy handle: copies
// share one ICU zone object. Thread-safe: every method may be called concurrently on the
// same Zone or on copies of it. (ICU's zone objects initialise some rules lazily and have
// had races there, so the shared ICU object is only touched under a mutex; each call holds
// it for about a microsecond.)
class Zone {
 public:
  // Loads `iana_id`, a canonical IANA id or an alias ("America/New_York", "US/Eastern",
  // "UTC"), case-sensitive. Errors: InvalidArgument when the id is not even shaped like
  // one (empty, over 64 bytes, characters other than ASCII letters, digits and "/_-+");
  // NotFound when ICU does not know it (including custom offsets such as "GMT+5" and
  // ICU's placeholder "Etc/Unknown"). Slow (tens of microseconds); see ZoneCache.
  static Result<Zone> Load(std::string_view iana_id);

  // The UTC zone. Never fails.
  static Zone Utc();

  // The id this zone was loaded with, as given (an alias stays an alias).
  const std::string& id() const;

  // The zone's total offset from UTC (standard offset plus daylight saving) at `instant`,
  // in microseconds: local wall-clock time = instant + UtcOffset(instant). At a transition
  // instant the new offset applies.
  Micros UtcOffset(Micros instant) const;

  // The first instant strictly after `after` at which the zone's rules change (in practice
  // the offset changes; a change of only the zone's name may be reported too), or nullopt
  // when there is none (UTC, Asia/Kolkata today). Transitions are at whole milliseconds.
  std::optional<Micros> NextTransition(Micros after) const;

 private:
  struct Rep;
  explicit Zone(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;  // never null
};

// Loaded zones by id, so each id pays Zone::Load once per process. Thread-safe. Only
// successful loads are cached; the cache is therefore bounded by the number of ids ICU
// knows (about 600 canonical ids plus aliases), whatever ids callers send.
class ZoneCache {
 public:
  // Same contract and errors as Zone::Load.
  Result<Zone> Get(std::string_view iana_id);

  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Zone> zones_;  // guarded by mu_
};

// A date and time as shown by a wall clock: proleptic Gregorian calendar, no zone, no
// offset. Ordered field by field, i.e. chronologically for valid values.
struct LocalDateTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;   // 0..23
  int minute = 0;
  int second = 0;       // 0..59 (no leap seconds)
  int microsecond = 0;  // 0..999999

  friend auto operator<=>(const LocalDateTime&, const LocalDateTime&) = default;
};

// True when every field of `t` is in range (the day for its month and year) and the year
// is 1..9999.
bool IsValidLocalDateTime(const LocalDateTime& t);

// "2026-03-08T02:30:00" (with ".000123" when microsecond is nonzero): for messages and
// test output.
std::string FormatLocalDateTime(const LocalDateTime& t);

// What wall-clock time `instant` shows in `zone`.
LocalDateTime ToLocal(Micros instant, const Zone& zone);

// How a wall-clock time maps to instants in a zone.
enum class LocalTimeKind {
  kUnique,       // exactly one instant
  kNonexistent,  // none: skipped by a forward transition (02:30 on a spring-forward night)
  kAmbiguous,    // two: repeated by a backward transition (01:30 on a fall-back night)
};

// For a nonexistent local time (inside a gap of length g that starts at transition
// instant T):
enum class GapPolicy {
  kShiftForward,  // the instant that is g later on the wall clock, i.e. read the time with
                  // the offset from before the gap: 02:30 -> 03:30 EDT. (java.time,
                  // RFC 5545 and ICU's lenient Calendar do this.)
  kTransition,    // T, the first instant after the gap: 02:30 -> 03:00 EDT.
};
// For an ambiguous local time:
enum class OverlapPolicy {
  kEarlier,  // the first occurrence (the offset from before the transition): 01:30 EDT
  kLater,    // the second occurrence: 01:30 EST
};
struct Resolve {
  GapPolicy gap = GapPolicy::kShiftForward;
  OverlapPolicy overlap = OverlapPolicy::kEarlier;
};

// Classifies `local` in `zone`. Out-of-range fields are normalized as in FromLocal.
LocalTimeKind ClassifyLocal(const LocalDateTime& local, const Zone& zone);

// The instant at which `zone`'s wall clock shows `local`, resolved by `policy` when there
// is no such instant or more than one. Fields out of range are normalized the way timegm
// does (day 32 of January is February 1, hour 24 is 00:00 of the next day, negative values
// borrow), so callers can do calendar arithmetic by adding to a field.
Micros FromLocal(const LocalDateTime& local, const Zone& zone, Resolve policy = {});

}  // namespace herald
