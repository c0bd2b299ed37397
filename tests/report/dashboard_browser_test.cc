// The dashboard in a real browser: Debian's headless chromium signs in with a one-time
// link against a server seeded with the known fixture (tests/report/report_server.h),
// the test checks the numbers in the rendered DOM, then saves a screenshot to
// <build>/artifacts/dashboard.png. Chromium is a hard requirement (CI installs it with
// scripts/install_deps.sh): without it the test fails, it does not skip. No sleeps: the
// test only waits for the chromium process to exit.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/report/report_server.h"

extern char** environ;

namespace herald {
namespace {

using namespace herald::testing;

constexpr const char* kChromium = "/usr/bin/chromium";

struct Run {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs chromium headless with `extra` arguments and `url`, waiting for it to exit.
Run Chromium(const std::string& profile_dir, const std::vector<std::string>& extra,
             const std::string& url) {
  std::vector<std::string> args = {kChromium,
                                   "--headless=new",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + profile_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  const std::string out_path = profile_dir + ".out", err_path = profile_dir + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Run run;
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, kChromium, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return run;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

bool Has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

TEST_CASE("the dashboard in headless chromium shows the fixture's numbers") {
  REQUIRE_MESSAGE(access(kChromium, X_OK) == 0,
                  "chromium is not installed at /usr/bin/chromium: run scripts/install_deps.sh "
                  "(CI installs it); this test does not skip");
  ReportServer s("SNAP renewal");
  TempDir profiles;
  const std::string next =
      R"({"next": "/reports/campaigns/snap?from=2026-01-01&to=2026-01-03&tz=UTC"})";

  // 1. The DOM: the link signs the browser in (cookie), which lands on the campaign page.
  const Run dom =
      Chromium(profiles.str() + "/dom", {"--dump-dom"}, s.origin() + s.MintLinkPath(next));
  INFO("chromium stderr: ", dom.err.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  const std::string& html = dom.out;
  REQUIRE_MESSAGE(Has(html, "<h1>SNAP renewal</h1>"), html.substr(0, 2000));
  CHECK(Has(html, "data-metric=\"sent\">4<"));
  CHECK(Has(html, "data-metric=\"reached\">3<"));
  CHECK(Has(html, "data-metric=\"unique_human_opens\">2<"));
  CHECK(Has(html, "data-metric=\"unique_machine_opens\">2<"));
  CHECK(Has(html, "data-metric=\"unique_clicks\">2<"));
  CHECK(Has(html, "data-metric=\"open_rate\">66.7%<"));
  CHECK(Has(html, "data-metric=\"click_to_open_rate\">50.0%<"));
  CHECK(Has(html, "data-metric=\"engagement_rate\">100.0%<"));
  CHECK(Has(html, "machine opens: 2"));
  CHECK(Has(html, "<code>https://benefits.gov/apply</code>"));
  CHECK(Has(html, "<th scope=\"row\">es</th>"));
  CHECK(Has(html, "<th scope=\"row\">2026-01-02</th><td class=\"n\">4</td>"));
  CHECK_FALSE(Has(html, "Sign in to the reports"));

  // 2. A screenshot of the same page with a fresh profile and link.
  const std::filesystem::path artifacts = HERALD_ARTIFACTS_DIR;
  std::filesystem::create_directories(artifacts);
  const std::filesystem::path png = artifacts / "dashboard.png";
  std::filesystem::remove(png);
  const Run shot = Chromium(profiles.str() + "/shot",
                            {"--screenshot=" + png.string(), "--window-size=1280,1800"},
                            s.origin() + s.MintLinkPath(next));
  INFO("chromium stderr: ", shot.err.substr(0, 2000));
  REQUIRE(shot.exit_code == 0);
  REQUIRE(std::filesystem::exists(png));
  const std::string bytes = ReadFile(png.string());
  CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  CHECK(bytes.size() > 20000);  // a blank 1280x1800 page compresses to a few KB
  MESSAGE("screenshot: ", png.string(), " (", bytes.size(), " bytes)");
}

}  // namespace
}  // namespace herald
