#include "engine/report/report_format.h"

#include <doctest/doctest.h>

#include "engine/core/time_format.h"

namespace herald {
namespace {

Counters Of(const CounterDelta& d) {
  Counters c;
  REQUIRE(c.AddEncoded(EncodeCounters(d)));
  return c;
}

// Two days of a campaign: day 1 sent 4, bounced 1 (reached 3), 2 human opens, 1 click;
// day 2 sent 2, nothing opened. Totals: reached 5, open rate 2/5, click rate 1/5.
struct Sample {
  ReportQuery q;
  CampaignReport r;
  Sample() {
    q.campaign = "snap";
    q.from = *ParseRfc3339("2026-11-01T00:00:00Z");
    q.to = *ParseRfc3339("2026-11-03T00:00:00Z");
    q.group = ReportGroup::kDay;
    const Counters d1 = Of({{kCreated, 5},
                            {kSent, 4},
                            {kBounced, 1},
                            {kFailed, 1},
                            {kOpensHuman, 3},
                            {kOpensMachine, 2},
                            {kUniqueOpens, 2},
                            {kUniqueMachineOpens, 2},
                            {kClicksHuman, 1},
                            {kUniqueClicks, 1},
                            {kUniqueEmailClicks, 1},
                            {kUniqueEngaged, 2}});
    const Counters d2 = Of({{kCreated, 2}, {kSent, 2}});
    r.rows = {{"2026-11-01", d1}, {"=2026-11-02", d2}};
    r.total = d1;
    r.total.Add(d2);
    r.links = {{"https://benefits.example.org/upload", 1, 0}};
    r.reasons = {{"failed", "permanent", 1}};
  }
};

TEST_CASE("JSON: totals, rows, links, failures, null rates for empty denominators") {
  Sample s;
  const nlohmann::json j = ReportToJson(s.q, s.r);
  CHECK(j["campaign"] == "snap");
  CHECK(j["from"] == "2026-11-01T00:00:00Z");
  CHECK(j["to"] == "2026-11-03T00:00:00Z");
  CHECK(j["by"] == "day");
  CHECK(j["totals"]["sent"] == 6);
  CHECK(j["totals"]["reached"] == 5);
  CHECK(j["totals"]["unique_human_opens"] == 2);
  CHECK(j["totals"]["unique_machine_opens"] == 2);
  CHECK(j["totals"]["open_rate"] == doctest::Approx(0.4));
  CHECK(j["totals"]["click_rate"] == doctest::Approx(0.2));
  CHECK(j["totals"]["click_to_open_rate"] == doctest::Approx(0.5));
  CHECK(j["totals"]["median_time_to_first_open_seconds"].is_null());
  REQUIRE(j["rows"].size() == 2);
  CHECK(j["rows"][0]["key"] == "2026-11-01");
  CHECK(j["rows"][0]["open_rate"] == doctest::Approx(0.6667));
  CHECK(j["rows"][1]["open_rate"] == 0.0);
  CHECK(j["links"][0]["link"] == "https://benefits.example.org/upload");
  CHECK(j["failures"][0]["reason"] == "permanent");
  for (const MetricColumn& c : MetricColumns()) {
    CAPTURE(c.name);
    CHECK(j["totals"].contains(std::string(c.name)));
  }
}

TEST_CASE("CSV: a header, a line per row and a total; formulas are defused") {
  Sample s;
  const std::string csv = ReportToCsv(s.q, s.r);
  CHECK(csv.rfind("by,key,created,sent,delivered,", 0) == 0);
  CHECK(csv.find("\r\nday,2026-11-01,5,4,0,1,1,") != std::string::npos);
  CHECK(csv.find("\r\nday,'=2026-11-02,2,2,") != std::string::npos);
  CHECK(csv.find("\r\ntotal,,7,6,") != std::string::npos);
  CHECK(csv.find(",0.4000,") != std::string::npos);  // the total's open rate
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  CHECK(lines == 4);
}

TEST_CASE("people's formats") {
  CHECK(FormatRate(std::nullopt) == "—");
  CHECK(FormatRate(0.4251) == "42.5%");
  CHECK(FormatSeconds(std::nullopt) == "—");
  CHECK(FormatSeconds(45) == "45 s");
  CHECK(FormatSeconds(600) == "10 min");
  CHECK(FormatSeconds(3 * 3600) == "3.0 h");
  CHECK(FormatSeconds(3 * 86400) == "3.0 days");
}

}  // namespace
}  // namespace herald
