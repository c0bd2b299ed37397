// The twilio connector's options (every problem, named by field, no secrets in messages)
// and the reply classification on replies the test server does not produce.
#include <stdlib.h>

#include <map>

#include <doctest/doctest.h>

#include "connectors/twilio/twilio_connector.h"

namespace herald {
namespace {

using Kind = SendOutcome::Kind;

constexpr const char* kSid = "AC0123456789abcdef0123456789abcdef";

ConnectorConfig Config(nlohmann::json options) {
  ConnectorConfig c;
  c.name = "sms";
  c.type = "twilio";
  c.options = std::move(options);
  return c;
}

nlohmann::json Valid() {
  return {{"account_sid", kSid}, {"auth_token", "s3cret-token"}, {"from", "+14155550199"}};
}

http::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The error text for these options ("" when they are valid).
std::string Problems(nlohmann::json options, const http::EnvLookup& env = nullptr) {
  Result<TwilioOptions> r = ParseTwilioOptions(Config(std::move(options)), env);
  if (r.ok()) return "";
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("twilio options: defaults") {
  Result<TwilioOptions> r = ParseTwilioOptions(Config(Valid()), nullptr);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->account_sid == kSid);
  CHECK(r->auth_token == "s3cret-token");
  CHECK(r->base_url == "https://api.twilio.com");
  CHECK(r->http.timeout_seconds == 10);
  CHECK(r->http.concurrency == 4);
  CHECK(r->http.tls_verify);
}

TEST_CASE("twilio options: all set") {
  nlohmann::json o = Valid();
  o["base_url"] = "http://127.0.0.1:8089/";
  o["timeout_seconds"] = 2.5;
  o["concurrency"] = 16;
  o["tls_verify"] = false;
  o["from"] = "City Hall";
  Result<TwilioOptions> r = ParseTwilioOptions(Config(o), nullptr);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->base_url == "http://127.0.0.1:8089");
  CHECK(r->http.timeout_seconds == 2.5);
  CHECK(r->http.concurrency == 16);
  CHECK_FALSE(r->http.tls_verify);
  CHECK(r->from == "City Hall");
}

TEST_CASE("twilio options: auth_token_env reads the named variable") {
  nlohmann::json o = Valid();
  o.erase("auth_token");
  o["auth_token_env"] = "HERALD_TWILIO_TOKEN";
  Result<TwilioOptions> r =
      ParseTwilioOptions(Config(o), Env({{"HERALD_TWILIO_TOKEN", "from-env"}}));
  REQUIRE(r.ok());
  CHECK(r->auth_token == "from-env");

  std::string unset = Problems(o, Env({}));
  CHECK(Has(unset, "connectors.sms.auth_token_env: environment variable HERALD_TWILIO_TOKEN"));

  // The registry's factory reads the process environment.
  setenv("HERALD_TWILIO_TEST_TOKEN", "process-env", 1);
  o["auth_token_env"] = "HERALD_TWILIO_TEST_TOKEN";
  auto made = CreateTwilioConnector(Config(o), ConnectorEnv{});
  REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  CHECK((*made)->name() == "sms");
  CHECK((*made)->type() == "twilio");
  CHECK((*made)->channels() == std::vector<Channel>{Channel::kSms});
  unsetenv("HERALD_TWILIO_TEST_TOKEN");
}

TEST_CASE("twilio options: each problem names its field") {
  struct Case {
    nlohmann::json patch;  // merged into Valid(); null removes the key
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"account_sid", nullptr}}, "connectors.sms.account_sid: required"},
      {{{"account_sid", "AC123"}}, "connectors.sms.account_sid: must be \"AC\""},
      {{{"account_sid", "SK0123456789abcdef0123456789abcdef"}}, "connectors.sms.account_sid:"},
      {{{"account_sid", 42}}, "connectors.sms.account_sid: must be a string"},
      {{{"auth_token", nullptr}}, "connectors.sms.auth_token: required"},
      {{{"auth_token_env", "X"}}, "connectors.sms.auth_token: give either"},
      {{{"auth_token", ""}}, "connectors.sms.auth_token: must be a non-empty string"},
      {{{"from", nullptr}}, "connectors.sms.from: required (or messaging_service_sid)"},
      {{{"from", "4155550199"}}, "connectors.sms.from: must be an E.164 number"},
      {{{"from", "ThisIsTooLongASender"}}, "connectors.sms.from:"},
      {{{"from", "12345"}}, "connectors.sms.from:"},
      {{{"messaging_service_sid", "MGxyz"}}, "connectors.sms.messaging_service_sid:"},
      {{{"base_url", "ftp://api.twilio.com"}}, "connectors.sms.base_url: must be an http"},
      {{{"base_url", "https://api.twilio.com?x=1"}},
       "connectors.sms.base_url: must not contain a query"},
      {{{"base_url", "https://user:pw@api.twilio.com"}},
       "connectors.sms.base_url: must not contain user info"},
      {{{"base_url", "https://api.twilio.com:99999"}},
       "connectors.sms.base_url: has an invalid port"},
      {{{"base_url", "https://api.twilio.com/a b"}}, "connectors.sms.base_url:"},
      {{{"timeout_seconds", 0}}, "connectors.sms.timeout_seconds: must be between"},
      {{{"timeout_seconds", "10"}}, "connectors.sms.timeout_seconds: must be a number"},
      {{{"concurrency", 0}}, "connectors.sms.concurrency: must be between 1 and 1024"},
      {{{"concurrency", 2.5}}, "connectors.sms.concurrency: must be an integer"},
      {{{"tls_verify", "yes"}}, "connectors.sms.tls_verify: must be true or false"},
      {{{"form", "+14155550199"}}, "connectors.sms.form: unknown option"},
  };
  for (const Case& c : cases) {
    nlohmann::json o = Valid();
    for (auto it = c.patch.begin(); it != c.patch.end(); ++it) {
      if (it->is_null()) {
        o.erase(it.key());
      } else {
        o[it.key()] = *it;
      }
    }
    std::string problems = Problems(o);
    CAPTURE(o.dump());
    CHECK_MESSAGE(Has(problems, c.expect), problems);
    CHECK_FALSE(Has(problems, "s3cret-token"));
  }
}

