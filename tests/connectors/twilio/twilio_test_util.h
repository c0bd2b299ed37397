// Helpers for the twilio connector tests: a config pointing at an SmsTestServer, and a
// loopback HTTP receiver for status callbacks.
#pragma once

#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "connectors/twilio/twilio_connector.h"
#include "engine/core/clock.h"
#include "tests/sms_server/sms_server.h"

namespace herald::testing {

inline constexpr const char* kTwilioFrom = "+14155550199";

inline ConnectorConfig TwilioConfigFor(const SmsTestServer& server,
                                       const nlohmann::json& extra = nlohmann::json::object()) {
  ConnectorConfig c;
  c.name = "sms";
  c.type = "twilio";
  c.options = {{"account_sid", server.options().account_sid},
               {"auth_token", server.options().auth_token},
               {"from", kTwilioFrom},
               {"base_url", server.base_url()},
               {"timeout_seconds", 10}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c.options[it.key()] = it.value();
  return c;
}

// A running SmsTestServer and a twilio connector talking to it, on a FakeClock.
struct TwilioFixture {
  explicit TwilioFixture(const nlohmann::json& extra = nlohmann::json::object()) {
    REQUIRE(server.Start().ok());
    ConnectorEnv env;
    env.clock = &clock;
    auto made = MakeTwilioConnector(TwilioConfigFor(server, extra), env, nullptr);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    connector = std::move(made).value();
  }

  static OutboundMessage Sms(std::string to = "+14155550100", std::string text = "hello") {
    OutboundMessage m;
    m.id = "msg-1";
    m.channel = Channel::kSms;
    m.to = std::move(to);
    m.sms_text = std::move(text);
    return m;
  }

  FakeClock clock;
  SmsTestServer server;
  std::unique_ptr<Connector> connector;
};

// An HTTP server on loopback recording every POST (the receiver of status callbacks).
class CallbackReceiver {
 public:
  struct Post {
    std::string path;  // with the query
    std::string body;
    std::string signature;  // X-Twilio-Signature
    std::string content_type;
  };

  CallbackReceiver() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back({req.target, req.body, req.get_header_value("X-Twilio-Signature"),
                        req.get_header_value("Content-Type")});
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until listen has started.
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~CallbackReceiver() {
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Post> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Post> posts_;
};

}  // namespace herald::testing
