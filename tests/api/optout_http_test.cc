// POST /v1/opt-outs/lookup and /v1/opt-outs/lift (engine/api/optout_handlers.cc) over a real
// RocksTrackStore: an address opted out by a one-click unsubscribe or STOP is found by the
// address, lifted (idempotently) by an admin key, and then no longer suppresses messages.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/api/track_server.h"

namespace herald::testing {
namespace {

using nlohmann::json;

constexpr const char* kAna = R"({"channel": "email", "address": "ana@example.org"})";

// One-click unsubscribe of the seeded email: opts out r-1 and ana@example.org.
void Unsubscribe(TrackServer& s) {
  auto r = s.Client().Post(("/u/" + s.Token(TokenKind::kUnsubscribe, kEmailId)).c_str(),
                           "List-Unsubscribe=One-Click", kForm);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

TEST_CASE("opt-outs: look up and lift an email address opt-out; lifting twice is harmless") {
  TrackServer s;
  auto none = s.PostJson("/v1/opt-outs/lookup", kAna);
  REQUIRE(none);
  CHECK(none->status == 404);
  CHECK(Body(none)["error"]["code"] == "opt_out_not_found");

  Unsubscribe(s);
  CHECK(s.Suppressed("", Channel::kEmail, "ana@example.org"));
  const json opt_out = {
      {"at", "2026-01-01T01:00:00Z"}, {"by", "recipient"}, {"reason", "unsubscribe link"}};
  auto found = s.PostJson("/v1/opt-outs/lookup", kAna);
  REQUIRE(found);
  CHECK(found->status == 200);
  CHECK(Body(found) == json{{"channel", "email"}, {"opt_out", opt_out}});
  // An email address is the same address in any case; other channels and addresses are not.
  auto upper =
      s.PostJson("/v1/opt-outs/lookup", R"({"address": "ANA@Example.ORG", "channel": "email"})");
  REQUIRE(upper);
  CHECK(upper->status == 200);
  CHECK(s.PostJson("/v1/opt-outs/lookup", R"({"channel": "email", "address": "bo@example.org"})")
            ->status == 404);
  CHECK(s.PostJson("/v1/opt-outs/lookup", R"({"channel": "sms", "address": "+14155550100"})")
            ->status == 404);

  s.clock().Advance(60'000'000);
  auto lifted = s.PostJson("/v1/opt-outs/lift", kAna);
  REQUIRE(lifted);
  CHECK(lifted->status == 200);
  CHECK(Body(lifted) == json{{"channel", "email"}, {"lifted", true}, {"opt_out", opt_out}});
  CHECK(s.PostJson("/v1/opt-outs/lookup", kAna)->status == 404);
  // The address no longer suppresses, whoever the recipient is; the recipient's own opt-out
  // (their preferences) stays until the case system changes it.
  CHECK_FALSE(s.Suppressed("", Channel::kEmail, "ana@example.org"));
  CHECK_FALSE(s.Suppressed("r-9", Channel::kEmail, "ANA@example.org"));
  CHECK(s.Suppressed("r-1", Channel::kEmail, "ana@example.org"));
  REQUIRE(s.PutPrefs("r-1", R"({"opt_outs": []})")->status == 200);
  CHECK_FALSE(s.Suppressed("r-1", Channel::kEmail, "ana@example.org"));

  auto again = s.PostJson("/v1/opt-outs/lift", kAna);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(Body(again) == json{{"channel", "email"}, {"lifted", false}, {"opt_out", nullptr}});
  // A new unsubscribe opts the address out again.
  Unsubscribe(s);
  CHECK(s.Suppressed("", Channel::kEmail, "ana@example.org"));
  CHECK(Body(s.PostJson("/v1/opt-outs/lookup", kAna))["opt_out"]["at"] == "2026-01-01T01:01:00Z");
}

TEST_CASE("opt-outs: a number's STOP, lifted by the agency") {
  TrackServer s;
  REQUIRE(s.Sms("From=%2B14155550100&Body=STOP")->status == 200);
  const std::string body = R"({"channel": "sms", "address": "+14155550100"})";
  auto found = s.PostJson("/v1/opt-outs/lookup", body);
  REQUIRE(found);
  CHECK(found->status == 200);
  CHECK(Body(found)["opt_out"]["by"] == "sms:STOP");
  CHECK(s.PostJson("/v1/opt-outs/lookup", R"({"channel": "email", "address": "ana@example.org"})")
            ->status == 404);
  auto lifted = s.PostJson("/v1/opt-outs/lift", body);
  REQUIRE(lifted);
  CHECK(Body(lifted)["lifted"] == true);
  CHECK_FALSE(s.Suppressed("", Channel::kSms, kPhone));
  CHECK(s.Suppressed("r-2", Channel::kSms, kPhone));  // the recipient's own, from the STOP
}

TEST_CASE("opt-outs: admin keys only; other keys change nothing") {
  TrackServer s;
  Unsubscribe(s);
  for (const char* path : {"/v1/opt-outs/lookup", "/v1/opt-outs/lift"}) {
    CAPTURE(path);
    auto none = s.PostJson(path, kAna, "");
    REQUIRE(none);
    CHECK(none->status == 401);
    auto unknown = s.PostJson(path, kAna, "not-a-key");
    REQUIRE(unknown);
    CHECK(unknown->status == 401);
    auto ingest = s.PostJson(path, kAna, kIngestKey);
    REQUIRE(ingest);
    CHECK(ingest->status == 403);
    CHECK(Body(ingest)["error"]["code"] == "forbidden");
  }
  CHECK(s.Suppressed("", Channel::kEmail, "ana@example.org"));
}

TEST_CASE("opt-outs: each bad request names its field, never echoes the address") {
  TrackServer s;
  Unsubscribe(s);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({})", "channel"},
      {R"({"address": "ana@example.org"})", "channel"},
      {R"({"channel": "email"})", "address"},
      {R"({"channel": "fax", "address": "ana@example.org"})", "channel"},
      {R"({"channel": 1, "address": "ana@example.org"})", "channel"},
      {R"({"channel": null, "address": "ana@example.org"})", "channel"},
      {R"({"channel": "email", "address": ["ana@example.org"]})", "address"},
      {R"({"channel": "email", "address": "ana@example.org "})", "address"},
      {R"({"channel": "email", "address": "ana.example.org"})", "address"},
      {R"({"channel": "email", "address": ""})", "address"},
      {R"({"channel": "sms", "address": "ana@example.org"})", "address"},
      {R"({"channel": "sms", "address": "4155550100"})", "address"},
      {R"({"channel": "email", "address": "ana@example.org", "reason": "asked"})", "reason"},
      {R"({"channel": "email", "address": "ana@example.org", "Address": "x"})", "Address"},
  };
  for (const char* path : {"/v1/opt-outs/lookup", "/v1/opt-outs/lift"}) {
    for (const auto& [body, field] : cases) {
      CAPTURE(path);
      CAPTURE(body);
      auto r = s.PostJson(path, body);
      REQUIRE(r);
      CHECK(r->status == 400);
      CHECK(Body(r)["error"]["code"] == "invalid_opt_out_request");
      CHECK(Body(r)["error"]["field"] == field);
      CHECK(r->body.find("ana") == std::string::npos);
      CHECK(r->body.find("4155550100") == std::string::npos);
    }
    CAPTURE(path);
    auto array = s.PostJson(path, "[]");
    REQUIRE(array);
    CHECK(array->status == 400);
    CHECK(Body(array)["error"]["code"] == "invalid_opt_out_request");
    auto not_json = s.PostJson(path, "{\"channel\": ");
    REQUIRE(not_json);
    CHECK(not_json->status == 400);
    CHECK(Body(not_json)["error"]["code"] == "invalid_json");
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kAdminKey}};
    auto form = s.Client().Post(path, h, "channel=email&address=ana%40example.org", kForm);
    REQUIRE(form);
    CHECK(form->status == 415);
  }
  CHECK(s.Suppressed("", Channel::kEmail, "ana@example.org"));
  // The store refuses an empty address itself.
  CHECK(s.track().GetAddressOptOut(Channel::kEmail, "").status().IsInvalidArgument());
  CHECK(s.track().LiftAddressOptOut(Channel::kEmail, "").status().IsInvalidArgument());
}

TEST_CASE("opt-outs: without the track store, 503 after the key is checked") {
  TrackServer s(/*with_track=*/false);
  for (const char* path : {"/v1/opt-outs/lookup", "/v1/opt-outs/lift"}) {
    CAPTURE(path);
    CHECK(s.PostJson(path, kAna, kIngestKey)->status == 403);
    auto r = s.PostJson(path, kAna);
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(Body(r)["error"]["code"] == "tracking_not_running");
  }
}

}  // namespace
}  // namespace herald::testing
