// The SMS test server itself: its NDJSON record, its control API over HTTP, and the
// sms_test_server executable (first line "listening <port>", clean stop on SIGTERM).
#include <httplib.h>

#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/subprocess.h"
#include "tests/sms_server/sms_server.h"
#include "tests/test_util.h"

namespace herald::testing {
namespace {

const std::string kPath =
    std::string("/2010-04-01/Accounts/") + kSmsTestAccountSid + "/Messages.json";

httplib::Client ClientFor(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_basic_auth(kSmsTestAccountSid, kSmsTestAuthToken);
  c.set_read_timeout(10, 0);
  return c;
}

httplib::Result PostSms(httplib::Client& c, const std::string& to, const std::string& body) {
  return c.Post(kPath.c_str(), "To=" + to + "&From=%2B14155550199&Body=" + body,
                "application/x-www-form-urlencoded");
}

std::vector<nlohmann::json> ReadNdjson(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST_CASE("sms server: accepted messages are appended to the NDJSON record") {
  TempDir dir;
  SmsServerOptions o;
  o.record_path = dir.Sub("sent.ndjson");
  SmsTestServer server(o);
  REQUIRE(server.Start().ok());
  httplib::Client c = ClientFor(server.port());

  auto a = PostSms(c, "%2B14155550100", "one%20%2B%20%26");
  REQUIRE(a);
  CHECK(a->status == 201);
  nlohmann::json reply = nlohmann::json::parse(a->body);
  CHECK(reply["status"] == "queued");
  CHECK(reply["body"] == "one + &");
  std::string sid = reply["sid"];

  server.DropNext(1);
  auto b = PostSms(c, "%2B14155550101", "two");
  CHECK_FALSE(b);  // accepted, then the connection closed without a reply
  server.SetNumberRule("+14155550102", {400, 21211, "", ""});
  auto rejected = PostSms(c, "%2B14155550102", "three");
  REQUIRE(rejected);
  CHECK(rejected->status == 400);
  CHECK(nlohmann::json::parse(rejected->body)["code"] == 21211);

  auto lines = ReadNdjson(o.record_path);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["sid"] == sid);
  CHECK(lines[0]["to"] == "+14155550100");
  CHECK(lines[0]["body"] == "one + &");
  CHECK(lines[1]["to"] == "+14155550101");
  SmsStats s = server.Stats();
  CHECK(s.requests == 3);
  CHECK(s.accepted == 2);
  CHECK(s.dropped == 1);
  CHECK(s.failed == 1);
}

TEST_CASE("sms server: credentials and required fields are checked like Twilio") {
  SmsTestServer server;
  REQUIRE(server.Start().ok());
  httplib::Client bad("127.0.0.1", server.port());
  bad.set_basic_auth(kSmsTestAccountSid, "wrong");
  auto r = PostSms(bad, "%2B14155550100", "x");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(nlohmann::json::parse(r->body)["code"] == 20003);

  httplib::Client c = ClientFor(server.port());
  auto no_to =
      c.Post(kPath.c_str(), "From=%2B1415555019&Body=x", "application/x-www-form-urlencoded");
  REQUIRE(no_to);
  CHECK(nlohmann::json::parse(no_to->body)["code"] == 21604);
  auto no_body = c.Post(kPath.c_str(), "To=%2B1&From=%2B2", "application/x-www-form-urlencoded");
  REQUIRE(no_body);
  CHECK(nlohmann::json::parse(no_body->body)["code"] == 21602);
  auto no_from = c.Post(kPath.c_str(), "To=%2B1&Body=x", "application/x-www-form-urlencoded");
  REQUIRE(no_from);
  CHECK(nlohmann::json::parse(no_from->body)["code"] == 21603);
  CHECK(server.Stats().accepted == 0);
}

TEST_CASE("sms server: the control API over HTTP") {
  SmsTestServer server;
  REQUIRE(server.Start().ok());
  httplib::Client control("127.0.0.1", server.port());
  httplib::Client c = ClientFor(server.port());
  auto post = [&](const std::string& what, const nlohmann::json& body) {
    auto r = control.Post(("/control/" + what).c_str(), body.dump(), "application/json");
    REQUIRE(r);
    return r->status;
  };

  CHECK(post("fail", {{"count", 2}, {"status", 429}, {"code", 20429}, {"retry_after", 3}}) == 200);
  for (int i = 0; i < 2; ++i) {
    auto r = PostSms(c, "%2B14155550100", "x");
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(r->get_header_value("Retry-After") == "3");
  }
  CHECK(post("rule", {{"to", "+14155550111"}, {"status", 400}, {"code", 21610}}) == 200);
  auto stopped = PostSms(c, "%2B14155550111", "x");
  REQUIRE(stopped);
  CHECK(nlohmann::json::parse(stopped->body)["code"] == 21610);
  auto ok = PostSms(c, "%2B14155550100", "x");
  REQUIRE(ok);
  CHECK(ok->status == 201);

  auto stats = control.Get("/control/stats");
  REQUIRE(stats);
  nlohmann::json s = nlohmann::json::parse(stats->body);
  CHECK(s["requests"] == 4);
  CHECK(s["accepted"] == 1);
  CHECK(s["failed"] == 3);
  auto messages = control.Get("/control/messages?to=%2B14155550100");
  REQUIRE(messages);
  CHECK(nlohmann::json::parse(messages->body).size() == 1);

  CHECK(post("reset", {{"messages", true}}) == 200);
  auto again = PostSms(c, "%2B14155550111", "x");
  REQUIRE(again);
  CHECK(again->status == 201);  // the rule is gone
  CHECK(server.Stats().accepted == 1);

  CHECK(post("fail", {{"status", "x"}}) == 400);
  CHECK(post("nonsense", nlohmann::json::object()) == 404);
  CHECK(post("callback", {{"sid", "SMunknown"}}) == 400);
  auto not_json = control.Post("/control/drop", "{", "application/json");
  REQUIRE(not_json);
  CHECK(not_json->status == 400);
}

TEST_CASE("sms_test_server: prints its port first, records, stops on SIGTERM") {
  TempDir dir;
  std::string record = dir.Sub("sent.ndjson");
  Child child({SMS_TEST_SERVER_BINARY, "--record", record, "--fail", "1:500:20500"}, "",
              dir.Sub("err.txt"));
  std::string out =
      child.ReadStdoutUntil([](const std::string& s) { return s.find('\n') != std::string::npos; });
  REQUIRE(out.rfind("listening ", 0) == 0);
  int port = std::stoi(out.substr(10));
  REQUIRE(port > 0);

  httplib::Client c = ClientFor(port);
  auto first = PostSms(c, "%2B14155550100", "x");
  REQUIRE(first);
  CHECK(first->status == 500);
  auto second = PostSms(c, "%2B14155550100", "hello");
  REQUIRE(second);
  CHECK(second->status == 201);

  CHECK(child.Stop(SIGTERM) == 0);
  auto lines = ReadNdjson(record);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["body"] == "hello");
  nlohmann::json stats = nlohmann::json::parse(ReadFile(dir.Sub("err.txt")));
  CHECK(stats["requests"] == 2);
  CHECK(stats["accepted"] == 1);
}

TEST_CASE("sms_test_server: a bad flag is a usage error") {
  TempDir dir;
  RunResult r = Run({SMS_TEST_SERVER_BINARY, "--fail", "x"}, dir.str());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("usage:") != std::string::npos);
}

}  // namespace
}  // namespace herald::testing
