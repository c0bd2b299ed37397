// A campaign report as the API's JSON, as CSV, and the columns both share (the dashboard
// uses them too), so every surface names and computes each metric the same way. The
// definitions are in docs/reports.md. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/track/metrics.h"
#include "engine/track/track_store.h"

namespace herald {

enum class MetricKind { kCount, kRate, kSeconds };

struct MetricColumn {
  std::string_view name;   // JSON field and CSV header: "unique_human_opens"
  std::string_view label;  // for people: "Estimated human opens"
  MetricKind kind = MetricKind::kCount;
};

// Every metric column, in display order.
const std::vector<MetricColumn>& MetricColumns();

// The value of column `name` in `m`: counts as integers, rates as fractions 0..1, medians
// in seconds; nullopt for a rate with a zero denominator or a median with no sample.
std::optional<double> MetricValue(const Metrics& m, std::string_view name);

// {"campaign", "from", "to" (RFC 3339), "timezone", "by", "totals": {...},
//  "rows": [{"key", ...}], "links": [{"link", "human_clicks", "machine_clicks"}],
//  "failures": [{"status", "reason", "count"}], "definitions": "docs/reports.md"}
// Rates with a zero denominator and medians without samples are null.
nlohmann::json ReportToJson(const ReportQuery& q, const CampaignReport& r);

// One header line ("by,key,<columns>") and a line per row, then "total" (CRLF line
// ends, RFC 4180 quoting). A cell that a spreadsheet would read as a formula (starting
// with = + - @ or a tab) is prefixed with an apostrophe.
std::string ReportToCsv(const ReportQuery& q, const CampaignReport& r);

// A rate as people read it: "42.5%", or "—" when there is none.
std::string FormatRate(std::optional<double> rate);
// A duration in seconds as "45 s", "12 min", "3.5 h", "2.1 days"; "—" when none.
std::string FormatSeconds(std::optional<double> seconds);

}  // namespace herald
