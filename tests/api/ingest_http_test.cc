// HTTP integration tests for POST /v1/events: the event contract, idempotency and every
// kind of bad input. A refused request must change nothing.
#include <doctest/doctest.h>

#include <thread>

#include "tests/api/test_server.h"

using herald::testing::Body;
using herald::testing::MakeEvent;
using herald::testing::TestServer;
using nlohmann::json;

namespace {

// The log's last sequence number, through the API.
uint64_t LastSeq(const TestServer& s) {
  auto r = s.Get("/v1/events?after=0&limit=1");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return Body(r)["last_seq"].get<uint64_t>();
}

json FirstError(const httplib::Result& r) {
  return Body(r)["error"]["errors"][0];
}

}  // namespace

TEST_CASE("a single event is accepted with its sequence number once durable") {
  TestServer s;
  auto r = s.Post(MakeEvent("evt-1").dump());
  REQUIRE(r);
  CHECK(r->status == 202);
  json b = Body(r);
  CHECK(b["accepted"] == 1);
  CHECK(b["duplicates"] == 0);
  CHECK(b["results"][0]["status"] == "accepted");
  CHECK(b["results"][0]["seq"] == 1);
  CHECK(b["results"][0]["id"] == "evt-1");
  CHECK(LastSeq(s) == 1);
}

TEST_CASE("a JSON array and NDJSON are accepted in order") {
  TestServer s;
  json batch = json::array({MakeEvent("a"), MakeEvent("b"), MakeEvent("c")});
  auto r = s.Post(batch.dump());
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(Body(r)["results"][2]["seq"] == 3);

  std::string ndjson = MakeEvent("d").dump() + "\n\n" + MakeEvent("e").dump() + "\r\n";
  auto n = s.Post(ndjson, "application/x-ndjson");
  REQUIRE(n);
  REQUIRE(n->status == 202);
  json b = Body(n);
  CHECK(b["accepted"] == 2);
  CHECK(b["results"][0]["seq"] == 4);
  CHECK(b["results"][1]["seq"] == 5);
}

TEST_CASE("re-posting an event is a duplicate that returns the original sequence number") {
  TestServer s;
  REQUIRE(s.Post(MakeEvent("x").dump())->status == 202);
  REQUIRE(s.Post(MakeEvent("y").dump())->status == 202);
  auto again = s.Post(json::array({MakeEvent("x"), MakeEvent("z")}).dump());
  REQUIRE(again);
  CHECK(again->status == 202);
  json b = Body(again);
  CHECK(b["accepted"] == 1);
  CHECK(b["duplicates"] == 1);
  CHECK(b["results"][0]["status"] == "duplicate");
  CHECK(b["results"][0]["seq"] == 1);
  CHECK(b["results"][1]["seq"] == 3);
  CHECK(LastSeq(s) == 3);
}

TEST_CASE("the same id with different content is a 409 and nothing of the request is written") {
  TestServer s;
  REQUIRE(s.Post(MakeEvent("dup", "case-1", {{"status", "approved"}}).dump())->status == 202);
  auto r = s.Post(
      json::array({MakeEvent("fresh"), MakeEvent("dup", "case-1", {{"status", "denied"}})}).dump());
  REQUIRE(r);
  CHECK(r->status == 409);
  json b = Body(r);
  CHECK(b["error"]["code"] == "conflict");
  CHECK(b["results"][0]["status"] == "not_written");
  CHECK(b["results"][1]["status"] == "conflict");
  CHECK(b["results"][1]["seq"] == 1);
  CHECK(LastSeq(s) == 1);
  auto c = s.Get("/v1/cases/case-1");
  CHECK(Body(c)["state"]["status"] == "approved");
}

TEST_CASE("idempotency keys are scoped to the API key") {
  TestServer s;
  REQUIRE(s.Post(MakeEvent("shared-id").dump())->status == 202);
  auto r =
      s.Post(MakeEvent("shared-id").dump(), "application/json", herald::testing::kOtherIngestKey);
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(Body(r)["results"][0]["status"] == "accepted");
  CHECK(Body(r)["results"][0]["seq"] == 2);
}

TEST_CASE("malformed JSON is a 400 with line and column") {
  TestServer s;
  auto r = s.Post("{\n  \"id\": \"a\",\n  \"case_id\": }");
  REQUIRE(r);
  CHECK(r->status == 400);
  json e = Body(r)["error"];
  CHECK(e["code"] == "invalid_json");
  CHECK(e["line"] == 3);
  CHECK(e["column"].get<int>() >= 14);
  CHECK(LastSeq(s) == 0);
}

TEST_CASE("malformed NDJSON names the line") {
  TestServer s;
  std::string body =
      MakeEvent("ok-1").dump() + "\n" + MakeEvent("ok-2").dump() + "\n{\"id\": oops}\n";
  auto r = s.Post(body, "application/x-ndjson");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(Body(r)["error"]["code"] == "invalid_json");
  CHECK(Body(r)["error"]["line"] == 3);
  CHECK(LastSeq(s) == 0);
}

