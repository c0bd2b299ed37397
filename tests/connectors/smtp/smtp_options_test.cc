#include <map>
#include <string>

#include <doctest/doctest.h>

#include "connectors/smtp/smtp_connector.h"

namespace herald {
namespace {

Result<SmtpOptions> Parse(nlohmann::json options,
                          std::map<std::string, std::string> env_vars = {}) {
  ConnectorConfig config;
  config.name = "mail";
  config.type = "smtp";
  config.options = std::move(options);
  return ParseSmtpOptions(config, [env_vars](const std::string& k) -> std::optional<std::string> {
    auto it = env_vars.find(k);
    if (it == env_vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string Errors(nlohmann::json options) {
  Result<SmtpOptions> r = Parse(std::move(options));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

TEST_CASE("smtp options: defaults and a full set") {
  Result<SmtpOptions> r =
      Parse({{"url", "smtp://mail.example.org:587"}, {"from", "a@example.org"}});
  REQUIRE(r.ok());
  CHECK(r->url == "smtp://mail.example.org:587");
  CHECK(r->host == "mail.example.org");
  CHECK_FALSE(r->implicit_tls);
  CHECK(r->starttls == SmtpOptions::StartTls::kOpportunistic);
  CHECK(r->concurrency == 4);
  CHECK(r->timeout_seconds == 30);
  CHECK(r->helo == "example.org");
  CHECK(r->tls_verify);

  r = Parse({{"url", "SMTPS://[2001:db8::1]:465/"},
             {"from", "a@example.org"},
             {"starttls", "none"},
             {"username", "u"},
             {"password_env", "SMTP_PW"},
             {"concurrency", 8},
             {"timeout_seconds", 5},
             {"helo", "herald.example.org"},
             {"tls_verify", false}},
            {{"SMTP_PW", "pw"}});
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->url == "smtps://[2001:db8::1]:465");
  CHECK(r->implicit_tls);
  CHECK(r->password == "pw");
  CHECK(r->concurrency == 8);
  CHECK(r->helo == "herald.example.org");
  CHECK_FALSE(r->tls_verify);
}

TEST_CASE("smtp options: every problem, by field, without values") {
  const std::string e = Errors({{"url", "http://x"},
                                {"from", "not-an-address"},
                                {"starttls", "maybe"},
                                {"concurrency", 0},
                                {"timeout_seconds", "30"},
                                {"tls_verify", "yes"},
                                {"ca_file", "relative.pem"},
                                {"colour", "blue"}});
  CHECK(e.find("connectors.mail.url: must start with smtp:// or smtps://") != std::string::npos);
  CHECK(e.find("connectors.mail.from: must be a valid email address") != std::string::npos);
  CHECK(e.find("connectors.mail.starttls: must be none, opportunistic or required") !=
        std::string::npos);
  CHECK(e.find("connectors.mail.concurrency: must be an integer from 1 to 64") !=
        std::string::npos);
  CHECK(e.find("connectors.mail.timeout_seconds: must be an integer") != std::string::npos);
  CHECK(e.find("connectors.mail.tls_verify: must be true or false") != std::string::npos);
  CHECK(e.find("connectors.mail.ca_file: must be an absolute path") != std::string::npos);
  CHECK(e.find("connectors.mail.colour: unknown option") != std::string::npos);
  CHECK(e.find("blue") == std::string::npos);

  CHECK(Errors(nlohmann::json::object()) ==
        "connectors.mail.url: required (smtp://host:port or smtps://host:port)\n"
        "connectors.mail.from: required (the envelope sender)");
  for (const char* url :
       {"smtp://user:pw@host", "smtp://host/path", "smtp://host:0", "smtp://host:99999", "smtp://",
        "smtp://ho st", "smtp://[::1", "smtp", "smtp://host:", "smtp://host?x=1"}) {
    CAPTURE(url);
    CHECK(Errors({{"url", url}, {"from", "a@example.org"}}).find("connectors.mail.url: ") == 0);
  }
}

TEST_CASE("smtp options: passwords") {
  const nlohmann::json base = {{"url", "smtp://mail.example.org:587"}, {"from", "a@example.org"}};
  nlohmann::json o = base;
  o["username"] = "u";
  o["password"] = "secret-value";
  // Not over cleartext to a remote server...
  std::string e = Errors(o);
  CHECK(e.find("connectors.mail.starttls: must be required") == 0);
  CHECK(e.find("secret-value") == std::string::npos);
  o["starttls"] = "required";
  CHECK(Parse(o).ok());
  // ...but fine over implicit TLS, or to loopback.
  o.erase("starttls");
  o["url"] = "smtps://mail.example.org";
  CHECK(Parse(o).ok());
  o["url"] = "smtp://127.0.0.1:2525";
  CHECK(Parse(o).ok());
  o["url"] = "smtp://localhost";
  CHECK(Parse(o).ok());

  o["password_env"] = "X";
  CHECK(Errors(o).find("connectors.mail.password: give password or password_env, not both") !=
        std::string::npos);
  o.erase("password");
  CHECK(Errors(o) ==
        "connectors.mail.password_env: the environment variable it names is not set or empty");
  o = base;
  o["username"] = "u";
  CHECK(Errors(o) == "connectors.mail.password: required with username");
  o = base;
  o["password"] = "p";
  o["url"] = "smtp://localhost";
  CHECK(Errors(o) == "connectors.mail.username: required with a password");
}

}  // namespace
}  // namespace herald
