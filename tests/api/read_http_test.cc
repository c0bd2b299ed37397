// HTTP integration tests for reads (cases, log paging), operations endpoints, the
// OpenAPI description and restart persistence.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "tests/api/test_server.h"

using herald::testing::Body;
using herald::testing::MakeEvent;
using herald::testing::TestServer;
using nlohmann::json;

TEST_CASE("a case's state is its events' data merged as JSON Merge Patch") {
  TestServer s;
  json first = MakeEvent("1", "case-9",
                         {{"status", "documents_requested"},
                          {"documents", {{"id_proof", true}, {"pay_stub", true}}},
                          {"worker", "W-17"}});
  first["recipient"] = {{"id", "person-4"},
                        {"email", "ana@example.org"},
                        {"locale", "es-MX"},
                        {"timezone", "America/Chicago"},
                        {"channels", {"sms", "email"}}};
  json second = MakeEvent("2", "case-9",
                          {{"status", "interview_scheduled"},
                           {"documents", {{"pay_stub", nullptr}}},
                           {"worker", nullptr}});
  second["recipient"] = {{"phone", "+13125550123"}};
  REQUIRE(s.Post(json::array({first, second}).dump())->status == 202);

  auto r = s.Get("/v1/cases/case-9");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json c = Body(r);
  CHECK(c["case_id"] == "case-9");
  CHECK(c["state"] ==
        json({{"status", "interview_scheduled"}, {"documents", {{"id_proof", true}}}}));
  CHECK(c["recipient"]["id"] == "person-4");
  CHECK(c["recipient"]["email"] == "ana@example.org");
  CHECK(c["recipient"]["phone"] == "+13125550123");
  CHECK(c["recipient"]["channels"] == json({"sms", "email"}));
  CHECK(c["event_count"] == 2);
  REQUIRE(c["events"].size() == 2);
  CHECK(c["events"][0]["id"] == "1");
  CHECK(c["events"][1]["seq"] == 2);
  CHECK(c["events"][1]["data"]["worker"].is_null());  // the patch is kept as posted
}

TEST_CASE("after retention the API shows old events redacted; the case state stays") {
  TestServer s;
  json e = MakeEvent("1", "case-9", {{"status", "documents_requested"}, {"ssn_last4", "1234"}});
  e["recipient"] = {{"id", "person-4"}, {"email", "ana@example.org"}, {"locale", "es-MX"}};
  REQUIRE(s.Post(json::array({e}).dump())->status == 202);
  s.clock().Advance(10LL * 24 * 3600 * 1000000);
  json later = MakeEvent("2", "case-9", {{"status", "interview_scheduled"}});
  REQUIRE(s.Post(json::array({later}).dump())->status == 202);
  auto purged = s.store().PurgePersonalData(s.clock().NowMicros() - 1, UINT64_MAX);
  REQUIRE_MESSAGE(purged.ok(), purged.status().ToString());
  CHECK(purged->redacted == 1);

  auto r = s.Get("/v1/events?after=0");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string body = r->body;
  CHECK(body.find("ana@example.org") == std::string::npos);
  CHECK(body.find("1234") == std::string::npos);
  json log = Body(r);
  REQUIRE(log["events"].size() == 2);
  const json& old = log["events"][0];
  CHECK(old["id"] == "1");
  CHECK(old["redacted"] == true);
  CHECK_FALSE(old.contains("data"));
  CHECK(old["recipient"] == json({{"id", "person-4"}}));
  CHECK_FALSE(log["events"][1].contains("redacted"));
  CHECK(log["events"][1]["data"]["status"] == "interview_scheduled");

  // The case's current state is live state, kept (docs/security.md says what remains).
  json c = Body(s.Get("/v1/cases/case-9"));
  CHECK(c["state"]["status"] == "interview_scheduled");
  CHECK(c["events"][0]["redacted"] == true);
  // A repost of the redacted event is still the duplicate it was.
  auto again = s.Post(json::array({e}).dump());
  REQUIRE(again);
  CHECK(again->status == 202);
  CHECK(Body(again)["results"][0]["status"] == "duplicate");
}

TEST_CASE("an unknown case is a 404") {
  TestServer s;
  auto r = s.Get("/v1/cases/nobody");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(Body(r)["error"]["code"] == "case_not_found");
}

