// The twilio connector against the Twilio-compatible test server over loopback: what
// arrives, and how every kind of reply is classified.
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "connectors/http/http_util.h"
#include "connectors/twilio/twilio_signature.h"
#include "tests/connectors/twilio/twilio_test_util.h"

namespace herald::testing {
namespace {

using Kind = SendOutcome::Kind;

TEST_CASE("twilio: the form, the credentials and the reply sid arrive intact") {
  TwilioFixture f;
  OutboundMessage m =
      TwilioFixture::Sms("+14155550100", "مرحبا، موعدك غدًا. a+b & c=d %20 100% ✓\nline two");
  m.status_callback_url = "http://127.0.0.1:1/v1/receipts/twilio?m=msg-1&x=a+b";
  SendOutcome out = f.connector->Send(m);
  REQUIRE_MESSAGE(out.kind == Kind::kAccepted, out.code << " " << out.reason);
  CHECK(out.provider_id.size() == 34);
  CHECK(out.provider_id.rfind("SM", 0) == 0);

  std::vector<SmsRecord> got = f.server.Messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].sid == out.provider_id);
  CHECK(got[0].account_sid == f.server.options().account_sid);
  CHECK(got[0].to == "+14155550100");
  CHECK(got[0].from == kTwilioFrom);
  CHECK(got[0].messaging_service_sid.empty());
  CHECK(got[0].body == m.sms_text);  // byte for byte: UTF-8, '+', '&', '=', '%', newline
  CHECK(got[0].status_callback == m.status_callback_url);
  CHECK(f.server.Stats().failed == 0);
}

TEST_CASE("twilio: no StatusCallback field when the message has no callback url") {
  TwilioFixture f;
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  REQUIRE(out.kind == Kind::kAccepted);
  REQUIRE(f.server.Messages().size() == 1);
  CHECK(f.server.Messages()[0].status_callback.empty());
}

TEST_CASE("twilio: messaging_service_sid replaces from") {
  nlohmann::json extra = {{"messaging_service_sid", "MG0123456789abcdef0123456789abcdef"},
                          {"from", nullptr}};
  TwilioFixture f(extra);
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  REQUIRE_MESSAGE(out.kind == Kind::kAccepted, out.reason);
  auto got = f.server.Messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].from.empty());
  CHECK(got[0].messaging_service_sid == "MG0123456789abcdef0123456789abcdef");
}

TEST_CASE("twilio: 21211 invalid number is permanent, with the number redacted") {
  TwilioFixture f;
  f.server.SetNumberRule("+15005550001", {400, 21211, "", ""});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms("+15005550001"));
  CHECK(out.kind == Kind::kPermanent);
  CHECK(out.code == "21211");
  CHECK(out.reason.find("not a valid phone number") != std::string::npos);
  CHECK(out.reason.find("5005550001") == std::string::npos);
  CHECK(out.reason.find("[phone]") != std::string::npos);
  CHECK_FALSE(out.retry_after.has_value());
  CHECK(f.server.Stats().accepted == 0);
  // Other numbers still go through.
  CHECK(f.connector->Send(TwilioFixture::Sms("+14155550100")).kind == Kind::kAccepted);
}

TEST_CASE("twilio: 21610 (recipient sent STOP) means suppress") {
  TwilioFixture f;
  f.server.SetNumberRule("+14155550123", {400, 21610, "", ""});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms("+14155550123"));
  CHECK(out.kind == Kind::kSuppress);
  CHECK(out.code == "21610");
  CHECK(out.reason.find("unsubscribed") != std::string::npos);
}

TEST_CASE("twilio: another 4xx code is permanent with that code") {
  TwilioFixture f;
  f.server.FailNext(1, {400, 21408, "", ""});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms("+861065529988"));
  CHECK(out.kind == Kind::kPermanent);
  CHECK(out.code == "21408");
  CHECK(out.reason.find("1065529988") == std::string::npos);
}

TEST_CASE("twilio: 429 is temporary and honours Retry-After in seconds") {
  TwilioFixture f;
  f.server.FailNext(1, {429, 20429, "", "7"});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "20429");
  REQUIRE(out.retry_after.has_value());
  CHECK(*out.retry_after == 7'000'000);
  // The next request is not failed.
  CHECK(f.connector->Send(TwilioFixture::Sms()).kind == Kind::kAccepted);
}

TEST_CASE("twilio: Retry-After as an HTTP-date is measured from the injected clock") {
  TwilioFixture f;  // FakeClock at 2026-01-01T00:00:00Z
  f.server.FailNext(1, {429, 20429, "", "Thu, 01 Jan 2026 00:01:30 GMT"});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  REQUIRE(out.retry_after.has_value());
  CHECK(*out.retry_after == 90'000'000);
}

TEST_CASE("twilio: 500 and 503 are temporary") {
  TwilioFixture f;
  f.server.FailNext(1, {500, 20500, "", ""});
  f.server.FailNext(1, {503, 0, "Service Unavailable", "2"});
  SendOutcome a = f.connector->Send(TwilioFixture::Sms());
  CHECK(a.kind == Kind::kTemporary);
  CHECK(a.code == "20500");
  CHECK_FALSE(a.retry_after.has_value());
  SendOutcome b = f.connector->Send(TwilioFixture::Sms());
  CHECK(b.kind == Kind::kTemporary);
  CHECK(b.code == "503");
  REQUIRE(b.retry_after.has_value());
  CHECK(*b.retry_after == 2'000'000);
}

