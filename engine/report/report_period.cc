#include "engine/report/report_period.h"

#include <cstdio>

#include "engine/core/time_format.h"

namespace herald {
namespace {

constexpr Micros kDayMicros = 24LL * 3600 * 1000000;

// "YYYY-MM-DD" with a valid day, or nullopt.
std::optional<LocalDateTime> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < lengths[i]; ++k) {
      const char c = s[starts[i] + k];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  LocalDateTime t;
  t.year = parts[0];
  t.month = parts[1];
  t.day = parts[2];
  if (!IsValidLocalDateTime(t)) return std::nullopt;
  return t;
}

// One bound: a local date (its midnight, or the next midnight when `end`) or an instant.
Result<Micros> ParseBound(std::string_view name, std::string_view text, bool end,
                          const Zone& zone) {
  if (auto date = ParseDate(text)) {
    LocalDateTime t = *date;
    if (end) t.day += 1;  // the whole of the last day (FromLocal normalises day 32)
    return FromLocal(t, zone);
  }
  if (auto instant = ParseRfc3339(text)) return *instant;
  std::string shown(text.substr(0, 64));
  return Status::InvalidArgument(std::string(name) + ": '" + shown +
                                 "' is not a date (YYYY-MM-DD) or an RFC 3339 time");
}

}  // namespace

std::string_view ReportGroupName(ReportGroup g) {
  switch (g) {
    case ReportGroup::kDay:
      return "day";
    case ReportGroup::kRule:
      return "rule";
    case ReportGroup::kLocale:
      return "locale";
    case ReportGroup::kChannel:
      return "channel";
    case ReportGroup::kNone:
      break;
  }
  return "";
}

std::string LocalDate(Micros instant, const Zone& zone) {
  const LocalDateTime t = ToLocal(instant, zone);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  return buf;
}

Result<ReportQuery> ParseReportRequest(const ReportRequest& r, Micros now, ZoneCache& zones) {
  ReportQuery q;
  q.campaign = std::string(r.campaign);
  if (q.campaign.empty()) return Status::InvalidArgument("campaign: required");
  q.timezone = r.timezone.empty() ? "UTC" : std::string(r.timezone);
  Result<Zone> zone = zones.Get(q.timezone);
  if (!zone.ok()) {
    return Status::InvalidArgument("tz: unknown time zone '" + q.timezone.substr(0, 64) + "'");
  }
  if (r.by.empty() || r.by == "total") {
    q.group = ReportGroup::kNone;
  } else if (r.by == "day") {
    q.group = ReportGroup::kDay;
  } else if (r.by == "rule") {
    q.group = ReportGroup::kRule;
  } else if (r.by == "locale") {
    q.group = ReportGroup::kLocale;
  } else if (r.by == "channel") {
    q.group = ReportGroup::kChannel;
  } else {
    return Status::InvalidArgument("by: expected day, rule, locale or channel");
  }
  if (r.to.empty()) {
    Result<Micros> end = ParseBound("to", LocalDate(now, *zone), true, *zone);
    if (!end.ok()) return end.status();
    q.to = *end;
  } else {
    Result<Micros> end = ParseBound("to", r.to, true, *zone);
    if (!end.ok()) return end.status();
    q.to = *end;
  }
  if (r.from.empty()) {
    // 30 local days ending with the last one: its midnight, 29 days earlier.
    LocalDateTime t = ToLocal(q.to - 1, *zone);
    t = LocalDateTime{t.year, t.month, t.day - 29, 0, 0, 0, 0};
    q.from = FromLocal(t, *zone);
  } else {
    Result<Micros> start = ParseBound("from", r.from, false, *zone);
    if (!start.ok()) return start.status();
    q.from = *start;
  }
  if (q.to <= q.from) return Status::InvalidArgument("to: the period ends before it starts");
  if (q.to - q.from > kMaxReportDays * kDayMicros) {
    return Status::InvalidArgument("to: a report covers at most " + std::to_string(kMaxReportDays) +
                                   " days");
  }
  return q;
}

}  // namespace herald
