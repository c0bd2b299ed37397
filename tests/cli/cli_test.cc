// The herald binary end to end: version and help, validate's exit codes and positions,
// and serve + ingest against a real process, including what the logs may not contain.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

  // /metrics carries dispatch's counters beside the API's.
  auto metrics = Run({"/usr/bin/python3", "-c",
                      "import sys, urllib.request\n"
                      "print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                      url + "/metrics"},
                     dir.str());
  CHECK(metrics.exit_code == 0);
  CHECK(metrics.out.find("# TYPE herald_dispatch_intents_total counter") != std::string::npos);
  CHECK(metrics.out.find("\nherald_dispatch_ready ") != std::string::npos);
  CHECK(metrics.out.find("herald_http_requests_total") != std::string::npos);

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
  // What serve created holds personal data: nothing in it is readable by group or others.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.str() + "/data")) {
    const auto perms = e.status().permissions();
    CAPTURE(e.path().string());
    CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  }
}

namespace {

// The NDJSON lines of `out`, parsed; a line that is not JSON fails the test.
std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < out.size()) {
    const size_t nl = out.find('\n', start);
    const std::string line = out.substr(start, nl == std::string::npos ? nl : nl - start);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    CHECK_MESSAGE(!j.is_discarded(), line);
    lines.push_back(std::move(j));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

// The lines with these field values.
std::vector<nlohmann::json> Matching(const std::vector<nlohmann::json>& lines,
                                     const nlohmann::json& fields) {
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& l : lines) {
    bool all = true;
    for (const auto& [k, v] : fields.items()) all = all && l.contains(k) && l[k] == v;
    if (all) out.push_back(l);
  }
  return out;
}

}  // namespace

