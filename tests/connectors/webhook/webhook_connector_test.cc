// The webhook connector against a loopback receiver: the body, the signature (checked with
// an independent OpenSSL HMAC), the headers, and how replies are classified.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "connectors/webhook/webhook_connector.h"
#include "connectors/webhook/webhook_signature.h"
#include "engine/core/clock.h"
#include "tests/connectors/webhook/webhook_receiver.h"

namespace herald::testing {
namespace {

using Kind = SendOutcome::Kind;

constexpr const char* kSecret = "whsec-0123456789abcdef";

// HMAC-SHA256 as lower-case hex, straight from OpenSSL: the receiver's view.
std::string IndependentHmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

struct WebhookFixture {
  explicit WebhookFixture(nlohmann::json extra = nlohmann::json::object()) {
    ConnectorConfig c;
    c.name = "gateway";
    c.type = "webhook";
    c.options = {{"url", receiver.Url("/hooks/herald?tenant=city")},
                 {"secret", kSecret},
                 {"headers", {{"Authorization", "Bearer gw-token"}, {"X-Tenant", "city hall"}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it) c.options[it.key()] = it.value();
    ConnectorEnv env;
    env.clock = &clock;
    auto made = MakeWebhookConnector(c, env, nullptr);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    connector = std::move(made).value();
  }

  static OutboundMessage Sms() {
    OutboundMessage m;
    m.id = "msg-42";
    m.channel = Channel::kSms;
    m.to = "+14155550100";
    m.sms_text = "مرحبا: your documents are due Friday & \"soon\" ✓";
    m.metadata = {{"campaign", "documents"}, {"rule", "reminder"}, {"case_id", "C-9"}};
    m.status_callback_url = "https://herald.example/v1/receipts/webhook?m=msg-42";
    return m;
  }
  static OutboundMessage Email() {
    OutboundMessage m;
    m.id = "msg-43";
    m.channel = Channel::kEmail;
    m.to = "ana@example.org";
    m.envelope_from = "bounces@agency.example";
    m.mime =
        "From: Agency <no-reply@agency.example>\r\nTo: ana@example.org\r\nSubject: "
        "Hi\r\n\r\nBody\r\n";
    return m;
  }

  FakeClock clock;  // 2026-01-01T00:00:00Z = 1767225600
  WebhookReceiver receiver;
  std::unique_ptr<Connector> connector;
};

TEST_CASE("webhook: an sms arrives as signed JSON with the documented fields and headers") {
  WebhookFixture f;
  f.receiver.Next({200, R"({"id":"gw-1","status":"queued"})", "", {}});
  OutboundMessage m = WebhookFixture::Sms();
  SendOutcome out = f.connector->Send(m);
  REQUIRE_MESSAGE(out.kind == Kind::kAccepted, out.code << " " << out.reason);
  CHECK(out.provider_id == "gw-1");

  auto got = f.receiver.received();
  REQUIRE(got.size() == 1);
  const auto& r = got[0];
  CHECK(r.target == "/hooks/herald?tenant=city");
  CHECK(r.Header("Content-Type") == "application/json");
  CHECK(r.Header("Idempotency-Key") == "msg-42");
  CHECK(r.Header("Authorization") == "Bearer gw-token");
  CHECK(r.Header("X-Tenant") == "city hall");
  CHECK(r.HeaderCount("X-Herald-Signature") == 1);

  nlohmann::json body = nlohmann::json::parse(r.body);
  CHECK(body["id"] == "msg-42");
  CHECK(body["channel"] == "sms");
  CHECK(body["to"] == "+14155550100");
  CHECK(body["sms_text"] == m.sms_text);
  CHECK_FALSE(body.contains("mime"));
  CHECK(body["metadata"]["case_id"] == "C-9");
  CHECK(body["status_callback_url"] == m.status_callback_url);

  // The receiver's check: HMAC-SHA256(secret, "<timestamp>.<raw body>").
  std::string ts = r.Header("X-Herald-Timestamp");
  CHECK(ts == "1767225600");
  CHECK(r.Header("X-Herald-Signature") ==
        "sha256=" + IndependentHmacHex(kSecret, ts + "." + r.body));
  CHECK(VerifyWebhookSignature(kSecret, ts, r.body, r.Header("X-Herald-Signature"), 1767225600));
}

TEST_CASE("webhook: an email carries the MIME text and the envelope sender") {
  WebhookFixture f;
  f.receiver.Next({202, "", "", {}});
  f.clock.Advance(90'500'000);
  OutboundMessage m = WebhookFixture::Email();
  SendOutcome out = f.connector->Send(m);
  REQUIRE(out.kind == Kind::kAccepted);
  CHECK(out.provider_id == "msg-43");  // no id in the reply: the message id
  auto r = f.receiver.received().at(0);
  nlohmann::json body = nlohmann::json::parse(r.body);
  CHECK(body["channel"] == "email");
  CHECK(body["mime"] == m.mime);
  CHECK(body["envelope_from"] == "bounces@agency.example");
  CHECK_FALSE(body.contains("sms_text"));
  CHECK_FALSE(body.contains("status_callback_url"));
  CHECK(body["metadata"] == nlohmann::json::object());
  CHECK(r.Header("X-Herald-Timestamp") == "1767225690");
  CHECK(r.Header("X-Herald-Signature") ==
        "sha256=" + IndependentHmacHex(kSecret, "1767225690." + r.body));
}

TEST_CASE("webhook: replies map to outcomes") {
  WebhookFixture f;
  struct Case {
    WebhookReceiver::Reply reply;
    Kind kind;
    std::string code;
  };
  std::vector<Case> cases = {
      {{200, R"({"status":"suppressed","reason":"opted out"})", "", {}}, Kind::kSuppress, "200"},
      {{410, "", "", {}}, Kind::kSuppress, "410"},
      {{422, R"({"status":"suppressed"})", "", {}}, Kind::kSuppress, "422"},
      {{400, R"({"code":"bad_number","reason":"+14155550100 is not a mobile"})", "", {}},
       Kind::kPermanent,
       "bad_number"},
      {{404, "", "", {}}, Kind::kPermanent, "404"},
      {{403, R"({"error":"forbidden"})", "", {}}, Kind::kPermanent, "403"},
      {{401, "", "", {}}, Kind::kTemporary, "401"},
      {{408, "", "", {}}, Kind::kTemporary, "408"},
      {{500, R"({"status":"suppressed"})", "", {}}, Kind::kTemporary, "500"},
      {{503, "", "", {}}, Kind::kTemporary, "503"},
      {{302, "", "", {}}, Kind::kTemporary, "302"},
      {{201, R"({"id":12345678901})", "", {}}, Kind::kAccepted, ""},
  };
  for (const Case& c : cases) f.receiver.Next(c.reply);
  for (const Case& c : cases) {
    SendOutcome out = f.connector->Send(WebhookFixture::Sms());
    CAPTURE(c.reply.status);
    CAPTURE(c.reply.body);
    CHECK(out.kind == c.kind);
    CHECK(out.code == c.code);
    CHECK(out.reason.find("4155550100") == std::string::npos);
    if (c.kind == Kind::kAccepted) CHECK(out.provider_id == "12345678901");
  }
  CHECK(f.receiver.received().size() == cases.size());
  CHECK(f.receiver.connections() <= 2);  // kept alive (a 3xx/4xx may not close it either)
}

TEST_CASE("webhook: 429 and 503 honour Retry-After") {
  WebhookFixture f;
  f.receiver.Next({429, "", "12", {}});
  f.receiver.Next({503, "", "Thu, 01 Jan 2026 00:00:05 GMT", {}});
  SendOutcome a = f.connector->Send(WebhookFixture::Sms());
  CHECK(a.kind == Kind::kTemporary);
  CHECK(a.code == "429");
  CHECK(a.retry_after == Micros{12'000'000});
  SendOutcome b = f.connector->Send(WebhookFixture::Sms());
  CHECK(b.kind == Kind::kTemporary);
  CHECK(b.retry_after == Micros{5'000'000});
}

TEST_CASE("webhook: a slow receiver times out as temporary") {
  WebhookFixture f(nlohmann::json{{"timeout_seconds", 0.2}});
  f.receiver.Next({200, "{}", "", std::chrono::seconds(30)});
  SendOutcome out = f.connector->Send(WebhookFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "timeout");
}

TEST_CASE("webhook: nobody listening is temporary") {
  int port = 0;
  { port = WebhookReceiver().port(); }
  ConnectorConfig c;
  c.name = "gateway";
  c.type = "webhook";
  c.options = {{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}, {"secret", kSecret}};
  auto made = MakeWebhookConnector(c, ConnectorEnv{}, nullptr);
  REQUIRE(made.ok());
  SendOutcome out = (*made)->Send(WebhookFixture::Sms());
  CHECK(out.kind == Kind::kTemporary);
  CHECK(out.code == "network");
}

TEST_CASE("webhook: sequential sends reuse one connection") {
  WebhookFixture f;
  for (int i = 0; i < 12; ++i)
    REQUIRE(f.connector->Send(WebhookFixture::Sms()).kind == Kind::kAccepted);
  CHECK(f.receiver.received().size() == 12);
  CHECK(f.receiver.connections() == 1);
}

TEST_CASE("webhook: refused without a request: other channel, bad id, ill-formed UTF-8") {
  WebhookFixture f(nlohmann::json{{"channels", {"sms"}}});
  CHECK(f.connector->channels() == std::vector<Channel>{Channel::kSms});
  CHECK(f.connector->Send(WebhookFixture::Email()).kind == Kind::kPermanent);
  OutboundMessage bad_id = WebhookFixture::Sms();
  bad_id.id = "msg\r\nX-Evil: 1";
  SendOutcome a = f.connector->Send(bad_id);
  CHECK(a.kind == Kind::kPermanent);
  CHECK(a.code == "bad_id");
  OutboundMessage bad_text = WebhookFixture::Sms();
  bad_text.sms_text = "caf\xe9";
  SendOutcome b = f.connector->Send(bad_text);
  CHECK(b.kind == Kind::kPermanent);
  CHECK(b.code == "invalid_message");
  CHECK(f.receiver.received().empty());
}

TEST_CASE("webhook: signature verification rejects what it should") {
  std::string body = R"({"id":"m"})";
  std::string sig = WebhookSignature(kSecret, 1767225600, body);
  CHECK(sig.rfind("sha256=", 0) == 0);
  CHECK(sig.size() == 7 + 64);
  CHECK(VerifyWebhookSignature(kSecret, "1767225600", body, sig, 1767225600 + 300));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225600", body, sig, 1767225600 + 301));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225600", body, sig, 1767225600 - 301));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225600", body + " ", sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature("another-secret-value", "1767225600", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225601", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "+1767225600", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225600x", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature("", "1767225600", body, sig, 1767225600));
  CHECK_FALSE(VerifyWebhookSignature(kSecret, "1767225600", body, sig.substr(7), 1767225600));
}

}  // namespace
}  // namespace herald::testing
