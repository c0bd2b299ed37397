// herald report: a campaign's report from a running engine, as a table, CSV or JSON.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/report_client.h"
#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/report/report_format.h"

namespace herald::cli {
namespace {

constexpr const char* kHelp =
    R"(Usage: herald report --url URL --key KEY --campaign ID [--from DATE] [--to DATE]
                     [--tz ZONE] [--by day|rule|locale|channel] [--format table|csv|json]

Prints a campaign's report from a running engine (GET /v1/reports/campaigns/{id}).
--from and --to are dates (YYYY-MM-DD, both included, in --tz) or RFC 3339 times; by
default the last 30 days. --tz is an IANA zone (default UTC). --format table (default)
prints the main metrics per row and the total; csv and json print what the API returns.
The key needs the admin scope; it may also come from HERALD_API_KEY. Definitions of
every metric: docs/reports.md. Exits 1 when the engine refuses the request, 2 on usage.
)";

// The table's columns: the main metrics (the CSV and JSON have every one).
constexpr const char* kColumns[] = {
    "sent",      "reached",    "unique_human_opens", "unique_machine_opens", "unique_clicks",
    "open_rate", "click_rate", "engagement_rate",    "unsubscribes",         "sms_opt_outs"};

std::string CellText(const nlohmann::json& row, const char* name) {
  const nlohmann::json& v = row.contains(name) ? row[name] : nlohmann::json(nullptr);
  for (const MetricColumn& c : MetricColumns()) {
    if (c.name != name) continue;
    if (c.kind == MetricKind::kRate) {
      return FormatRate(v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt);
    }
  }
  return v.is_number() ? std::to_string(v.get<int64_t>()) : "—";
}

// Display width of UTF-8 text (the em dash is one column).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void PrintTable(const nlohmann::json& j) {
  std::printf("campaign %s, %s to %s (%s)\n", j.value("campaign", "").c_str(),
              j.value("from", "").c_str(), j.value("to", "").c_str(),
              j.value("timezone", "").c_str());
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {j["by"].is_string() ? j["by"].get<std::string>() : ""};
  for (const char* c : kColumns) {
    for (const MetricColumn& m : MetricColumns()) {
      if (m.name == c) header.emplace_back(m.label);
    }
  }
  rows.push_back(header);
  if (j["by"].is_string()) {
    for (const nlohmann::json& r : j["rows"]) {
      std::vector<std::string> line = {r.value("key", "")};
      for (const char* c : kColumns) line.push_back(CellText(r, c));
      rows.push_back(line);
    }
  }
  std::vector<std::string> total = {"total"};
  for (const char* c : kColumns) total.push_back(CellText(j["totals"], c));
  rows.push_back(total);
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], Width(r[i]));
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(widths[i] - Width(r[i]), ' ');
      line += i == 0 ? r[i] + pad : "  " + pad + r[i];  // numbers right-aligned
    }
    std::printf("%s\n", line.c_str());
  }
  if (!j["links"].empty()) {
    std::printf("\nclicks per link (human / machine)\n");
    for (const nlohmann::json& l : j["links"]) {
      std::printf("  %s  %lld / %lld\n", l.value("link", "").c_str(),
                  static_cast<long long>(l.value("human_clicks", 0)),
                  static_cast<long long>(l.value("machine_clicks", 0)));
    }
  }
  if (!j["failures"].empty()) {
    std::printf("\nnot delivered, by reason\n");
    for (const nlohmann::json& f : j["failures"]) {
      std::printf("  %s %s: %lld\n", f.value("status", "").c_str(), f.value("reason", "").c_str(),
                  static_cast<long long>(f.value("count", 0)));
    }
  }
}

}  // namespace

int RunReport(int argc, char** argv, int first) {
  ParsedArgs args = ParseArgs(argc, argv, first,
                              {"url", "key", "campaign", "from", "to", "tz", "by", "format"}, {});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  std::optional<std::string> key = args.Get("key");
  if (!key) {
    if (const char* env = std::getenv("HERALD_API_KEY")) key = env;
  }
  const std::string format = args.Get("format").value_or("table");
  std::string problem = args.error;
  if (problem.empty() && !args.positional.empty())
    problem = "unexpected argument " + args.positional[0];
  if (problem.empty() && (!args.Get("url") || !key || !args.Get("campaign"))) {
    problem = "--url, --key and --campaign are required";
  }
  if (problem.empty() && format != "table" && format != "csv" && format != "json") {
    problem = "--format wants table, csv or json";
  }
  if (!problem.empty()) {
    std::fprintf(stderr, "herald report: %s\n\n%s", problem.c_str(), kHelp);
    return 2;
  }
  ReportFetch fetch;
  fetch.campaign = *args.Get("campaign");
  fetch.from = args.Get("from").value_or("");
  fetch.to = args.Get("to").value_or("");
  fetch.tz = args.Get("tz").value_or("");
  fetch.by = args.Get("by").value_or("");
  fetch.format = format == "csv" ? "csv" : "json";
  Result<ReportReply> reply = FetchReport(*args.Get("url"), *key, fetch);
  if (!reply.ok()) {
    std::fprintf(stderr, "herald report: %s\n", reply.status().message().c_str());
    return reply.status().IsInvalidArgument() ? 2 : 1;
  }
  if (reply->status != 200) {
    const nlohmann::json body = nlohmann::json::parse(reply->body, nullptr, false);
    const nlohmann::json error =
        body.is_object() && body.contains("error") && body["error"].is_object()
            ? body["error"]
            : nlohmann::json::object();
    std::fprintf(stderr, "herald report: HTTP %d: %s\n", reply->status,
                 error.value("message", std::string("no details")).c_str());
    return 1;
  }
  if (format != "table") {
    std::fputs(reply->body.c_str(), stdout);
    if (format == "json") std::fputc('\n', stdout);
    return 0;
  }
  const nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("totals")) {
    std::fprintf(stderr, "herald report: the engine's answer is not a report\n");
    return 1;
  }
  PrintTable(j);
  return 0;
}

}  // namespace herald::cli
