// The herald binary end to end: version and help, validate's exit codes and positions,
// and serve + ingest against a real process, including what the logs may not contain.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/cli/subprocess.h"
#include "tests/test_util.h"

using herald::testing::Child;
using herald::testing::ReadFile;
using herald::testing::Run;
using herald::testing::TempDir;

namespace {

const std::string kHerald = HERALD_BINARY;
const std::string kSamples = std::string(HERALD_SOURCE_DIR) + "/samples";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Reads the server's stdout until the banner names its port; 0 if it never does.
int WaitForPort(Child& child) {
  const std::regex api(R"(API +http://127\.0\.0\.1:(\d+))");
  std::smatch m;
  const std::string out =
      child.ReadStdoutUntil([&](const std::string& text) { return std::regex_search(text, api); });
  if (!std::regex_search(out, m, api)) return 0;
  return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("--version and --help") {
  TempDir dir;
  auto v = Run({kHerald, "--version"}, dir.str());
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("herald ", 0) == 0);
  for (const char* cmd : {"serve", "validate", "ingest"}) {
    auto h = Run({kHerald, cmd, "--help"}, dir.str());
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("Usage: herald " + std::string(cmd)) != std::string::npos);
  }
  auto bad = Run({kHerald, "frobnicate"}, dir.str());
  CHECK(bad.exit_code == 2);
  auto bad_flag = Run({kHerald, "serve", "--no-such-flag"}, dir.str());
  CHECK(bad_flag.exit_code == 2);
  CHECK(bad_flag.err.find("unknown option --no-such-flag") != std::string::npos);
}

TEST_CASE("validate: the samples and the embedded default are valid") {
  TempDir dir;
  auto file = Run({kHerald, "validate", "--config", kSamples + "/herald.yaml"}, dir.str());
  CHECK(file.exit_code == 0);
  CHECK(file.out.find("OK") != std::string::npos);
  CHECK(file.out.find("1 campaign(s), 3 rule(s)") != std::string::npos);
  auto embedded = Run({kHerald, "validate"}, dir.str());
  CHECK(embedded.exit_code == 0);
}

TEST_CASE("validate: every error with file:line:column, exit 1") {
  TempDir dir;
  const std::string path = dir.str() + "/herald.yaml";
  WriteFile(path,
            "data_dir: ./data\n"
            "listen: 127.0.0.1:99999\n"
            "api_keys:\n"
            "  - id: ops\n"
            "    sha256: nothex\n"
            "    scopes: [admin]\n"
            "colour: blue\n");
  auto r = Run({kHerald, "validate", "--config", path}, dir.str());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(path + ":2:") != std::string::npos);
  CHECK(r.err.find(path + ":5:") != std::string::npos);
  CHECK(r.err.find(path + ":7:1:") != std::string::npos);
  auto missing = Run({kHerald, "validate", "--config", dir.str() + "/nope.yaml"}, dir.str());
  CHECK(missing.exit_code == 1);
}

TEST_CASE("validate: campaign errors with file:line:column, exit 1") {
  TempDir dir;
  const std::string config = dir.str() + "/herald.yaml";
  WriteFile(config, "api_keys:\n  - {id: a, sha256: " + std::string(64, 'a') +
                        ", scopes: [ingest]}\n"
                        "campaigns: ./campaigns\n"
                        "templates: " +
                        kSamples + "/templates\n");
  // No campaigns directory yet: that is an error when the file names one.
  auto missing = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("campaigns: the campaigns directory does not exist") != std::string::npos);

  std::filesystem::create_directories(dir.str() + "/campaigns");
  auto empty = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.find("0 campaign(s), 0 rule(s)") != std::string::npos);
  CHECK(empty.out.find("0 campaigns") != std::string::npos);

  const std::string a = dir.str() + "/campaigns/a.yaml";
  const std::string b = dir.str() + "/campaigns/b.yaml";
  WriteFile(a,
            "campaign: a\n"
            "locales: [en, es]\n"
            "rules:\n"
            "  - id: r1\n"
            "    on: case.status_changed\n"
            "    when: status == \"approved\n"
            "    send: status-update\n");
  WriteFile(b,
            "campaign: b\n"
            "locales: [en, fr]\n"
            "timezone: Mars/Olympus\n"
            "rules:\n"
            "  - {id: r1, on: case.closed, send: status-update, chanels: all}\n");
  auto r = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("OK") == std::string::npos);
  const size_t when = r.err.find(a +
                                 ":6:21: when: unterminated string\n"
                                 "  status == \"approved\n"
                                 "            ^\n");
  const size_t tz = r.err.find(b + ":3:11: timezone: unknown time zone 'Mars/Olympus'");
  const size_t fr = r.err.find(b + ":5:37: send: template 'status-update' has no 'fr' version");
  const size_t key =
      r.err.find(b + ":5:52: rule 'r1': unknown key 'chanels' (did you mean 'channels'?)");
  CHECK(when != std::string::npos);
  CHECK(tz != std::string::npos);
  CHECK(fr != std::string::npos);
  CHECK(key != std::string::npos);
  CHECK(when < tz);
  CHECK(tz < fr);
  CHECK(fr < key);
  CHECK(r.err.find("4 error(s)") != std::string::npos);
}

TEST_CASE("serve + ingest: the samples are accepted once, logs carry no personal data") {
  TempDir dir;
  const std::string err = dir.str() + "/serve.err";
  Child server({kHerald, "serve", "--config", kSamples + "/herald.yaml", "--listen", "127.0.0.1:0",
                "--data-dir", dir.str() + "/data"},
               "", err);
  const int port = WaitForPort(server);
  REQUIRE(port > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string events = kSamples + "/events.ndjson";

  auto first =
      Run({kHerald, "ingest", "--url", url, "--key", "herald-dev-key", "--batch", "5", events},
          dir.str());
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("12 accepted, 0 duplicate, 0 rejected") != std::string::npos);
  auto again = Run({kHerald, "ingest", "--url", url, "--key", "herald-dev-key", events}, dir.str());
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("0 accepted, 12 duplicate, 0 rejected") != std::string::npos);

  const std::string bad_path = dir.str() + "/bad.ndjson";
  WriteFile(
      bad_path,
      "{\"id\":\"b1\",\"case_id\":\"c\",\"type\":\"t\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}\n"
      "\n"
      "{\"id\":\"b2\",\"case_id\":\"c\",\"type\":\"t\",\"occurred_at\":\"yesterday\"}\n");
  auto bad = Run({kHerald, "ingest", "--url", url, "--key", "herald-dev-key", bad_path}, dir.str());
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("0 accepted, 0 duplicate, 2 rejected") != std::string::npos);
  CHECK(bad.err.find("event on line 3: occurred_at") != std::string::npos);

  auto wrong_key = Run({kHerald, "ingest", "--url", url, "--key", "nope", events}, dir.str());
  CHECK(wrong_key.exit_code == 1);

  kill(server.pid(), SIGTERM);
  const std::string server_out = server.ReadStdoutUntil([](const std::string&) { return false; });
  CHECK(server.Wait() == 0);
  // Privacy: nothing the engine printed names a recipient of the sample events.
  const std::string logs = server_out + ReadFile(err);
  for (const char* secret : {"maria.garcia@example.org", "+13125550143", "lan.nguyen@example.org",
                             "+17185550188", "ahmad.haddad@example.org"}) {
    CAPTURE(secret);
    CHECK(logs.find(secret) == std::string::npos);
  }
  CHECK(logs.find("stopped") != std::string::npos);
}
