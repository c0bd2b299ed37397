#include "engine/report/report_period.h"

#include <doctest/doctest.h>

#include "engine/core/time_format.h"

namespace herald {
namespace {

Micros T(const char* rfc3339) {
  return *ParseRfc3339(rfc3339);
}

Result<ReportQuery> Parse(ReportRequest r, const char* now = "2026-11-22T15:00:00Z") {
  static ZoneCache zones;
  if (r.campaign.empty()) r.campaign = "snap";
  return ParseReportRequest(r, T(now), zones);
}

TEST_CASE("local dates include both days, in the report's time zone") {
  Result<ReportQuery> q = Parse({"snap", "2026-11-01", "2026-11-07", "America/New_York", "day"});
  REQUIRE(q.ok());
  CHECK(q->from == T("2026-11-01T04:00:00Z"));  // EDT until 2 am on Nov 1
  CHECK(q->to == T("2026-11-08T05:00:00Z"));    // EST after
  CHECK(q->group == ReportGroup::kDay);
  CHECK(q->timezone == "America/New_York");
}

TEST_CASE("RFC 3339 bounds are instants, `to` excluded") {
  Result<ReportQuery> q = Parse({"snap", "2026-11-01T00:00:00Z", "2026-11-02T12:00:00Z", "", ""});
  REQUIRE(q.ok());
  CHECK(q->from == T("2026-11-01T00:00:00Z"));
  CHECK(q->to == T("2026-11-02T12:00:00Z"));
  CHECK(q->group == ReportGroup::kNone);
  CHECK(q->timezone == "UTC");
}

TEST_CASE("the default period: 30 local days up to and including today") {
  Result<ReportQuery> q = Parse({"snap", "", "", "Asia/Tokyo", "channel"});
  REQUIRE(q.ok());
  // 15:00Z on Nov 22 is 00:00 on Nov 23 in Tokyo: today there is the 23rd.
  CHECK(q->to == T("2026-11-23T15:00:00Z"));
  CHECK(q->from == T("2026-10-24T15:00:00Z"));
  CHECK(q->group == ReportGroup::kChannel);
}

TEST_CASE("errors name the parameter") {
  CHECK(Parse({"snap", "2026-13-01", "", "", ""}).status().message() ==
        "from: '2026-13-01' is not a date (YYYY-MM-DD) or an RFC 3339 time");
  CHECK(Parse({"snap", "", "yesterday", "", ""}).status().message() ==
        "to: 'yesterday' is not a date (YYYY-MM-DD) or an RFC 3339 time");
  CHECK(Parse({"snap", "", "", "Mars/Base", ""}).status().message() ==
        "tz: unknown time zone 'Mars/Base'");
  CHECK(Parse({"snap", "", "", "", "week"}).status().message() ==
        "by: expected day, rule, locale or channel");
  CHECK(Parse({"snap", "2026-11-05", "2026-11-01", "", ""}).status().message() ==
        "to: the period ends before it starts");
  CHECK(Parse({"snap", "2020-01-01", "2026-01-01", "", ""}).status().message() ==
        "to: a report covers at most 800 days");
  CHECK(Parse({"snap", std::string(5000, 'x'), "", "", ""}).status().message().size() < 200);
}

}  // namespace
}  // namespace herald
