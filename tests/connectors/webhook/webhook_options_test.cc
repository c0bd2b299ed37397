// The webhook connector's options: every problem named by field, header injection refused,
// secrets never echoed.
#include <stdlib.h>

#include <map>

#include <doctest/doctest.h>

#include "connectors/webhook/webhook_connector.h"

namespace herald {
namespace {

constexpr const char* kSecret = "whsec-0123456789abcdef";

ConnectorConfig Config(nlohmann::json options) {
  ConnectorConfig c;
  c.name = "gw";
  c.type = "webhook";
  c.options = std::move(options);
  return c;
}

nlohmann::json Valid() {
  return {{"url", "https://gateway.example/herald"}, {"secret", kSecret}};
}

std::string Problems(const nlohmann::json& options, const http::EnvLookup& env = nullptr) {
  Result<WebhookOptions> r = ParseWebhookOptions(Config(options), env);
  if (r.ok()) return "";
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("webhook options: defaults and full set") {
  Result<WebhookOptions> d = ParseWebhookOptions(Config(Valid()), nullptr);
  REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  CHECK(d->channels == std::vector<Channel>{Channel::kEmail, Channel::kSms});
  CHECK(d->headers.empty());
  CHECK(d->http.timeout_seconds == 10);
  CHECK(d->http.concurrency == 4);
  CHECK(d->http.tls_verify);

  nlohmann::json o = Valid();
  o["url"] = "http://127.0.0.1:9000/in?key=a";
  o["channels"] = {"sms"};
  o["headers"] = {{"X-Api-Key", "k-1"}, {"Authorization", "Bearer t"}};
  o["timeout_seconds"] = 3;
  o["concurrency"] = 8;
  o["tls_verify"] = false;
  Result<WebhookOptions> r = ParseWebhookOptions(Config(o), nullptr);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->url == "http://127.0.0.1:9000/in?key=a");
  CHECK(r->channels == std::vector<Channel>{Channel::kSms});
  CHECK(r->headers.size() == 2);
  CHECK(r->http.concurrency == 8);
  CHECK_FALSE(r->http.tls_verify);
}

TEST_CASE("webhook options: secret_env") {
  nlohmann::json o = Valid();
  o.erase("secret");
  o["secret_env"] = "HERALD_WEBHOOK_SECRET";
  std::map<std::string, std::string> vars = {{"HERALD_WEBHOOK_SECRET", "from-the-environment"}};
  auto env = [&](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  Result<WebhookOptions> r = ParseWebhookOptions(Config(o), env);
  REQUIRE(r.ok());
  CHECK(r->secret == "from-the-environment");
  vars["HERALD_WEBHOOK_SECRET"] = "short";
  CHECK(Has(Problems(o, env), "connectors.gw.secret_env: the secret must be at least 16 bytes"));
  vars.clear();
  CHECK(Has(Problems(o, env),
            "connectors.gw.secret_env: environment variable HERALD_WEBHOOK_SECRET"));

  setenv("HERALD_WEBHOOK_TEST_SECRET", "process-environment-secret", 1);
  o["secret_env"] = "HERALD_WEBHOOK_TEST_SECRET";
  auto made = CreateWebhookConnector(Config(o), ConnectorEnv{});
  REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  CHECK((*made)->type() == "webhook");
  CHECK((*made)->name() == "gw");
  unsetenv("HERALD_WEBHOOK_TEST_SECRET");
}

TEST_CASE("webhook options: each problem names its field") {
  struct Case {
    nlohmann::json patch;  // merged into Valid(); null removes the key
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"url", nullptr}}, "connectors.gw.url: required"},
      {{{"url", "gateway.example/herald"}}, "connectors.gw.url: must be an http"},
      {{{"url", "https://gateway.example/a\r\nb"}}, "connectors.gw.url:"},
      {{{"url", "https://user:pw@gateway.example/"}},
       "connectors.gw.url: must not contain user info"},
      {{{"secret", nullptr}}, "connectors.gw.secret: required"},
      {{{"secret", "short"}}, "connectors.gw.secret: the secret must be at least 16 bytes"},
      {{{"secret_env", "X"}}, "connectors.gw.secret: give either"},
      {{{"channels", "sms"}}, "connectors.gw.channels: must be a non-empty list"},
      {{{"channels", nlohmann::json::array()}}, "connectors.gw.channels: must be a non-empty list"},
      {{{"channels", {"sms", "fax"}}}, "connectors.gw.channels[1]: must be email or sms"},
      {{{"channels", {"sms", "sms"}}}, "connectors.gw.channels[1]: is listed twice"},
      {{{"headers", "X-A: 1"}}, "connectors.gw.headers: must be a mapping"},
      {{{"headers", {{"X-Evil", "1\r\nX-Injected: yes"}}}},
       "connectors.gw.headers.X-Evil: value must not contain CR, LF"},
      {{{"headers", {{"X-Evil", "1\nX-Injected: yes"}}}},
       "connectors.gw.headers.X-Evil: value must not contain CR, LF"},
      {{{"headers", {{"X-Evil", "1\rX-Injected: yes"}}}},
       "connectors.gw.headers.X-Evil: value must not contain CR, LF"},
      {{{"headers", {{"X-Nul", std::string("a\0b", 3)}}}},
       "connectors.gw.headers.X-Nul: value must not contain"},
      {{{"headers", {{"X-Evil\r\nX-Injected", "1"}}}},
       "connectors.gw.headers.X-Evil??X-Injected: is not a valid header name"},
      {{{"headers", {{"Bad Name", "1"}}}},
       "connectors.gw.headers.Bad Name: is not a valid header name"},
      {{{"headers", {{"Content-Type", "text/plain"}}}},
       "connectors.gw.headers.Content-Type: is set by herald"},
      {{{"headers", {{"x-herald-signature", "sha256=0"}}}},
       "connectors.gw.headers.x-herald-signature: is set by herald"},
      {{{"headers", {{"Idempotency-Key", "k"}}}},
       "connectors.gw.headers.Idempotency-Key: is set by herald"},
      {{{"headers", {{"Transfer-Encoding", "chunked"}}}},
       "connectors.gw.headers.Transfer-Encoding: is set by herald"},
      {{{"headers", {{"X-Version", 2}}}}, "connectors.gw.headers.X-Version: must be a string"},
      {{{"headers", {{"X-A", "1"}, {"x-a", "2"}}}}, "is given twice"},
      {{{"timeout_seconds", -1}}, "connectors.gw.timeout_seconds: must be between"},
      {{{"concurrency", 5000}}, "connectors.gw.concurrency: must be between 1 and 1024"},
      {{{"tls_verify", 1}}, "connectors.gw.tls_verify: must be true or false"},
      {{{"secret_key", "x"}}, "connectors.gw.secret_key: unknown option"},
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
    CHECK_FALSE(Has(problems, kSecret));
    CHECK_FALSE(Has(problems, "X-Injected: yes"));  // values are never echoed
    CHECK(problems.find('\r') == std::string::npos);
  }
}

}  // namespace
}  // namespace herald
