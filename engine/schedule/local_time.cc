#include "engine/schedule/local_time.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <vector>

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>

#include "engine/core/validate.h"

namespace herald {

struct Zone::Rep {
  std::string id;
  std::unique_ptr<icu::BasicTimeZone> tz;  // guarded by mu: see the class comment
  mutable std::mutex mu;
};

namespace {

constexpr Micros kMicrosPerMilli = 1000;

Micros FloorDiv(Micros a, Micros b) {
  const Micros q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

Micros Clamp(Micros t) {
  return std::clamp(t, kMinSupportedInstant, kMaxSupportedInstant);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
// `m` is 1..12; `d` may be any value (it is added linearly).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int& year, int& month, int& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  month = static_cast<int>(m);
  day = static_cast<int>(d);
}

// The wall-clock reading as if it were a UTC instant ("local micros"), fields normalized.
Micros WallMicros(const LocalDateTime& t) {
  const int64_t months = int64_t{t.year} * 12 + (t.month - 1);
  const int64_t year = FloorDiv(months, 12);
  const int64_t month = months - year * 12 + 1;
  // Clamping the day count first keeps the sum below in int64 whatever the int fields
  // hold (|hour| * kMicrosPerHour alone is at most 7.8e18).
  const int64_t min_days = FloorDiv(kMinSupportedInstant, kMicrosPerDay) - 2;
  const int64_t max_days = FloorDiv(kMaxSupportedInstant, kMicrosPerDay) + 2;
  const int64_t days = std::clamp(DaysFromCivil(year, month, 1), min_days, max_days) + (t.day - 1);
  const Micros wall = std::clamp(days, min_days, max_days) * kMicrosPerDay +
                      t.hour * kMicrosPerHour + t.minute * kMicrosPerMinute +
                      t.second * kMicrosPerSecond + t.microsecond;
  // Keep wall - offset (|offset| < 1 day) inside the supported range.
  return std::clamp(wall, kMinSupportedInstant + kMicrosPerDay,
                    kMaxSupportedInstant - kMicrosPerDay);
}

bool IsIdShaped(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// Every instant at which the wall clock shows `wall`, and the gap it falls in if none.
struct Mapping {
  std::vector<Micros> instants;  // ascending
  // Set when `instants` is empty: the transition that skipped `wall` and the offset that
  // applied before it.
  Micros gap_transition = 0;
  Micros offset_before_gap = 0;
  bool in_gap = false;
};

Mapping MapWall(Micros wall, const Zone& zone) {
  // Real offsets are within +-18h, so every instant showing `wall` lies in [lo, hi].
  constexpr Micros kReach = 26 * kMicrosPerHour;
  const Micros lo = wall - kReach;
  const Micros hi = wall + kReach;

  Mapping m;
  Micros seg_start = lo;
  Micros seg_offset = zone.UtcOffset(lo);
  // Walks the constant-offset segments [seg_start, next transition) covering [lo, hi]. A
  // zone has at most a handful of transitions in two days; the bound only guards ICU.
  for (int i = 0; i < 64; ++i) {
    const std::optional<Micros> next = zone.NextTransition(seg_start);
    const Micros seg_end = (next && *next <= hi) ? *next : hi + 1;
    const Micros u = wall - seg_offset;
    if (u >= seg_start && u < seg_end) m.instants.push_back(u);
    if (seg_end > hi) break;
    const Micros next_offset = zone.UtcOffset(seg_end);
    if (!m.in_gap && seg_end + seg_offset <= wall && wall < seg_end + next_offset) {
      m.in_gap = true;
      m.gap_transition = seg_end;
      m.offset_before_gap = seg_offset;
    }
    seg_start = seg_end;
    seg_offset = next_offset;
  }
  if (!m.instants.empty()) m.in_gap = false;
  return m;
}

}  // namespace

Result<Zone> Zone::Load(std::string_view iana_id) {
  if (!IsIdShaped(iana_id)) {
    return Status::InvalidArgument(
        "not a time zone id: expected an IANA id such as "
        "\"America/New_York\"");
  }
  if (!IsKnownTimezone(iana_id)) {
    return Status::NotFound("unknown time zone \"" + std::string(iana_id) + "\"");
  }
  const icu::UnicodeString uid = icu::UnicodeString::fromUTF8(
      icu::StringPiece(iana_id.data(), static_cast<int32_t>(iana_id.size())));
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(uid));
  if (tz == nullptr) return Status::Internal("ICU could not create time zone");
  icu::UnicodeString got;
  if (tz->getID(got) == icu::UnicodeString::fromUTF8(UCAL_UNKNOWN_ZONE_ID)) {
    return Status::NotFound("unknown time zone \"" + std::string(iana_id) + "\"");
  }
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
  if (basic == nullptr) return Status::Internal("ICU time zone without transition data");
  tz.release();

  auto rep = std::make_shared<Rep>();
  rep->id = std::string(iana_id);
  rep->tz.reset(basic);
  // Forces ICU's lazy initialisation of the transition rules now, on one thread.
  icu::TimeZoneTransition ignored;
  rep->tz->getNextTransition(0.0, false, ignored);
  return Zone(std::move(rep));
}

Zone Zone::Utc() {
  static const Zone* const utc = [] {
    Result<Zone> z = Load("UTC");
    assert(z.ok());
    return new Zone(std::move(z).value());
  }();
  return *utc;
}

const std::string& Zone::id() const {
  return rep_->id;
}

Micros Zone::UtcOffset(Micros instant) const {
  const double millis = static_cast<double>(FloorDiv(Clamp(instant), kMicrosPerMilli));
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  {
    std::lock_guard<std::mutex> lock(rep_->mu);
    rep_->tz->getOffset(millis, /*local=*/false, raw, dst, status);
    // Cannot fail for a UTC instant in a loaded zone; the raw offset is the best answer.
    if (U_FAILURE(status)) return Micros{rep_->tz->getRawOffset()} * kMicrosPerMilli;
  }
  return (Micros{raw} + dst) * kMicrosPerMilli;
}

std::optional<Micros> Zone::NextTransition(Micros after) const {
  // Transitions are whole milliseconds, so "after the millisecond containing `after`" is
  // "after `after`".
  const double base = static_cast<double>(FloorDiv(Clamp(after), kMicrosPerMilli));
  icu::TimeZoneTransition tr;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(rep_->mu);
    found = rep_->tz->getNextTransition(base, /*inclusive=*/false, tr);
  }
  if (!found) return std::nullopt;
  const double t = tr.getTime();
  if (t > static_cast<double>(kMaxSupportedInstant / kMicrosPerMilli)) return std::nullopt;
  return static_cast<Micros>(t) * kMicrosPerMilli;
}

Result<Zone> ZoneCache::Get(std::string_view iana_id) {
  const std::string key(iana_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = zones_.find(key);
    if (it != zones_.end()) return it->second;
  }
  // Loaded outside the lock: a slow load must not stall lookups of other zones. Two
  // threads may load the same id at once; the first insert wins and both get equal zones.
  Result<Zone> loaded = Zone::Load(iana_id);
  if (!loaded.ok()) return loaded.status();
  std::lock_guard<std::mutex> lock(mu_);
  return zones_.emplace(key, std::move(loaded).value()).first->second;
}

size_t ZoneCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return zones_.size();
}

