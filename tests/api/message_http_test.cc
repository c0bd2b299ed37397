// End-to-end tests of delivery receipts and the message API: a Dispatcher over real
// stores sends through the real twilio connector to the Twilio-compatible test server
// (tests/sms_server), which posts its signed StatusCallback back to herald's HTTP server,
// wired as `herald serve` wires it (engine/cli/cmd_serve.cc).
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http/http_util.h"
#include "connectors/twilio/twilio_connector.h"
#include "connectors/twilio/twilio_signature.h"
#include "connectors/webhook/webhook_connector.h"
#include "connectors/webhook/webhook_signature.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/store/rocks_store.h"
#include "tests/api/test_server.h"
#include "tests/dispatch/dispatch_env.h"
#include "tests/sms_server/sms_server.h"

namespace herald::testing {
namespace {

using nlohmann::json;

constexpr const char* kPhone = "+14155550100";  // PlainComposer's SMS recipient
constexpr const char* kHookSecret = "hook-receipt-secret-0123456789";

// herald's HTTP server with the message routes, a Dispatcher with a twilio connector
// (pointed at an SmsTestServer) and a webhook connector (for signed JSON receipts).
class MessageServer {
 public:
  MessageServer() {
    REQUIRE(sms_.Start().ok());
    StoreOptions so;
    so.path = env_.dir.Sub("store");
    so.sync_writes = false;
    auto log = RocksStore::Open(so, env_.clock);
    REQUIRE(log.ok());
    log_ = std::move(log).value();

    ConnectorEnv cenv;
    cenv.clock = &env_.clock;
    const std::map<std::string, std::string> vars = {{"TWILIO_TOKEN", kSmsTestAuthToken},
                                                     {"HOOK_SECRET", kHookSecret}};
    auto lookup = [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    ConnectorConfig twilio;
    twilio.name = "twilio";
    twilio.type = "twilio";
    twilio.options = {{"account_sid", kSmsTestAccountSid},
                      {"auth_token_env", "TWILIO_TOKEN"},
                      {"from", "+14155550199"},
                      {"base_url", sms_.base_url()}};
    auto t = MakeTwilioConnector(twilio, cenv, lookup);
    REQUIRE(t.ok());
    connectors_["twilio"] = std::move(t).value();
    ConnectorConfig hook;
    hook.name = "hook";
    hook.type = "webhook";
    hook.options = {{"url", "http://127.0.0.1:9/unused"},
                    {"secret_env", "HOOK_SECRET"},
                    {"channels", {"email"}}};
    auto h = MakeWebhookConnector(hook, cenv, lookup);
    REQUIRE(h.ok());
    connectors_["hook"] = std::move(h).value();

    config_ = TestConfig();
    config_.data_dir = env_.dir.str();
    ServerDeps deps;
    deps.config = &config_;
    deps.log = log_.get();
    deps.cases = log_.get();
    RocksStore* db = log_.get();
    deps.store_stats = [db] { return db->Stats(); };
    deps.clock = &env_.clock;
    deps.schedule = env_.schedule.get();
    // As cmd_serve.cc wires them.
    deps.messages = env_.messages.get();
    deps.has_connector = [this](const std::string& name) { return connectors_.count(name) > 0; };
    deps.verify_receipt = [this](const std::string& name, const CallbackRequest& request) {
      auto it = connectors_.find(name);
      return it != connectors_.end() && it->second->VerifyCallback(request);
    };
    deps.apply_receipt = [this](const Receipt& receipt, bool* found) {
      return dispatcher_->ApplyReceipt(receipt, found);
    };
    server_ = std::make_unique<HttpServer>(deps);
    auto port = server_->Start("127.0.0.1", 0);
    REQUIRE(port.ok());
    port_ = *port;
    // public_url is only known once the port is: set before the first request.
    config_.public_url = "http://127.0.0.1:" + std::to_string(port_);

    DispatcherOptions d;
    d.connectors["twilio"] = {connectors_["twilio"].get(), 0, 1};
    d.connectors["hook"] = {connectors_["hook"].get(), 0, 1};
    d.public_url = config_.public_url;
    d.random_seed = 1;
    dispatcher_ =
        std::make_unique<Dispatcher>(*env_.schedule, *env_.messages, composer_, env_.clock, d);
  }
  ~MessageServer() {
    server_->Stop();  // no more receipts into the dispatcher
    // The twilio connector keeps keep-alive connections to the SMS test server, whose
    // Stop() waits for open connections to end (its 30 s read timeout): close them first.
    dispatcher_.reset();
    connectors_.clear();
    sms_.Stop();
  }

  // Sends an SMS for `case_id` through twilio; returns the message (sent).
  Message SendSms(const std::string& case_id, int occurrence = 1) {
    env_.AddIntent(case_id, {"sms"}, occurrence);
    REQUIRE(*dispatcher_->Intake(10) == 1);
    REQUIRE(*dispatcher_->SendReady(10) == 1);
    auto ids = env_.messages->MessagesForCase(case_id);
    REQUIRE(ids.ok());
    Message latest;
    for (const std::string& id : *ids) {
      Message m = **env_.messages->Get(id);
      if (m.occurrence == occurrence) latest = m;
    }
    REQUIRE(latest.status == MessageStatus::kSent);
    return latest;
  }
  Message Stored(const std::string& id) { return **env_.messages->Get(id); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  httplib::Result Get(const std::string& path, const std::string& key = kAdminKey) const {
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return Client().Get(path.c_str(), h);
  }
  // POSTs a receipt to /v1/receipts/{connector}{query}.
  httplib::Result PostReceipt(const std::string& connector, const std::string& body,
                              const std::string& content_type, httplib::Headers headers = {},
                              const std::string& query = "") const {
    return Client().Post(("/v1/receipts/" + connector + query).c_str(), headers, body,
                         content_type.c_str());
  }
  httplib::Result JsonReceipt(const json& body, const std::string& key = kIngestKey) const {
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return PostReceipt("twilio", body.dump(), "application/json", h);
  }

  SmsTestServer& sms() { return sms_; }
  FakeClock& clock() { return env_.clock; }
  const std::string& public_url() const { return config_.public_url; }

 private:
  DispatchEnv env_;
  PlainComposer composer_{*env_.messages};
  SmsTestServer sms_;
  std::unique_ptr<RocksStore> log_;
  std::map<std::string, std::unique_ptr<Connector>> connectors_;
  Config config_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::unique_ptr<Dispatcher> dispatcher_;
};

std::vector<std::string> HistoryStatuses(const json& message) {
  std::vector<std::string> out;
  for (const json& h : message["history"]) out.push_back(h["status"]);
  return out;
}

TEST_CASE("the gateway's signed delivery receipt marks the SMS delivered") {
  MessageServer s;
  Message m = s.SendSms("case-1");
  CHECK(m.connector == "twilio");
  CHECK(m.provider_id.rfind("SM", 0) == 0);
  auto record = s.sms().FindMessage(m.provider_id);
  REQUIRE(record);
  CHECK(record->status_callback == s.public_url() + "/v1/receipts/twilio?m=" + m.id);

  // The test server posts a form signed with X-Twilio-Signature, and no API key.
  Result<int> posted = s.sms().SendStatusCallback(m.provider_id, "delivered");
  REQUIRE(posted.ok());
  CHECK(*posted == 200);

  auto r = s.Get("/v1/messages/" + m.id);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = Body(r);
  CHECK(j["id"] == m.id);
  CHECK(j["status"] == "delivered");
  CHECK(j["case_id"] == "case-1");
  CHECK(j["channel"] == "sms");
  CHECK(j["connector"] == "twilio");
  CHECK(j["provider_id"] == m.provider_id);
  CHECK(j["to"] == "+1******0100");  // masked
  CHECK(r->body.find(kPhone) == std::string::npos);
  CHECK(r->body.find("4155550100") == std::string::npos);
  CHECK(HistoryStatuses(j) == std::vector<std::string>{"queued", "sending", "sent", "delivered"});
  CHECK(j["history"][3]["connector"] == "twilio");

  // A repeat, and progress after the fact, change nothing.
  CHECK(*s.sms().SendStatusCallback(m.provider_id, "delivered") == 200);
  CHECK(*s.sms().SendStatusCallback(m.provider_id, "sent") == 200);
  CHECK(*s.sms().SendStatusCallback(m.provider_id, "undelivered", 30003) == 200);
  CHECK(Body(s.Get("/v1/messages/" + m.id)) == j);
}

TEST_CASE("undelivered receipts bounce or suppress the SMS") {
  MessageServer s;
  Message bounced = s.SendSms("case-1");
  Message stopped = s.SendSms("case-2");
  CHECK(*s.sms().SendStatusCallback(bounced.provider_id, "undelivered", 30003) == 200);
  CHECK(*s.sms().SendStatusCallback(stopped.provider_id, "failed", 21610) == 200);
  Message b = s.Stored(bounced.id);
  CHECK(b.status == MessageStatus::kBounced);
  CHECK(b.reason.find("30003") != std::string::npos);
  CHECK(s.Stored(stopped.id).status == MessageStatus::kSuppressed);
}

TEST_CASE("a receipt with a forged or missing Twilio signature needs an API key") {
  MessageServer s;
  Message m = s.SendSms("case-1");
  const std::string query = "?m=" + m.id;
  const FormParams form = {{"MessageSid", m.provider_id}, {"MessageStatus", "undelivered"}};
  const std::string body = http::FormEncode(form);
  const std::string url = s.public_url() + "/v1/receipts/twilio" + query;
  const std::string form_type = "application/x-www-form-urlencoded";

  auto post = [&](httplib::Headers h) {
    return s.PostReceipt("twilio", body, form_type, h, query);
  };
  auto r = post({{"X-Twilio-Signature", "Zm9yZ2VkIHNpZ25hdHVyZQ=="}});
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(post({})->status == 401);
  // Signed with another account's token, or over another URL.
  CHECK(post({{"X-Twilio-Signature", TwilioSignature("not-the-token", url, form)}})->status == 401);
  CHECK(post({{"X-Twilio-Signature",
               TwilioSignature(kSmsTestAuthToken, s.public_url() + "/v1/receipts/twilio", form)}})
            ->status == 401);
  // A good signature over other form values.
  const FormParams delivered = {{"MessageSid", m.provider_id}, {"MessageStatus", "delivered"}};
  CHECK(
      post({{"X-Twilio-Signature", TwilioSignature(kSmsTestAuthToken, url, delivered)}})->status ==
      401);
  CHECK(s.Stored(m.id).status == MessageStatus::kSent);  // none of them did anything

  // The real signature is taken without a key ...
  CHECK(post({{"X-Twilio-Signature", TwilioSignature(kSmsTestAuthToken, url, form)}})->status ==
        200);
  CHECK(s.Stored(m.id).status == MessageStatus::kBounced);
  // ... and an ingest key vouches for an unsigned receipt.
  Message other = s.SendSms("case-2");
  const std::string other_body =
      http::FormEncode({{"MessageSid", other.provider_id}, {"MessageStatus", "delivered"}});
  auto keyed = s.PostReceipt("twilio", other_body, form_type,
                             {{"Authorization", std::string("Bearer ") + kIngestKey}});
  REQUIRE(keyed);
  CHECK(keyed->status == 200);
  CHECK(Body(keyed)["found"] == true);
  CHECK(s.Stored(other.id).status == MessageStatus::kDelivered);
}

TEST_CASE("generic JSON receipts with an ingest key bounce and suppress") {
  MessageServer s;
  Message a = s.SendSms("case-1");
  Message b = s.SendSms("case-2");
  auto r = s.JsonReceipt(
      {{"message_id", a.id}, {"status", "bounced"}, {"code", "30005"}, {"reason", "unknown"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(Body(r) == json({{"found", true}, {"applied", true}}));
  r = s.JsonReceipt({{"provider_id", b.provider_id}, {"status", "suppressed"}});
  CHECK(r->status == 200);
  CHECK(Body(r)["found"] == true);

  json ja = Body(s.Get("/v1/messages/" + a.id));
  CHECK(ja["status"] == "bounced");
  CHECK(ja["reason"] == "bounced 30005: unknown");
  CHECK(HistoryStatuses(ja).back() == "bounced");
  json jb = Body(s.Get("/v1/messages/" + b.id));
  CHECK(jb["status"] == "suppressed");

  // Repeats and later contradictions change nothing.
  CHECK(s.JsonReceipt({{"message_id", a.id}, {"status", "bounced"}})->status == 200);
  CHECK(s.JsonReceipt({{"message_id", a.id}, {"status", "delivered"}})->status == 200);
  CHECK(s.JsonReceipt({{"provider_id", b.provider_id}, {"status", "delivered"}})->status == 200);
  CHECK(Body(s.Get("/v1/messages/" + a.id)) == ja);
  CHECK(Body(s.Get("/v1/messages/" + b.id)) == jb);

  // Without a key (and no signature to vouch for it): 401.
  CHECK(s.JsonReceipt({{"message_id", a.id}, {"status", "bounced"}}, "")->status == 401);
}

TEST_CASE("malformed receipts are 400 naming the field; unknown ids are 200 found=false") {
  MessageServer s;
  Message m = s.SendSms("case-1");
  auto error_field = [](const httplib::Result& r) {
    REQUIRE(r);
    CHECK(r->status == 400);
    json e = Body(r)["error"];
    return e.contains("field") ? e["field"].get<std::string>() : e["code"].get<std::string>();
  };
  const httplib::Headers key = {{"Authorization", std::string("Bearer ") + kIngestKey}};
  CHECK(error_field(s.PostReceipt("twilio", "{not json", "application/json", key)) ==
        "invalid_json");
  CHECK(error_field(s.PostReceipt("twilio", "[1]", "application/json", key)) == "invalid_json");
  CHECK(error_field(s.JsonReceipt({{"message_id", m.id}, {"status", "lost"}})) == "status");
  CHECK(error_field(s.JsonReceipt({{"message_id", m.id}})) == "status");
  CHECK(error_field(s.JsonReceipt({{"status", "delivered"}})) == "message_id");
  CHECK(error_field(s.JsonReceipt({{"message_id", 42}, {"status", "delivered"}})) == "message_id");
  CHECK(error_field(s.JsonReceipt({{"message_id", m.id}, {"status", "delivered"}, {"to", "x"}})) ==
        "to");
  CHECK(error_field(s.PostReceipt("twilio", "MessageSid=" + m.provider_id,
                                  "application/x-www-form-urlencoded", key)) == "invalid_receipt");
  CHECK(s.Stored(m.id).status == MessageStatus::kSent);

  auto r = s.JsonReceipt({{"message_id", std::string(32, '0')}, {"status", "delivered"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(Body(r) == json({{"found", false}, {"applied", false}}));
  r = s.JsonReceipt({{"provider_id", "SM-nobody"}, {"status", "delivered"}});
  CHECK(r->status == 200);
  CHECK(Body(r)["found"] == false);
  // A receipt naming our message under another connector finds nothing either.
  r = s.PostReceipt("hook", json({{"message_id", m.id}, {"status", "delivered"}}).dump(),
                    "application/json", key);
  CHECK(r->status == 200);
  CHECK(Body(r)["found"] == false);
  CHECK(s.Stored(m.id).status == MessageStatus::kSent);

  r = s.PostReceipt("nowhere", json({{"message_id", m.id}, {"status", "delivered"}}).dump(),
                    "application/json", key);
  CHECK(r->status == 404);
  CHECK(Body(r)["error"]["code"] == "connector_not_found");
  // Without a key, an unknown connector is not told apart from a known one.
  r = s.PostReceipt("nowhere", json({{"message_id", m.id}, {"status", "delivered"}}).dump(),
                    "application/json");
  CHECK(r->status == 401);
}

TEST_CASE("the webhook connector vouches for receipts signed with its secret") {
  MessageServer s;
  const std::string body = json({{"provider_id", "hook-1"}, {"status", "delivered"}}).dump();
  const int64_t now = s.clock().NowMicros() / 1'000'000;
  auto signed_post = [&](int64_t ts, const std::string& secret) {
    return s.PostReceipt("hook", body, "application/json",
                         {{"X-Herald-Timestamp", std::to_string(ts)},
                          {"X-Herald-Signature", WebhookSignature(secret, ts, body)}});
  };
  auto r = signed_post(now, kHookSecret);
  REQUIRE(r);
  CHECK(r->status == 200);  // vouched for; the message is unknown
  CHECK(Body(r)["found"] == false);
  CHECK(signed_post(now, "some-other-secret-0123456789")->status == 401);
  CHECK(signed_post(now - 301, kHookSecret)->status == 401);  // stale: a replay
  CHECK(s.PostReceipt("hook", body, "application/json")->status == 401);
  // Twilio's connector does not vouch for the webhook's signature, nor the reverse.
  CHECK(s.PostReceipt("twilio", body, "application/json",
                      {{"X-Herald-Timestamp", std::to_string(now)},
                       {"X-Herald-Signature", WebhookSignature(kHookSecret, now, body)}})
            ->status == 401);
}

TEST_CASE("VerifyCallback looks only at the signature headers it knows") {
  const std::string url = "https://herald.example/v1/receipts/twilio?m=abc";
  CallbackRequest req;
  req.url = url;
  req.form = {{"MessageSid", "SM1"}, {"MessageStatus", "delivered"}};
  const std::string sig = TwilioSignature("token", url, req.form);
  req.headers = {{"x-twilio-signature", sig}};
  CHECK(VerifyTwilioCallback("token", req));
  CHECK_FALSE(VerifyTwilioCallback("other", req));
  CHECK_FALSE(VerifyTwilioCallback("", req));
  req.headers = {{"X-Twilio-Signature", sig}};  // names are lower-case, but case is forgiven
  CHECK(VerifyTwilioCallback("token", req));
  req.headers = {{"x-twilio-signature", sig}, {"x-twilio-signature", "other"}};
  CHECK_FALSE(VerifyTwilioCallback("token", req));  // two signatures: refused
  req.headers = {};
  CHECK_FALSE(VerifyTwilioCallback("token", req));

  CallbackRequest hook;
  hook.body = R"({"message_id":"m","status":"delivered"})";
  const Micros now = 1'767'225'600'000'000;
  hook.headers = {{"x-herald-timestamp", "1767225600"},
                  {"x-herald-signature", WebhookSignature("secret", 1767225600, hook.body)}};
  CHECK(VerifyWebhookCallback("secret", hook, now));
  CHECK_FALSE(VerifyWebhookCallback("secret", hook, now + 301'000'000));
  CHECK_FALSE(VerifyWebhookCallback("other", hook, now));
  hook.body += " ";
  CHECK_FALSE(VerifyWebhookCallback("secret", hook, now));
}

TEST_CASE("a case's messages are listed oldest first with masked addresses") {
  MessageServer s;
  Message first = s.SendSms("case-7", 1);
  s.clock().Advance(60'000'000);
  Message second = s.SendSms("case-7", 2);
  CHECK(*s.sms().SendStatusCallback(first.provider_id, "delivered") == 200);
  s.SendSms("case-8");

  auto r = s.Get("/v1/cases/case-7/messages");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = Body(r);
  CHECK(j["case_id"] == "case-7");
  REQUIRE(j["messages"].size() == 2);
  CHECK(j["messages"][0]["id"] == first.id);
  CHECK(j["messages"][0]["status"] == "delivered");
  CHECK(j["messages"][0]["occurrence"] == 1);
  CHECK(j["messages"][1]["id"] == second.id);
  CHECK(j["messages"][1]["status"] == "sent");
  for (const json& m : j["messages"]) {
    CHECK(m["to"] == "+1******0100");
    CHECK_FALSE(m.contains("history"));
  }
  CHECK(r->body.find(kPhone) == std::string::npos);

  auto none = s.Get("/v1/cases/nobody/messages");
  CHECK(none->status == 200);
  CHECK(Body(none)["messages"].empty());
  CHECK(s.Get("/v1/cases/case-7/messages", kIngestKey)->status == 403);  // admin scope
  CHECK(s.Get("/v1/messages/" + first.id, "")->status == 401);
  CHECK(s.Get("/v1/messages/" + std::string(32, 'f'))->status == 404);
}

}  // namespace
}  // namespace herald::testing
