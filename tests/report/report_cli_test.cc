// `herald report` against a seeded server: the table, CSV and JSON, and its errors.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "tests/report/report_server.h"

namespace herald {
namespace {

using namespace herald::testing;

struct Out {
  int code = -1;
  std::string text;
};

// Runs `herald report <args>` (stdout and stderr together) and waits for it.
Out Report(const std::string& args) {
  Out out;
  FILE* p = popen((std::string(HERALD_BINARY) + " report " + args + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  const int status = pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST_CASE("herald report prints the table, CSV and JSON") {
  ReportServer s;
  const std::string base = "--url " + s.origin() + " --key " + kReportAdminKey +
                           " --campaign snap --from 2026-01-01 --to 2026-01-03";
  Out table = Report(base + " --by channel");
  CHECK(table.code == 0);
  INFO(table.text);
  CHECK(table.text.find("campaign snap, 2026-01-01T00:00:00Z to 2026-01-04T00:00:00Z (UTC)") == 0);
  CHECK(table.text.find("Open rate") != std::string::npos);
  CHECK(table.text.find("\nemail ") != std::string::npos);
  CHECK(table.text.find("\ntotal ") != std::string::npos);
  CHECK(table.text.find("66.7%") != std::string::npos);
  CHECK(table.text.find("https://benefits.gov/apply  1 / 1") != std::string::npos);

  Out csv = Report(base + " --format csv");
  CHECK(csv.code == 0);
  CHECK(csv.text.find("\r\ntotal,,6,4,") != std::string::npos);
  Out json = Report(base + " --format json --tz America/New_York --by day");
  CHECK(json.code == 0);
  CHECK(nlohmann::json::parse(json.text)["rows"].size() == 2);
}

TEST_CASE("herald report errors") {
  ReportServer s;
  const std::string url = "--url " + s.origin();
  Out bad = Report(url + " --key " + kReportAdminKey + " --campaign snap --tz Mars/Base");
  CHECK(bad.code == 1);
  CHECK(bad.text.find("HTTP 400: tz: unknown time zone") != std::string::npos);
  Out unknown = Report(url + " --key " + kReportAdminKey + " --campaign nope");
  CHECK(unknown.code == 1);
  CHECK(unknown.text.find("HTTP 404") != std::string::npos);
  Out forbidden = Report(url + " --key " + std::string(kReportIngestKey) + " --campaign snap");
  CHECK(forbidden.code == 1);
  CHECK(forbidden.text.find("HTTP 403") != std::string::npos);
  CHECK(Report("--campaign snap").code == 2);
  CHECK(Report(url + " --key k --campaign snap --format xml").code == 2);
  CHECK(Report("--help").code == 0);
}

}  // namespace
}  // namespace herald
