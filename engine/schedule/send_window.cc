#include "engine/schedule/send_window.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace herald {

namespace {

constexpr int kMinutesPerDay = 24 * 60;

Micros FloorMod(Micros a, Micros b) {
  const Micros r = a % b;
  return r < 0 ? r + b : r;
}

bool IsValid(const QuietHours& q) {
  return q.start_minute >= 0 && q.start_minute < kMinutesPerDay && q.end_minute >= 0 &&
         q.end_minute < kMinutesPerDay;
}

bool Active(const QuietHours& q) {
  return IsValid(q) && q.start_minute != q.end_minute;
}

// `time_of_day` in microseconds after local midnight.
bool InQuiet(Micros time_of_day, const QuietHours& q) {
  const Micros start = q.start_minute * kMicrosPerMinute;
  const Micros end = q.end_minute * kMicrosPerMinute;
  if (start < end) return start <= time_of_day && time_of_day < end;
  return time_of_day >= start || time_of_day < end;  // spans midnight
}

bool InRange(Micros t) {
  return t >= kMinSupportedInstant && t <= kMaxSupportedInstant;
}

std::optional<int> ParseClock(std::string_view s, bool allow_24) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) ||
      !digit(s[4])) {
    return std::nullopt;
  }
  const int hour = (s[0] - '0') * 10 + (s[1] - '0');
  const int minute = (s[3] - '0') * 10 + (s[4] - '0');
  if (allow_24 && hour == 24 && minute == 0) return 0;
  if (hour > 23 || minute > 59) return std::nullopt;
  return hour * 60 + minute;
}

}  // namespace

Result<QuietHours> ParseQuietHours(std::string_view start, std::string_view end) {
  const std::optional<int> s = ParseClock(start, /*allow_24=*/false);
  if (!s) {
    return Status::InvalidArgument("quiet_hours.start must be HH:MM between 00:00 and 23:59");
  }
  const std::optional<int> e = ParseClock(end, /*allow_24=*/true);
  if (!e) {
    return Status::InvalidArgument("quiet_hours.end must be HH:MM between 00:00 and 24:00");
  }
  return QuietHours{*s, *e};
}

bool IsQuiet(Micros instant, const QuietHours& quiet, const Zone& zone) {
  if (!Active(quiet) || !InRange(instant)) return false;
  return InQuiet(FloorMod(instant + zone.UtcOffset(instant), kMicrosPerDay), quiet);
}

Micros NextAllowedSend(Micros due, const QuietHours& quiet, const Zone& zone) {
  if (!Active(quiet) || !InRange(due)) return due;
  const Micros end = quiet.end_minute * kMicrosPerMinute;
  Micros t = due;
  // Between transitions the offset is constant, so the wall clock runs with real time and
  // the quiet period ends when it reaches `end`. If a transition comes first, start over
  // from the transition instant with the new offset: a forward jump may leave quiet hours
  // there (the end was skipped), a backward jump may add to them (a repeated hour). Real
  // zones need at most three rounds; the bound only guards against bad data.
  for (int round = 0; round < 16; ++round) {
    const Micros time_of_day = FloorMod(t + zone.UtcOffset(t), kMicrosPerDay);
    if (!InQuiet(time_of_day, quiet)) return t;
    const Micros candidate = t + FloorMod(end - time_of_day, kMicrosPerDay);
    const std::optional<Micros> transition = zone.NextTransition(t);
    if (!transition || candidate < *transition) return candidate;
    t = *transition;
  }
  return t;
}

Micros PlanSendTime(Micros due, const QuietHours* quiet, const FrequencyCap* cap,
                    std::span<const Micros> previous_sends, const Zone& zone) {
  // Sort once here rather than in every NextSlotUnderCap round.
  std::vector<Micros> sorted;
  if (cap != nullptr && !std::is_sorted(previous_sends.begin(), previous_sends.end())) {
    sorted.assign(previous_sends.begin(), previous_sends.end());
    std::sort(sorted.begin(), sorted.end());
    previous_sends = sorted;
  }
  Micros t = due;
  const size_t max_rounds = previous_sends.size() + 2;
  for (size_t round = 0; round < max_rounds; ++round) {
    Micros next = t;
    if (cap != nullptr) next = NextSlotUnderCap(next, previous_sends, *cap);
    if (quiet != nullptr) next = NextAllowedSend(next, *quiet, zone);
    if (next == t) return t;
    t = next;
  }
  return t;
}

}  // namespace herald