TEST_CASE("twilio: wrong credentials are temporary (configuration, not the message)") {
  TwilioFixture f(nlohmann::json{{"auth_token", "not-the-token"}});
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "20003");
  CHECK(out.reason.find("not-the-token") == std::string::npos);
}

TEST_CASE("twilio: a reply lost after the gateway accepted is temporary; the next send works") {
  TwilioFixture f;
  f.server.DropNext(1);
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "network");
  CHECK(out.provider_id.empty());
  CHECK(f.server.Stats().accepted == 1);  // it was accepted: a retry may duplicate it
  CHECK(f.server.Stats().dropped == 1);
  SendOutcome again = f.connector->Send(TwilioFixture::Sms());
  CHECK(again.kind == Kind::kAccepted);
  CHECK(f.server.Stats().accepted == 2);
}

TEST_CASE("twilio: a slow gateway times out as temporary") {
  TwilioFixture f(nlohmann::json{{"timeout_seconds", 0.2}});
  f.server.SetDelay(std::chrono::seconds(30));  // Stop() cuts the wait short
  SendOutcome out = f.connector->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "timeout");
  CHECK(out.reason.find("curl 28") != std::string::npos);
}

TEST_CASE("twilio: nobody listening is temporary") {
  int port = 0;
  {
    SmsTestServer gone;
    REQUIRE(gone.Start().ok());
    port = gone.port();
  }
  SmsTestServer server;
  ConnectorConfig c = TwilioConfigFor(server);
  c.options["base_url"] = "http://127.0.0.1:" + std::to_string(port);
  auto made = MakeTwilioConnector(c, ConnectorEnv{}, nullptr);
  REQUIRE(made.ok());
  SendOutcome out = (*made)->Send(TwilioFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "network");
}

TEST_CASE("twilio: email and empty messages are refused without a request") {
  TwilioFixture f;
  OutboundMessage email = TwilioFixture::Sms();
  email.channel = Channel::kEmail;
  CHECK(f.connector->Send(email).kind == Kind::kPermanent);
  CHECK(f.connector->Send(TwilioFixture::Sms("", "x")).kind == Kind::kPermanent);
  CHECK(f.connector->Send(TwilioFixture::Sms("+14155550100", "")).kind == Kind::kPermanent);
  CHECK(f.server.Stats().requests == 0);
}

TEST_CASE("twilio: sequential sends reuse one connection") {
  TwilioFixture f;
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE(f.connector->Send(TwilioFixture::Sms()).kind == Kind::kAccepted);
  }
  SmsStats s = f.server.Stats();
  CHECK(s.accepted == kMessages);
  CHECK(s.connections == 1);
}

TEST_CASE("twilio: concurrent sends use at most `concurrency` connections") {
  TwilioFixture f(nlohmann::json{{"concurrency", 3}});
  CHECK(f.connector->max_concurrency() == 3);
  constexpr int kThreads = 3;
  constexpr int kEach = 15;
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (f.connector->Send(TwilioFixture::Sms()).kind == Kind::kAccepted) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(accepted.load() == kThreads * kEach);
  SmsStats s = f.server.Stats();
  CHECK(s.accepted == kThreads * kEach);
  CHECK(s.connections <= 3);
  CHECK(s.connections < s.accepted);
}

TEST_CASE("twilio: the server's status callbacks verify with VerifyTwilioSignature") {
  TwilioFixture f;
  CallbackReceiver receiver;
  OutboundMessage m = TwilioFixture::Sms();
  m.status_callback_url = receiver.Url("/v1/receipts/twilio?m=msg-1");
  SendOutcome out = f.connector->Send(m);
  REQUIRE(out.kind == Kind::kAccepted);

  Result<int> delivered = f.server.SendStatusCallback(out.provider_id, "delivered");
  REQUIRE_MESSAGE(delivered.ok(), delivered.status().ToString());
  CHECK(*delivered == 204);
  Result<int> undelivered = f.server.SendStatusCallback(out.provider_id, "undelivered", 30003);
  REQUIRE(undelivered.ok());
  CHECK(f.server.SendStatusCallback("SMnope", "delivered").status().IsNotFound());

  auto posts = receiver.posts();
  REQUIRE(posts.size() == 2);
  for (const auto& p : posts) {
    CHECK(p.path == "/v1/receipts/twilio?m=msg-1");
    CHECK(p.content_type == "application/x-www-form-urlencoded");
    FormParams params = http::FormDecode(p.body);
    CHECK(VerifyTwilioSignature(f.server.options().auth_token, m.status_callback_url, params,
                                p.signature));
    CHECK_FALSE(VerifyTwilioSignature("other-token", m.status_callback_url, params, p.signature));
  }
  FormParams first = http::FormDecode(posts[0].body);
  FormParams second = http::FormDecode(posts[1].body);
  auto value = [](const FormParams& ps, const std::string& k) {
    for (const auto& [name, v] : ps) {
      if (name == k) return v;
    }
    return std::string("<absent>");
  };
  CHECK(value(first, "MessageSid") == out.provider_id);
  CHECK(value(first, "MessageStatus") == "delivered");
  CHECK(value(first, "To") == "+14155550100");
  CHECK(value(first, "ErrorCode") == "<absent>");
  CHECK(value(second, "MessageStatus") == "undelivered");
  CHECK(value(second, "ErrorCode") == "30003");
  CHECK(f.server.Stats().callbacks == 2);
}

}  // namespace
}  // namespace herald::testing