TEST_CASE("twilio options: every problem is reported at once") {
  std::string p = Problems({{"account_sid", "x"}, {"concurrency", -1}, {"bogus", true}});
  CHECK(Has(p, "connectors.sms.account_sid:"));
  CHECK(Has(p, "connectors.sms.auth_token:"));
  CHECK(Has(p, "connectors.sms.from:"));
  CHECK(Has(p, "connectors.sms.concurrency:"));
  CHECK(Has(p, "connectors.sms.bogus: unknown option"));
  CHECK(std::count(p.begin(), p.end(), '\n') == 4);
}

http::HttpResponse Reply(long status, std::string body, std::string retry_after = "") {
  http::HttpResponse r;
  r.transport = http::HttpResponse::Transport::kOk;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

TEST_CASE("twilio classification: replies the test server does not make") {
  Micros now = 1'767'225'600'000'000;
  SendOutcome ok = ClassifyTwilioReply(Reply(200, R"({"sid":"SMabc","status":"queued"})"), now);
  CHECK(ok.kind == Kind::kAccepted);
  CHECK(ok.provider_id == "SMabc");

  // A sid is an id, not text: a long run of digits in it is kept.
  SendOutcome digits =
      ClassifyTwilioReply(Reply(201, R"({"sid":"SM01234567890123456789012345678901"})"), now);
  CHECK(digits.kind == Kind::kAccepted);
  CHECK(digits.provider_id == "SM01234567890123456789012345678901");

  SendOutcome no_sid = ClassifyTwilioReply(Reply(200, "<html>proxy</html>"), now);
  CHECK(no_sid.kind == Kind::kTemporary);
  CHECK(no_sid.code == "invalid_reply");

  SendOutcome html = ClassifyTwilioReply(Reply(502, "<html>Bad Gateway</html>", "30"), now);
  CHECK(html.kind == Kind::kTemporary);
  CHECK(html.code == "502");
  CHECK(html.retry_after == Micros{30'000'000});

  SendOutcome redirect = ClassifyTwilioReply(Reply(301, ""), now);
  CHECK(redirect.kind == Kind::kTemporary);

  SendOutcome not_found = ClassifyTwilioReply(
      Reply(404, R"({"code":20404,"message":"The requested resource was not found"})"), now);
  CHECK(not_found.kind == Kind::kPermanent);
  CHECK(not_found.code == "20404");

  // A phone number without '+' and an address in the text are redacted, controls removed.
  SendOutcome text = ClassifyTwilioReply(
      Reply(400,
            R"({"code":21614,"message":"'To' number 14155550100 (a@b.example)\r\nis not mobile"})"),
      now);
  CHECK(text.kind == Kind::kPermanent);
  CHECK(text.reason.find("14155550100") == std::string::npos);
  CHECK(text.reason.find("a@b.example") == std::string::npos);
  CHECK(text.reason.find('\n') == std::string::npos);

  SendOutcome bad_date = ClassifyTwilioReply(Reply(429, "{}", "soon"), now);
  CHECK(bad_date.kind == Kind::kTemporary);
  CHECK_FALSE(bad_date.retry_after.has_value());

  http::HttpResponse timeout;
  timeout.transport = http::HttpResponse::Transport::kTimeout;
  timeout.error = "curl 28: Timeout was reached";
  CHECK(ClassifyTwilioReply(timeout, now).kind == Kind::kTemporary);
  CHECK(ClassifyTwilioReply(timeout, now).code == "timeout");
}

TEST_CASE("twilio: alphanumeric sender ids") {
  CHECK(IsAlphanumericSenderId("CityHall"));
  CHECK(IsAlphanumericSenderId("City Hall 1"));
  CHECK_FALSE(IsAlphanumericSenderId("123456"));
  CHECK_FALSE(IsAlphanumericSenderId("City-Hall"));
  CHECK_FALSE(IsAlphanumericSenderId(" City"));
  CHECK_FALSE(IsAlphanumericSenderId("ABCDEFGHIJKL"));
  CHECK_FALSE(IsAlphanumericSenderId(""));
}

}  // namespace
}  // namespace herald