TEST_CASE("a missing or ill-typed field names the field and the event index") {
  TestServer s;
  json missing = MakeEvent("m");
  missing.erase("case_id");
  json typed = MakeEvent("t");
  typed["type"] = 42;
  auto r = s.Post(json::array({MakeEvent("fine"), missing, typed}).dump());
  REQUIRE(r);
  CHECK(r->status == 400);
  json e = Body(r)["error"];
  CHECK(e["code"] == "invalid_event");
  REQUIRE(e["errors"].size() == 2);
  CHECK(e["errors"][0]["index"] == 1);
  CHECK(e["errors"][0]["field"] == "case_id");
  CHECK(e["errors"][1]["index"] == 2);
  CHECK(e["errors"][1]["field"] == "type");
  CHECK(LastSeq(s) == 0);  // the valid first event was not written either
}

TEST_CASE("invalid values are named in the error") {
  TestServer s;
  struct Case {
    const char* field;
    json value;
    const char* path;
  };
  const Case cases[] = {
      {"occurred_at", "2026-02-30T10:00:00Z", "occurred_at"},
      {"recipient", {{"timezone", "Mars/Olympus_Mons"}}, "recipient.timezone"},
      {"recipient", {{"locale", "english!"}}, "recipient.locale"},
      {"recipient", {{"phone", "555-0100"}}, "recipient.phone"},
      {"recipient", {{"email", "not-an-email"}}, "recipient.email"},
      {"recipient", {{"channels", {"email", "pigeon"}}}, "recipient.channels"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    json event = MakeEvent("bad");
    event[c.field] = c.value;
    auto r = s.Post(event.dump());
    REQUIRE(r);
    CHECK(r->status == 400);
    json e = FirstError(r);
    CHECK(e["index"] == 0);
    CHECK(e["field"].get<std::string>().rfind(c.path, 0) == 0);
    if (c.value.is_string()) CHECK(e["value"] == c.value);
  }
  CHECK(LastSeq(s) == 0);
}

TEST_CASE("invalid UTF-8 is a 400 naming where") {
  TestServer s;
  std::string body = MakeEvent("u").dump();
  body.replace(body.find("documents_requested"), 1, "\xC3\x28");
  auto r = s.Post(body);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(Body(r)["error"]["code"] == "invalid_utf8");
  CHECK(Body(r)["error"]["line"] == 1);
}

TEST_CASE("nesting beyond the limit is a 400, not a crash") {
  TestServer s;
  json event = MakeEvent("deep");
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string body = event.dump();
  body.replace(body.find("\"documents_requested\""), std::strlen("\"documents_requested\""), deep);
  auto r = s.Post(body);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(Body(r)["error"]["code"] == "too_deep");
}

TEST_CASE("a body over the limit is a 413; too many events is a 413") {
  TestServer s;
  std::string big(s.config().limits.max_body_bytes + 1, ' ');
  auto r = s.Post(big);
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(Body(r)["error"]["code"] == "body_too_large");

  json many = json::array();
  for (int i = 0; i <= static_cast<int>(s.config().limits.max_batch_events); ++i) {
    many.push_back(MakeEvent("e" + std::to_string(i)));
  }
  auto m = s.Post(many.dump());
  REQUIRE(m);
  CHECK(m->status == 413);
  CHECK(LastSeq(s) == 0);
}

TEST_CASE("the wrong content type is a 415") {
  TestServer s;
  CHECK(s.Post(MakeEvent("a").dump(), "text/plain")->status == 415);
  CHECK(s.Post(MakeEvent("a").dump(), "application/json; charset=latin1")->status == 415);
  CHECK(s.Post(MakeEvent("a").dump(), "application/json; charset=UTF-8")->status == 202);
}

TEST_CASE("no key or a wrong key is a 401; a key without the scope is a 403") {
  TestServer s;
  auto none = s.Post(MakeEvent("a").dump(), "application/json", "");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate").rfind("Bearer", 0) == 0);
  CHECK(s.Post(MakeEvent("a").dump(), "application/json", "wrong-secret")->status == 401);
  CHECK(s.Get("/v1/cases/case-1", herald::testing::kIngestKey)->status == 403);
  CHECK(s.Get("/v1/events", herald::testing::kIngestKey)->status == 403);
  // admin implies ingest
  CHECK(s.Post(MakeEvent("a").dump(), "application/json", herald::testing::kAdminKey)->status ==
        202);
}

TEST_CASE("concurrent requests are all accepted with dense, unique sequence numbers") {
  TestServer s;
  constexpr int kThreads = 6, kPerThread = 20;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = s.Post(MakeEvent("t" + std::to_string(t) + "-" + std::to_string(i),
                                  "case-" + std::to_string(i % 3))
                            .dump());
        if (r && r->status == 202) seqs[t].push_back(Body(r)["results"][0]["seq"]);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<uint64_t> all;
  for (auto& v : seqs) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == kThreads * kPerThread);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == i + 1);
}

TEST_CASE("ids with quotes, backslashes and non-ASCII come back intact in the results") {
  TestServer s;
  const std::string id = "q\"uote\\back/slash-é-事件-\xF0\x9F\x93\xA8";
  auto r = s.Post(MakeEvent(id).dump());
  REQUIRE(r);
  REQUIRE(r->status == 202);
  json b = Body(r);
  REQUIRE(!b.is_discarded());
  CHECK(b["results"][0]["id"] == id);
}
