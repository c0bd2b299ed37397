// The period and grouping of a report request (the `from`, `to`, `tz` and `by` query
// parameters of GET /v1/reports/campaigns/{id}, the dashboard's form and `herald report`),
// checked and turned into a ReportQuery for TrackStore::Report.
//
// `from` and `to` are local dates ("2026-11-01", both days included, in `tz`) or RFC 3339
// instants ("2026-11-01T05:00:00Z", `to` excluded). Left out: the 30 days up to and
// including today in `tz`. `tz` is an IANA zone (default UTC); `by` one of day, rule,
// locale, channel, or empty for totals only. Pure functions apart from the zone cache;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/schedule/local_time.h"
#include "engine/track/track_store.h"

namespace herald {

struct ReportRequest {
  std::string_view campaign;
  std::string_view from;
  std::string_view to;
  std::string_view timezone;
  std::string_view by;
};

// The longest period one report may cover.
inline constexpr int kMaxReportDays = 800;

// InvalidArgument names the parameter and what was expected, e.g. "from: '2026-13-01' is
// not a date (YYYY-MM-DD) or an RFC 3339 time", "tz: unknown time zone 'Mars/Base'",
// "to: the period ends before it starts", "by: expected day, rule, locale or channel".
Result<ReportQuery> ParseReportRequest(const ReportRequest& r, Micros now, ZoneCache& zones);

std::string_view ReportGroupName(ReportGroup g);  // "", "day", "rule", "locale", "channel"

// The local date ("2026-11-01") of `instant` in `zone`.
std::string LocalDate(Micros instant, const Zone& zone);

}  // namespace herald
