// End-to-end tests of the engagement routes (engine/api/track_handlers.cc and
// recipient_handlers.cc): a real HttpServer on a loopback port over a RocksTrackStore in a
// temp dir, real tokens, a FakeClock.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/api/twiml.h"
#include "templates/pages/recipient_pages.h"
#include "tests/api/track_server.h"

namespace herald::testing {
namespace {

using nlohmann::json;

// The token with its character at `i` changed to another of the alphabet.
std::string Flip(std::string token, size_t i) {
  token[i] = token[i] == 'A' ? 'B' : 'A';
  return token;
}

void CheckPixel(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "image/gif");
  CHECK(r->get_header_value("Cache-Control") == "no-store, private");
  CHECK(r->body.size() == 43);
  CHECK(r->body.rfind("GIF89a", 0) == 0);
}

void CheckNoRedirect(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK_FALSE(r->has_header("Location"));
  CHECK(r->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  CHECK(r->body.find("This link does not work") != std::string::npos);
}

TEST_CASE("the open pixel is always a GIF; only a valid token counts an open") {
  TrackServer s;
  auto c = s.Client();
  const std::string open = s.Token(TokenKind::kOpen, kEmailId);
  httplib::Headers ua = {{"User-Agent", "Mozilla/5.0 (Windows NT 10.0) Thunderbird/115.0"}};
  CheckPixel(c.Get(("/o/" + open).c_str(), ua));
  CHECK(s.EventCount(kEmailId) == 1);
  CheckPixel(c.Get(("/o/" + Flip(open, 3)).c_str(), ua));
  CheckPixel(c.Get(("/o/" + Flip(open, open.size() - 1)).c_str(), ua));
  CheckPixel(c.Get("/o/garbage", ua));
  CheckPixel(c.Get("/o/%00%ff", ua));
  CheckPixel(c.Get(("/o/" + s.Token(TokenKind::kUnsubscribe, kEmailId)).c_str(), ua));
  CheckPixel(c.Get(("/o/" + s.Token(TokenKind::kOpen, std::string(32, 'a'))).c_str(), ua));
  CHECK(s.EventCount(kEmailId) == 1);
  auto events = s.track().Events(kEmailId);
  REQUIRE(events.ok());
  CHECK((*events)[0].kind == EngagementKind::kOpen);
  CHECK((*events)[0].at == s.clock().NowMicros());
  CHECK((*events)[0].ip == "127.0.0.1");
  CHECK((*events)[0].user_agent == ua.begin()->second);
}

TEST_CASE("a click redirects to exactly the stored URL, whatever the query says") {
  TrackServer s;
  auto c = s.Client();
  const std::string link1 = s.Token(TokenKind::kClick, kEmailId, 1);
  for (const std::string& query : {std::string(), std::string("?url=https://evil.example"),
                                   std::string("?url=javascript:alert(1)&next=//evil.example")}) {
    CAPTURE(query);
    auto r = c.Get(("/c/" + link1 + query).c_str());
    REQUIRE(r);
    CHECK(r->status == 302);
    CHECK(r->get_header_value("Location") == "https://benefits.example.gov/help?a=1&b=2");
    CHECK(r->get_header_value("Cache-Control") == "no-store");
    CHECK(r->get_header_value("Referrer-Policy") == "no-referrer");
  }
  auto first = c.Get(("/c/" + s.Token(TokenKind::kClick, kEmailId, 0)).c_str());
  REQUIRE(first);
  CHECK(first->get_header_value("Location") == "https://benefits.example.gov/docs");
  CHECK(s.EventCount(kEmailId) == 4);

  // Tampered, forged, another kind's, an index past the table, an unknown message: 404.
  CheckNoRedirect(c.Get(("/c/" + Flip(link1, 0) + "?url=https://evil.example").c_str()));
  CheckNoRedirect(c.Get(("/c/" + Flip(link1, link1.size() - 2)).c_str()));
  CheckNoRedirect(c.Get("/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?url=https://evil.example"));
  CheckNoRedirect(c.Get(("/c/" + s.Token(TokenKind::kOpen, kEmailId)).c_str()));
  CheckNoRedirect(c.Get(("/c/" + s.Token(TokenKind::kClick, kEmailId, 2)).c_str()));
  CheckNoRedirect(c.Get(("/c/" + s.Token(TokenKind::kClick, std::string(32, 'b'), 0)).c_str()));
  auto other = TokenCodec::Create("another-secret-0123456789abcdef");
  REQUIRE(other.ok());
  CheckNoRedirect(c.Get(("/c/" + *other->Encode({TokenKind::kClick, kEmailId, 1})).c_str()));
  CHECK(s.EventCount(kEmailId) == 4);
}

TEST_CASE("a javascript: link is never stored, so never a redirect") {
  TrackServer s;
  const std::string id = "11111111111111111111111111111111";
  TrackedMessage m;
  m.id = id;
  m.campaign = "snap";
  m.locale = "en";
  m.links = {"javascript:alert(document.cookie)"};
  CHECK(s.track().RegisterMessage(m).IsInvalidArgument());
  m.links = {"JavaScript://benefits.example.gov/%0aalert(1)"};
  CHECK(s.track().RegisterMessage(m).IsInvalidArgument());
  CheckNoRedirect(s.Client().Get(("/c/" + s.Token(TokenKind::kClick, id, 0)).c_str()));
}

TEST_CASE("GET and HEAD show the unsubscribe page and change nothing; POST unsubscribes") {
  TrackServer s;
  auto c = s.Client();
  const std::string token = s.Token(TokenKind::kUnsubscribe, kEmailId);
  const std::string path = "/u/" + token;
  auto page = c.Get(path.c_str());
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("<html lang=\"es\"") != std::string::npos);
  CHECK(page->body.find("action=\"" + std::string(kPublicUrl) + "/u/" + token + "\"") !=
        std::string::npos);
  CHECK(page->get_header_value("Content-Security-Policy") ==
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "
        "https://notify.example.gov");
  CHECK(page->get_header_value("X-Frame-Options") == "DENY");
  CHECK(page->get_header_value("Cache-Control") == "no-store");
  auto head = c.Head(path.c_str());
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  CHECK_FALSE(s.Suppressed("r-1", Channel::kEmail, "ana@example.org"));
  CHECK(s.EventCount(kEmailId) == 0);

  auto done = c.Post(path.c_str(), "List-Unsubscribe=One-Click", kForm);
  REQUIRE(done);
  CHECK(done->status == 200);
  CHECK(done->body.find("Se canceló su suscripción") != std::string::npos);
  CHECK(done->get_header_value("X-Frame-Options") == "DENY");
  CHECK(s.Suppressed("r-1", Channel::kEmail, "ana@example.org"));
  CHECK(s.Suppressed("", Channel::kEmail, "ana@example.org"));
  CHECK_FALSE(s.Suppressed("r-1", Channel::kSms, kPhone));
  // Repeating it is harmless.
  auto again = c.Post(path.c_str(), "List-Unsubscribe=One-Click", kForm);
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("an unknown or forged unsubscribe link is a 404 page and unsubscribes nobody") {
  TrackServer s;
  auto c = s.Client();
  const std::string token = s.Token(TokenKind::kUnsubscribe, kEmailId);
  for (const std::string& bad :
       {Flip(token, 5), std::string("nope"), s.Token(TokenKind::kOpen, kEmailId),
        s.Token(TokenKind::kUnsubscribe, std::string(32, 'c'))}) {
    CAPTURE(bad);
    auto get = c.Get(("/u/" + bad).c_str());
    REQUIRE(get);
    CHECK(get->status == 404);
    CHECK(get->body.find("<form") == std::string::npos);
    auto post = c.Post(("/u/" + bad).c_str(), "List-Unsubscribe=One-Click", kForm);
    REQUIRE(post);
    CHECK(post->status == 404);
    CHECK(post->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  }
  auto spanish = c.Get("/u/nope", {{"Accept-Language", "es-MX,es;q=0.9"}});
  REQUIRE(spanish);
  CHECK(spanish->body.find("Este enlace no funciona") != std::string::npos);
  CHECK_FALSE(s.Suppressed("r-1", Channel::kEmail, "ana@example.org"));
}

TEST_CASE("inbound SMS: every STOP, START and HELP keyword, in any case") {
  TrackServer s;
  const std::string stopped = TwimlReply(DefaultSmsReply(SmsReply::kStopped, "ar", "Oficina", ""));
  const std::string started = TwimlReply(DefaultSmsReply(SmsReply::kStarted, "ar", "Oficina", ""));
  const std::string help = TwimlReply(DefaultSmsReply(SmsReply::kHelp, "ar", "Oficina", ""));
  auto send = [&](const std::string& word) {
    auto r = s.Sms("From=%2B14155550100&To=%2B14155550199&Body=" + word +
                   "&MessageSid=SM1&AccountSid=AC1");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type").rfind("text/xml", 0) == 0);
    return r->body;
  };
  for (const char* stop :
       {"STOP", "stop", "StopAll", "unsubscribe", "Cancel", "eNd", "QUIT", "%20stop%20"}) {
    CAPTURE(stop);
    CHECK(send(stop) == stopped);
    CHECK(s.Suppressed("r-2", Channel::kSms, kPhone));
    CHECK(s.Suppressed("", Channel::kSms, kPhone));
    for (const char* start : {"START", "unstop", "Yes"}) {
      CAPTURE(start);
      CHECK(send(start) == started);
      CHECK_FALSE(s.Suppressed("r-2", Channel::kSms, kPhone));
      CHECK(send(stop) == stopped);
    }
    CHECK(send("start") == started);
  }
  for (const char* h : {"HELP", "help", "Info", "iNFO"}) {
    CAPTURE(h);
    CHECK(send(h) == help);
    CHECK_FALSE(s.Suppressed("r-2", Channel::kSms, kPhone));
  }
  CHECK(send("stop+please") == TwimlReply(""));
  CHECK(send("") == TwimlReply(""));
  CHECK_FALSE(s.Suppressed("r-2", Channel::kSms, kPhone));
  // A number herald never texted: the opt-out still holds, the reply is in English.
  auto r = s.Sms("From=%2B14155550123&Body=STOP");
  REQUIRE(r);
  CHECK(r->body == TwimlReply(DefaultSmsReply(SmsReply::kStopped, "", "Oficina", "")));
  CHECK(s.Suppressed("", Channel::kSms, "+14155550123"));
}

TEST_CASE("inbound SMS: signed, or an ingest key; the sender must be E.164") {
  TrackServer s;
  const std::string body = "From=%2B14155550100&Body=HELP";
  auto unsigned_ = s.Sms(body, "");
  REQUIRE(unsigned_);
  CHECK(unsigned_->status == 401);
  auto wrong = s.Sms(body, "", {{"X-Test-Signature", "forged"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(s.Sms(body, kAdminKey)->status == 200);
  auto signed_ = s.Sms(body, "", {{"X-Test-Signature", "valid"}});
  REQUIRE(signed_);
  CHECK(signed_->status == 200);
  CHECK(s.last_callback_url_ == std::string(kPublicUrl) + "/v1/inbound/sms");
  for (const char* from : {"From=4155550100", "From=%2B1+415+555+0100", "From=", "To=%2B1415"}) {
    CAPTURE(from);
    auto r = s.Sms(std::string(from) + "&Body=STOP");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(Body(r)["error"]["field"] == "From");
  }
  auto json_body =
      s.Client().Post("/v1/inbound/sms", {{"Authorization", std::string("Bearer ") + kIngestKey}},
                      R"({"From":"+14155550100"})", "application/json");
  REQUIRE(json_body);
  CHECK(json_body->status == 415);
}

TEST_CASE("preferences: PUT then GET round trip; opt-outs suppress") {
  TrackServer s;
  auto missing = s.GetPrefs("r-9");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  const std::string body =
      R"({"channels": ["sms", "email"], "locale": "es-MX",
          "opt_outs": [{"channel": "email", "reason": "asked by phone"}]})";
  auto put = s.PutPrefs("r-9", body);
  REQUIRE(put);
  CHECK(put->status == 200);
  const json want = {{"recipient_id", "r-9"},
                     {"channels", {"sms", "email"}},
                     {"locale", "es-MX"},
                     {"opt_outs",
                      {{{"channel", "email"},
                        {"at", "2026-01-01T01:00:00Z"},
                        {"by", "case-system"},
                        {"reason", "asked by phone"}}}},
                     {"updated_at", "2026-01-01T01:00:00Z"},
                     {"updated_by", "case-system"}};
  CHECK(Body(put) == want);
  auto got = s.GetPrefs("r-9");
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(Body(got) == want);
  CHECK(s.Suppressed("r-9", Channel::kEmail, ""));
  CHECK_FALSE(s.Suppressed("r-9", Channel::kSms, ""));

  // A later PUT by another key keeps the existing opt-out's time and author.
  s.clock().Advance(60'000'000);
  auto put2 =
      s.PutPrefs("r-9", R"({"opt_outs": [{"channel": "email"}, {"channel": "sms"}]})", kAdminKey);
  REQUIRE(put2);
  CHECK(put2->status == 200);
  const json j = Body(put2);
  CHECK(j["updated_by"] == "ops");
  CHECK(j["locale"].is_null());
  CHECK(j["channels"] == json::array());
  CHECK(j["opt_outs"][0] == want["opt_outs"][0]);
  CHECK(j["opt_outs"][1]["by"] == "ops");
  CHECK(j["opt_outs"][1]["at"] == "2026-01-01T01:01:00Z");
  CHECK(s.Suppressed("r-9", Channel::kSms, ""));

  httplib::Headers no_key;
  CHECK(s.Client().Get("/v1/recipients/r-9/preferences", no_key)->status == 401);
}

TEST_CASE("preferences: each validation error names its field and writes nothing") {
  TrackServer s;
  REQUIRE(s.PutPrefs("r-1", R"({"channels": ["email"], "locale": "es"})")->status == 200);
  const std::string before = s.GetPrefs("r-1")->body;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"colour": "blue"})", "colour"},
      {R"({"channels": "sms"})", "channels"},
      {R"({"channels": ["fax"]})", "channels[0]"},
      {R"({"channels": ["sms", 3]})", "channels[1]"},
      {R"({"channels": ["sms", "email", "sms"]})", "channels[2]"},
      {R"({"locale": "en_US"})", "locale"},
      {R"({"locale": 7})", "locale"},
      {R"({"locale": ""})", "locale"},
      {R"({"opt_outs": {"channel": "sms"}})", "opt_outs"},
      {R"({"opt_outs": ["sms"]})", "opt_outs[0]"},
      {R"({"opt_outs": [{"channel": "fax"}]})", "opt_outs[0].channel"},
      {R"({"opt_outs": [{"reason": "x"}]})", "opt_outs[0].channel"},
      {R"({"opt_outs": [{"channel": "sms", "by": "me"}]})", "opt_outs[0].by"},
      {R"({"opt_outs": [{"channel": "sms", "reason": 1}]})", "opt_outs[0].reason"},
      {R"({"opt_outs": [{"channel": "sms"}, {"channel": "sms"}]})", "opt_outs[1].channel"},
      {R"({"channels": ["sms"], "opt_outs": [{"channel": "email", "reason": "a\u0007"}]})",
       "opt_outs[0].reason"},
  };
  for (const auto& [body, field] : cases) {
    CAPTURE(body);
    auto r = s.PutPrefs("r-1", body);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(Body(r)["error"]["code"] == "invalid_preferences");
    CHECK(Body(r)["error"]["field"] == field);
    CHECK(s.GetPrefs("r-1")->body == before);
  }
  auto not_json = s.PutPrefs("r-1", "{");
  REQUIRE(not_json);
  CHECK(not_json->status == 400);
  CHECK(Body(not_json)["error"]["code"] == "invalid_json");
  auto array = s.PutPrefs("r-1", "[]");
  REQUIRE(array);
  CHECK(array->status == 400);
  CHECK(s.GetPrefs("r-1")->body == before);
}

TEST_CASE("without the track store: 503, and the pixel still answers its GIF") {
  TrackServer s(/*with_track=*/false);
  auto c = s.Client();
  CheckPixel(c.Get("/o/anything"));
  auto click = c.Get("/c/anything");
  REQUIRE(click);
  CHECK(click->status == 503);
  CHECK_FALSE(click->has_header("Location"));
  CHECK(c.Get("/u/anything")->status == 503);
  CHECK(c.Post("/u/anything", "List-Unsubscribe=One-Click", kForm)->status == 503);
  auto sms = s.Sms("From=%2B14155550100&Body=STOP");
  REQUIRE(sms);
  CHECK(sms->status == 503);
  CHECK(Body(sms)["error"]["code"] == "tracking_not_running");
  CHECK(s.GetPrefs("r-1")->status == 503);
  CHECK(s.PutPrefs("r-1", "{}")->status == 503);
}

}  // namespace
}  // namespace herald::testing
