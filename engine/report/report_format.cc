#include "engine/report/report_format.h"

#include <cmath>
#include <cstdio>

#include "engine/core/time_format.h"
#include "engine/report/report_period.h"

namespace herald {
namespace {

std::optional<double> Seconds(std::optional<Micros> m) {
  if (!m) return std::nullopt;
  return static_cast<double>(*m) / 1e6;
}

std::string CsvCell(std::string_view s) {
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t')) {
    v.insert(v.begin(), '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvNumber(std::optional<double> v, MetricKind kind) {
  if (!v) return "";
  char buf[32];
  if (kind == MetricKind::kCount) {
    std::snprintf(buf, sizeof buf, "%.0f", *v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", *v);
  }
  return buf;
}

nlohmann::json MetricsJson(const Metrics& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const MetricColumn& c : MetricColumns()) {
    std::optional<double> v = MetricValue(m, c.name);
    if (!v) {
      j[std::string(c.name)] = nullptr;
    } else if (c.kind == MetricKind::kCount) {
      j[std::string(c.name)] = static_cast<int64_t>(std::llround(*v));
    } else {
      j[std::string(c.name)] = std::round(*v * 10000) / 10000;  // 4 decimals
    }
  }
  return j;
}

}  // namespace

const std::vector<MetricColumn>& MetricColumns() {
  static const std::vector<MetricColumn> kColumns = {
      {"created", "Created", MetricKind::kCount},
      {"sent", "Sent", MetricKind::kCount},
      {"delivered", "Delivered", MetricKind::kCount},
      {"bounced", "Bounced", MetricKind::kCount},
      {"failed", "Failed", MetricKind::kCount},
      {"suppressed", "Suppressed", MetricKind::kCount},
      {"cancelled", "Cancelled", MetricKind::kCount},
      {"reached", "Reached", MetricKind::kCount},
      {"unique_human_opens", "Estimated human opens", MetricKind::kCount},
      {"unique_machine_opens", "Machine opens", MetricKind::kCount},
      {"human_opens", "Human open events", MetricKind::kCount},
      {"machine_opens", "Machine open events", MetricKind::kCount},
      {"unique_clicks", "Unique clicks", MetricKind::kCount},
      {"human_clicks", "Human clicks", MetricKind::kCount},
      {"machine_clicks", "Machine clicks", MetricKind::kCount},
      {"unsubscribes", "Unsubscribes", MetricKind::kCount},
      {"sms_opt_outs", "SMS opt-outs", MetricKind::kCount},
      {"sms_opt_ins", "SMS opt-ins", MetricKind::kCount},
      {"open_rate", "Open rate", MetricKind::kRate},
      {"click_rate", "Click rate", MetricKind::kRate},
      {"click_to_open_rate", "Click-to-open rate", MetricKind::kRate},
      {"engagement_rate", "Engagement rate", MetricKind::kRate},
      {"median_event_to_send_seconds", "Median time from case event to send", MetricKind::kSeconds},
      {"median_time_to_first_open_seconds", "Median time to first open", MetricKind::kSeconds},
  };
  return kColumns;
}

std::optional<double> MetricValue(const Metrics& m, std::string_view name) {
  auto count = [](int64_t v) { return std::optional<double>(static_cast<double>(v)); };
  if (name == "created") return count(m.created);
  if (name == "sent") return count(m.sent);
  if (name == "delivered") return count(m.delivered);
  if (name == "bounced") return count(m.bounced);
  if (name == "failed") return count(m.failed);
  if (name == "suppressed") return count(m.suppressed);
  if (name == "cancelled") return count(m.cancelled);
  if (name == "reached") return count(m.reached);
  if (name == "unique_human_opens") return count(m.unique_human_opens);
  if (name == "unique_machine_opens") return count(m.unique_machine_opens);
  if (name == "human_opens") return count(m.human_opens);
  if (name == "machine_opens") return count(m.machine_opens);
  if (name == "unique_clicks") return count(m.unique_clicks);
  if (name == "human_clicks") return count(m.human_clicks);
  if (name == "machine_clicks") return count(m.machine_clicks);
  if (name == "unsubscribes") return count(m.unsubscribes);
  if (name == "sms_opt_outs") return count(m.sms_opt_outs);
  if (name == "sms_opt_ins") return count(m.sms_opt_ins);
  if (name == "open_rate") return m.open_rate;
  if (name == "click_rate") return m.click_rate;
  if (name == "click_to_open_rate") return m.click_to_open_rate;
  if (name == "engagement_rate") return m.engagement_rate;
  if (name == "median_event_to_send_seconds") return Seconds(m.median_event_to_send);
  if (name == "median_time_to_first_open_seconds") return Seconds(m.median_time_to_first_open);
  return std::nullopt;
}

nlohmann::json ReportToJson(const ReportQuery& q, const CampaignReport& r) {
  nlohmann::json j;
  j["campaign"] = q.campaign;
  j["from"] = FormatRfc3339(q.from);
  j["to"] = FormatRfc3339(q.to);
  j["timezone"] = q.timezone;
  j["by"] = q.group == ReportGroup::kNone ? nlohmann::json(nullptr)
                                          : nlohmann::json(std::string(ReportGroupName(q.group)));
  j["totals"] = MetricsJson(DeriveMetrics(r.total));
  nlohmann::json rows = nlohmann::json::array();
  for (const ReportRow& row : r.rows) {
    nlohmann::json o = MetricsJson(DeriveMetrics(row.counters));
    o["key"] = row.key;
    rows.push_back(std::move(o));
  }
  j["rows"] = std::move(rows);
  nlohmann::json links = nlohmann::json::array();
  for (const LinkClicks& l : r.links) {
    links.push_back(
        {{"link", l.link}, {"human_clicks", l.human_clicks}, {"machine_clicks", l.machine_clicks}});
  }
  j["links"] = std::move(links);
  nlohmann::json failures = nlohmann::json::array();
  for (const ReasonCount& f : r.reasons) {
    failures.push_back({{"status", f.status}, {"reason", f.reason}, {"count", f.count}});
  }
  j["failures"] = std::move(failures);
  j["definitions"] = "docs/reports.md";
  return j;
}

std::string ReportToCsv(const ReportQuery& q, const CampaignReport& r) {
  std::string out = "by,key";
  for (const MetricColumn& c : MetricColumns()) {
    out += ",";
    out += c.name;
  }
  out += "\r\n";
  auto line = [&](std::string_view by, std::string_view key, const Counters& counters) {
    const Metrics m = DeriveMetrics(counters);
    out += CsvCell(by);
    out += ",";
    out += CsvCell(key);
    for (const MetricColumn& c : MetricColumns()) {
      out += ",";
      out += CsvNumber(MetricValue(m, c.name), c.kind);
    }
    out += "\r\n";
  };
  const std::string_view by = ReportGroupName(q.group);
  for (const ReportRow& row : r.rows) line(by, row.key, row.counters);
  line("total", "", r.total);
  return out;
}

std::string FormatRate(std::optional<double> rate) {
  if (!rate) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", *rate * 100);
  return buf;
}

std::string FormatSeconds(std::optional<double> seconds) {
  if (!seconds) return "—";
  char buf[32];
  const double s = *seconds;
  if (s < 90) {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  } else if (s < 90 * 60) {
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  } else if (s < 36 * 3600) {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f days", s / 86400);
  }
  return buf;
}

}  // namespace herald