TEST_CASE("simulate: the sample campaign over the sample events") {
  TempDir dir;
  const std::vector<std::string> cmd = {kHerald,    "simulate",
                                        "--config", kSamples + "/herald.yaml",
                                        "--events", kSamples + "/events.ndjson"};
  auto r = Run(cmd, dir.str());
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(!lines.empty());
  for (size_t i = 1; i < lines.size(); ++i) CHECK(lines[i - 1]["at"] <= lines[i]["at"]);

  // Every message line has exactly the contract's fields.
  for (const nlohmann::json& l : Matching(lines, {{"status", "sent"}})) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : l.items()) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"at", "body", "campaign", "case_id", "channel", "locale",
                                           "recipient_id", "rule", "segments", "status", "subject",
                                           "to"});
  }

  // SNAP-2026-0418: the documents arrived, so its reminder is cancelled, never sent.
  const auto cancelled =
      Matching(lines, {{"case_id", "SNAP-2026-0418"}, {"rule", "documents-reminder"}});
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0]["status"] == "cancelled");
  CHECK(cancelled[0]["at"] == "2026-03-05T11:20:00Z");
  CHECK(cancelled[0]["reason"] ==
        "while became false after event evt-0007 (case.documents_received)");
  // Its approval comes at 01:30 in Los Angeles: deferred to 08:00 PDT.
  const auto approval = Matching(lines, {{"case_id", "SNAP-2026-0418"}, {"rule", "status-update"}});
  REQUIRE(approval.size() == 2);
  CHECK(approval[0]["status"] == "deferred");
  CHECK(approval[0]["until"] == "2026-03-10T15:00:00Z");
  CHECK(approval[1]["status"] == "sent");
  CHECK(approval[1]["at"] == "2026-03-10T15:00:00Z");

  // SNAP-2026-0417: the interview moved from the 12th to the 15th, so the reminder goes
  // on the 13th (11:00 in Chicago, outside quiet hours), once, on sms and email, in
  // Spanish (es-MX).
  const auto interview =
      Matching(lines, {{"case_id", "SNAP-2026-0417"}, {"rule", "interview-reminder"}});
  REQUIRE(interview.size() == 2);
  nlohmann::json sms = interview[0];
  // Rendered as serve renders it: the Spanish SMS, within the campaign's segment limit.
  REQUIRE(sms["body"].is_string());
  CHECK(sms["body"].get<std::string>().find("STOP") != std::string::npos);
  CHECK(sms["body"].get<std::string>().find("{{") == std::string::npos);
  REQUIRE(sms["segments"].is_number_integer());
  CHECK(sms["segments"].get<int>() >= 1);
  CHECK(sms["segments"].get<int>() <= 2);
  sms.erase("body");
  sms.erase("segments");
  CHECK(sms == nlohmann::json{{"at", "2026-03-13T16:00:00Z"},
                              {"campaign", "snap-recertification"},
                              {"rule", "interview-reminder"},
                              {"case_id", "SNAP-2026-0417"},
                              {"recipient_id", "person-0417"},
                              {"channel", "sms"},
                              {"locale", "es"},
                              {"to", "+13125550143"},
                              {"subject", nullptr},
                              {"status", "sent"}});
  REQUIRE(interview[1]["subject"].is_string());
  CHECK(!interview[1]["subject"].get<std::string>().empty());
  CHECK(interview[1]["body"].get<std::string>().find("{{") == std::string::npos);
  CHECK(interview[1]["segments"].is_null());
  CHECK(interview[1]["channel"] == "email");
  CHECK(interview[1]["to"] == "maria.garcia@example.org");
  // Its documents reminder: three sends four days apart, on sms (their first channel).
  const auto docs =
      Matching(lines, {{"case_id", "SNAP-2026-0417"}, {"rule", "documents-reminder"}});
  REQUIRE(docs.size() == 3);
  CHECK(docs[0]["at"] == "2026-03-05T15:04:00Z");
  CHECK(docs[1]["at"] == "2026-03-09T15:04:00Z");
  CHECK(docs[2]["at"] == "2026-03-13T15:04:00Z");

  // SNAP-2026-0420 (Detroit): due 04:12 EST, deferred to 08:00 EST; the next one, after
  // the change to daylight saving time, to 08:00 EDT.
  const auto detroit = Matching(
      lines,
      {{"case_id", "SNAP-2026-0420"}, {"rule", "documents-reminder"}, {"status", "deferred"}});
  REQUIRE(detroit.size() == 3);
  CHECK(detroit[0]["until"] == "2026-03-06T13:00:00Z");
  CHECK(detroit[1]["until"] == "2026-03-10T12:00:00Z");
  CHECK(detroit[0]["reason"] == "quiet hours 21:00-08:00 in America/Detroit");

  // The re-plan shows with --all.
  std::vector<std::string> all = cmd;
  all.push_back("--all");
  auto verbose = Run(all, dir.str());
  REQUIRE(verbose.exit_code == 0);
  const auto replanned =
      Matching(JsonLines(verbose.out), {{"case_id", "SNAP-2026-0417"}, {"status", "replanned"}});
  REQUIRE(replanned.size() == 1);
  CHECK(replanned[0]["due"] == "2026-03-13T16:00:00Z");
  CHECK(replanned[0]["reason"] ==
        "event evt-0008 (case.interview_rescheduled); was due 2026-03-10T15:30:00Z");

  // Deterministic: same input, same bytes.
  auto again = Run(cmd, dir.str());
  CHECK(again.exit_code == 0);
  CHECK(again.out == r.out);

  // --until stops the clock.
  std::vector<std::string> until = cmd;
  until.insert(until.end(), {"--until", "2026-03-06T00:00:00Z"});
  auto early = Run(until, dir.str());
  REQUIRE(early.exit_code == 0);
  const auto early_lines = JsonLines(early.out);
  CHECK(!early_lines.empty());
  for (const nlohmann::json& l : early_lines) CHECK(l["at"] <= "2026-03-06T00:00:00Z");
}