TEST_CASE("the log pages in sequence order") {
  TestServer s;
  json batch = json::array();
  for (int i = 0; i < 25; ++i)
    batch.push_back(MakeEvent("p" + std::to_string(i), "c" + std::to_string(i % 4)));
  REQUIRE(s.Post(batch.dump())->status == 202);
  uint64_t after = 0;
  std::vector<std::string> ids;
  for (int page = 0; page < 10; ++page) {
    auto r = s.Get("/v1/events?after=" + std::to_string(after) + "&limit=10");
    REQUIRE(r->status == 200);
    json b = Body(r);
    CHECK(b["last_seq"] == 25);
    if (b["events"].empty()) break;
    for (const auto& e : b["events"]) ids.push_back(e["id"]);
    after = b["next_after"];
  }
  REQUIRE(ids.size() == 25);
  CHECK(ids.front() == "p0");
  CHECK(ids.back() == "p24");
  CHECK(s.Get("/v1/events?limit=0")->status == 400);
  CHECK(s.Get("/v1/events?limit=5000")->status == 400);
  CHECK(s.Get("/v1/events?after=-1")->status == 400);
  CHECK(s.Get("/v1/events?after=abc")->status == 400);
}

TEST_CASE("everything survives a restart") {
  TestServer s;
  json e = MakeEvent("keep", "case-r", {{"status", "approved"}});
  e["recipient"] = {{"email", "r@example.org"}};
  REQUIRE(s.Post(e.dump())->status == 202);
  REQUIRE(s.Post(MakeEvent("keep-2", "case-r", {{"benefit", 120}}).dump())->status == 202);
  s.Restart();
  auto c = s.Get("/v1/cases/case-r");
  REQUIRE(c->status == 200);
  CHECK(Body(c)["state"] == json({{"status", "approved"}, {"benefit", 120}}));
  CHECK(Body(c)["recipient"]["email"] == "r@example.org");
  auto again = s.Post(e.dump());
  CHECK(Body(again)["results"][0]["status"] == "duplicate");
  CHECK(Body(again)["results"][0]["seq"] == 1);
  auto next = s.Post(MakeEvent("after-restart").dump());
  CHECK(Body(next)["results"][0]["seq"] == 3);
}

TEST_CASE("health, readiness and metrics") {
  TestServer s;
  CHECK(s.Get("/healthz", "")->status == 200);
  auto ready = s.Get("/readyz", "");
  CHECK(ready->status == 200);
  REQUIRE(s.Post(MakeEvent("m1").dump())->status == 202);
  REQUIRE(s.Post(MakeEvent("m1").dump())->status == 202);
  REQUIRE(s.Post("{", "application/json")->status == 400);
  auto m = s.Get("/metrics", "");
  REQUIRE(m->status == 200);
  const std::string text = m->body;
  CHECK(text.find("herald_events_ingested_total 1\n") != std::string::npos);
  CHECK(text.find("herald_events_duplicate_total 1\n") != std::string::npos);
  CHECK(text.find("herald_requests_rejected_total{reason=\"invalid_json\"} 1\n") !=
        std::string::npos);
  CHECK(
      text.find(
          "herald_http_request_duration_seconds_bucket{route=\"POST /v1/events\",le=\"+Inf\"} 3") !=
      std::string::npos);
  CHECK(text.find("herald_log_last_sequence 1\n") != std::string::npos);
}

TEST_CASE("unknown routes get a JSON 404") {
  TestServer s;
  auto r = s.Get("/v1/nothing-here");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(Body(r)["error"]["code"] == "not_found");
}

TEST_CASE("every registered route is described in openapi.yaml, and the file is served") {
  TestServer s;
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/engine/api/openapi.yaml");
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node doc = YAML::Load(text.str());
  REQUIRE(doc["openapi"].as<std::string>().rfind("3.", 0) == 0);
  REQUIRE(!s.server().Routes().empty());
  for (const herald::RouteInfo& route : s.server().Routes()) {
    CAPTURE(route.method);
    CAPTURE(route.path);
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    CHECK(doc["paths"][route.path][method].IsDefined());
  }
  auto served = s.Get("/openapi.yaml", "");
  REQUIRE(served->status == 200);
  CHECK(served->body == text.str());
}