bool IsValidLocalDateTime(const LocalDateTime& t) {
  if (t.year < 1 || t.year > 9999 || t.month < 1 || t.month > 12 || t.day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0;
  const int month_days = kDays[t.month - 1] + (t.month == 2 && leap ? 1 : 0);
  return t.day <= month_days && t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 &&
         t.second >= 0 && t.second <= 59 && t.microsecond >= 0 && t.microsecond <= 999'999;
}

std::string FormatLocalDateTime(const LocalDateTime& t) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day,
                        t.hour, t.minute, t.second);
  if (t.microsecond != 0 && n > 0 && static_cast<size_t>(n) < sizeof(buf)) {
    std::snprintf(buf + n, sizeof(buf) - n, ".%06d", t.microsecond);
  }
  return buf;
}

LocalDateTime ToLocal(Micros instant, const Zone& zone) {
  instant = Clamp(instant);
  const Micros wall = instant + zone.UtcOffset(instant);
  const int64_t days = FloorDiv(wall, kMicrosPerDay);
  Micros rest = wall - days * kMicrosPerDay;
  LocalDateTime t;
  CivilFromDays(days, t.year, t.month, t.day);
  t.hour = static_cast<int>(rest / kMicrosPerHour);
  rest %= kMicrosPerHour;
  t.minute = static_cast<int>(rest / kMicrosPerMinute);
  rest %= kMicrosPerMinute;
  t.second = static_cast<int>(rest / kMicrosPerSecond);
  t.microsecond = static_cast<int>(rest % kMicrosPerSecond);
  return t;
}

LocalTimeKind ClassifyLocal(const LocalDateTime& local, const Zone& zone) {
  const Mapping m = MapWall(WallMicros(local), zone);
  if (m.instants.empty()) return LocalTimeKind::kNonexistent;
  return m.instants.size() == 1 ? LocalTimeKind::kUnique : LocalTimeKind::kAmbiguous;
}

Micros FromLocal(const LocalDateTime& local, const Zone& zone, Resolve policy) {
  const Micros wall = WallMicros(local);
  const Mapping m = MapWall(wall, zone);
  if (!m.instants.empty()) {
    return policy.overlap == OverlapPolicy::kEarlier ? m.instants.front() : m.instants.back();
  }
  if (m.in_gap) {
    return policy.gap == GapPolicy::kTransition ? m.gap_transition : wall - m.offset_before_gap;
  }
  // Unreachable with consistent zone data: every wall time maps to an instant or a gap.
  return wall - zone.UtcOffset(wall - zone.UtcOffset(wall));
}

}  // namespace herald