TEST_CASE("simulate: usage and event errors") {
  TempDir dir;
  const std::string config = kSamples + "/herald.yaml";
  CHECK(Run({kHerald, "simulate", "--config", config}, dir.str()).exit_code == 2);
  CHECK(
      Run({kHerald, "simulate", "--config", config, "--events", "x", "--from-log", "y"}, dir.str())
          .exit_code == 2);
  CHECK(Run({kHerald, "simulate", "--config", config, "--events", kSamples + "/events.ndjson",
             "--until", "tomorrow"},
            dir.str())
            .exit_code == 2);
  const std::string bad = dir.str() + "/bad.ndjson";
  WriteFile(
      bad,
      "{\"id\":\"b1\",\"case_id\":\"c\",\"type\":\"t\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}\n"
      "\n"
      "{\"id\":\"b2\",\"case_id\":\"c\",\"type\":\"t\",\"occurred_at\":\"yesterday\"}\n");
  auto r = Run({kHerald, "simulate", "--config", config, "--events", bad}, dir.str());
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find(bad + ":3: occurred_at") != std::string::npos);
  auto missing = Run({kHerald, "simulate", "--config", config, "--from-log", dir.str()}, dir.str());
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("not a herald data directory") != std::string::npos);
}

TEST_CASE("serve plans and fires; simulate --from-log replays its stopped data directory") {
  TempDir dir;
  const std::string data = dir.str() + "/data";
  const std::string err = dir.str() + "/serve.err";
  Child server({kHerald, "serve", "--config", kSamples + "/herald.yaml", "--listen", "127.0.0.1:0",
                "--data-dir", data},
               "", err);
  const int port = WaitForPort(server);
  REQUIRE(port > 0);
  const std::string banner = server.ReadStdoutUntil(
      [](const std::string& text) { return text.find("Post an event") != std::string::npos; });
  CHECK(banner.find("campaigns  1 campaign(s), 3 rule(s)") != std::string::npos);
  auto ingest = Run({kHerald, "ingest", "--url", "http://127.0.0.1:" + std::to_string(port),
                     "--key", "herald-dev-key", kSamples + "/events.ndjson"},
                    dir.str());
  CHECK(ingest.exit_code == 0);
  // While the engine runs, its log is locked.
  auto locked = Run(
      {kHerald, "simulate", "--config", kSamples + "/herald.yaml", "--from-log", data}, dir.str());
  CHECK(locked.exit_code == 1);
  CHECK(locked.err.find("stop it, or copy the data directory") != std::string::npos);
  kill(server.pid(), SIGTERM);
  server.ReadStdoutUntil([](const std::string&) { return false; });
  CHECK(server.Wait() == 0);
  CHECK(std::filesystem::is_directory(data + "/schedule"));

  const std::vector<std::string> cmd = {
      kHerald, "simulate", "--config", kSamples + "/herald.yaml", "--from-log", data};
  auto replay = Run(cmd, dir.str());
  REQUIRE(replay.exit_code == 0);
  const auto lines = JsonLines(replay.out);
  CHECK(!Matching(lines,
                  {{"case_id", "SNAP-2026-0421"}, {"rule", "status-update"}, {"status", "sent"}})
             .empty());
  CHECK(Run(cmd, dir.str()).out == replay.out);
}

TEST_CASE("serve reloads the campaigns on SIGHUP") {
  TempDir dir;
  const std::string err = dir.str() + "/serve.err";
  Child server({kHerald, "serve", "--config", kSamples + "/herald.yaml", "--listen", "127.0.0.1:0",
                "--data-dir", dir.str() + "/data"},
               "", err);
  REQUIRE(WaitForPort(server) > 0);
  // sigwait takes the lowest pending signal first, and a SIGTERM arriving during the
  // reload waits for it: the reload is done before the stop, with no sleeping here.
  kill(server.pid(), SIGHUP);
  kill(server.pid(), SIGTERM);
  server.ReadStdoutUntil([](const std::string&) { return false; });
  CHECK(server.Wait() == 0);
  const std::string log = ReadFile(err);
  CHECK(log.find("reloaded: 1 campaign(s), 3 rule(s); 0 pending plan(s) cancelled, 0 re-planned") !=
        std::string::npos);
}
