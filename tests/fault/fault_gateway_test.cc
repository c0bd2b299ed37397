// Gateway faults end to end: the Dispatcher, the real twilio connector and the
// Twilio-compatible test server (tests/sms_server) over loopback, on a FakeClock. Every
// fault ends with the message sent once the gateway behaves, and with every send the
// gateway saw on the message's record.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "connectors/twilio/twilio_connector.h"
#include "tests/dispatch/dispatch_env.h"
#include "tests/sms_server/sms_server.h"

namespace herald::testing {
namespace {

constexpr Micros kSecond = 1'000'000;

struct SmsRig {
  DispatchEnv env;
  PlainComposer composer{*env.messages};
  SmsTestServer server;
  std::unique_ptr<Connector> sms;
  std::unique_ptr<Dispatcher> dispatcher;

  explicit SmsRig(double timeout_seconds = 10, SmsServerOptions server_options = {})
      : server(std::move(server_options)) {
    REQUIRE(server.Start().ok());
    ConnectorConfig c;
    c.name = "sms";
    c.type = "twilio";
    c.options = {{"account_sid", server.options().account_sid},
                 {"auth_token", server.options().auth_token},
                 {"from", "+14155550199"},
                 {"base_url", server.base_url()},
                 {"timeout_seconds", timeout_seconds}};
    auto made = MakeTwilioConnector(c, ConnectorEnv{&env.clock}, nullptr);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    sms = std::move(made).value();
    DispatcherOptions o;
    o.connectors["sms"] = {sms.get(), 0, 1};
    o.delivery.retry_initial_us = 2 * kSecond;
    o.delivery.retry_max_us = 60 * kSecond;
    o.random_seed = 7;
    dispatcher = std::make_unique<Dispatcher>(*env.schedule, *env.messages, composer, env.clock, o);
  }

  void Intake(int cases) {
    for (int i = 1; i <= cases; ++i) env.AddIntent("case-" + std::to_string(i), {"sms"});
    REQUIRE(*dispatcher->Intake(100) == static_cast<size_t>(cases));
  }
  size_t SendReady() {
    Result<size_t> n = dispatcher->SendReady(100);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
  // Moves the clock to the message's next attempt and sends.
  void RetryAt(const Message& m) {
    env.clock.Set(m.next_attempt_at);
    SendReady();
  }
};

std::string Details(const Message& m) {
  std::string all;
  for (const MessageEvent& e : m.history)
    all += std::string(MessageStatusName(e.status)) + " [" + e.detail + "] ";
  return all;
}

TEST_CASE("fault gateway: 5xx answers are retried with backoff until the gateway recovers") {
  SmsRig rig;
  rig.server.FailNext(2, {500, 20500, "", ""});
  rig.server.FailNext(1, {503, 0, "Service Unavailable", ""});
  rig.Intake(1);
  CHECK(rig.SendReady() == 1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    Message m = rig.env.Only("case-1");
    CAPTURE(Details(m));
    REQUIRE(m.status == MessageStatus::kQueued);
    CHECK(m.attempts == attempt);
    CHECK(m.next_attempt_at > rig.env.clock.NowMicros());
    // Not before its backoff.
    rig.env.clock.Set(m.next_attempt_at - 1);
    CHECK(rig.SendReady() == 0);
    rig.RetryAt(m);
  }
  Message m = rig.env.Only("case-1");
  CAPTURE(Details(m));
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 4);
  CHECK(m.provider_id == rig.server.Messages().at(0).sid);
  SmsStats s = rig.server.Stats();
  CHECK(s.requests == 4);
  CHECK(s.accepted == 1);  // refused three times, taken once
}

TEST_CASE("fault gateway: a 429 storm with Retry-After holds every message exactly that long") {
  SmsRig rig;
  constexpr int kMessages = 3;
  rig.server.FailNext(2 * kMessages, {429, 20429, "", "30"});
  rig.Intake(kMessages);
  for (int round = 1; round <= 2; ++round) {
    const Micros now = rig.env.clock.NowMicros();
    CHECK(rig.SendReady() == kMessages);
    for (int i = 1; i <= kMessages; ++i) {
      Message m = rig.env.Only("case-" + std::to_string(i));
      REQUIRE(m.status == MessageStatus::kQueued);
      CHECK(m.attempts == round);
      // The gateway's 30 s, not the 2-4 s backoff: on the injected clock, to the micro.
      CHECK(m.next_attempt_at == now + 30 * kSecond);
      CHECK(m.history.back().detail.find("temporary 20429") == 0);
    }
    const uint64_t requests = rig.server.Stats().requests;
    rig.env.clock.Set(now + 30 * kSecond - 1);
    CHECK(rig.SendReady() == 0);
    CHECK(rig.server.Stats().requests == requests);  // nobody knocked early
    rig.env.clock.Set(now + 30 * kSecond);
  }
  CHECK(rig.SendReady() == kMessages);
  for (int i = 1; i <= kMessages; ++i) {
    CHECK(rig.env.Only("case-" + std::to_string(i)).status == MessageStatus::kSent);
  }
  CHECK(rig.server.Stats().requests == 3 * kMessages);
  CHECK(rig.server.Stats().accepted == kMessages);
}

TEST_CASE("fault gateway: a Retry-After shorter than the backoff does not shorten it") {
  SmsRig rig;
  rig.server.FailNext(1, {429, 20429, "", "0"});
  rig.Intake(1);
  const Micros now = rig.env.clock.NowMicros();
  rig.SendReady();
  Message m = rig.env.Only("case-1");
  CHECK(m.next_attempt_at >= now + 1 * kSecond);  // half the 2 s backoff at least
  CHECK(m.next_attempt_at <= now + 2 * kSecond);
}

TEST_CASE("fault gateway: a gateway that takes the message and never answers times out") {
  // The server records the message, then holds its reply past the connector's timeout:
  // the gateway has it, herald cannot know. The resend is on the message's record.
  SmsRig rig(/*timeout_seconds=*/1);
  rig.server.SetDelay(std::chrono::seconds(60));  // Stop() cuts it short
  rig.Intake(1);
  rig.SendReady();
  Message m = rig.env.Only("case-1");
  CAPTURE(Details(m));
  REQUIRE(m.status == MessageStatus::kQueued);
  CHECK(m.history.back().detail.find("temporary timeout") == 0);
  CHECK(rig.server.Stats().accepted == 1);

  rig.server.ClearMisbehaviour();
  rig.RetryAt(m);
  m = rig.env.Only("case-1");
  CAPTURE(Details(m));
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 2);
  // Two copies at the gateway, and two attempts on record: the first one's reply lost.
  CHECK(rig.server.Stats().accepted == 2);
  CHECK(m.provider_id == rig.server.Messages().at(1).sid);
  CHECK(m.history.size() == 5);  // queued, sending, queued (timeout), sending, sent
}

TEST_CASE("fault gateway: a reply dropped after acceptance is retried and the resend recorded") {
  SmsRig rig;
  rig.server.DropNext(1);
  rig.Intake(2);
  CHECK(rig.SendReady() == 2);
  // Whichever went first lost its reply; the other went through.
  const bool first_lost = rig.env.Only("case-1").status == MessageStatus::kQueued;
  const std::string lost_case = first_lost ? "case-1" : "case-2";
  Message lost = rig.env.Only(lost_case);
  CAPTURE(Details(lost));
  REQUIRE(lost.status == MessageStatus::kQueued);
  CHECK(lost.history.back().detail.find("temporary network") == 0);
  CHECK(rig.env.Only(first_lost ? "case-2" : "case-1").status == MessageStatus::kSent);
  CHECK(rig.server.Stats().dropped == 1);

  rig.RetryAt(lost);
  lost = rig.env.Only(lost_case);
  CHECK(lost.status == MessageStatus::kSent);
  CHECK(lost.attempts == 2);
  SmsStats s = rig.server.Stats();
  CHECK(s.accepted == 3);  // case-1 twice: the price of a lost reply, and on its record
  int copies = 0;
  for (const SmsRecord& r : rig.server.Messages()) copies += r.sid == lost.provider_id;
  CHECK(copies == 1);
}

TEST_CASE("fault gateway: a reply dropped on a reused connection is not resent behind dispatch") {
  // libcurl resends a request by itself when a reused keep-alive connection dies before
  // the reply; the gateway took the first copy, so that would be a second text with one
  // attempt on record. Every copy the gateway takes must be an attempt on record.
  SmsRig rig;
  rig.Intake(1);
  REQUIRE(rig.SendReady() == 1);  // opens the keep-alive connection
  REQUIRE(rig.server.Stats().connections == 1);
  rig.server.DropNext(1);
  rig.env.AddIntent("case-2", {"sms"});
  REQUIRE(*rig.dispatcher->Intake(10) == 1);
  rig.SendReady();
  Message m = rig.env.Only("case-2");
  CAPTURE(Details(m));
  CHECK(rig.server.Stats().accepted == 1 + static_cast<uint64_t>(m.attempts));
  if (m.status == MessageStatus::kQueued) rig.RetryAt(m);
  m = rig.env.Only("case-2");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(rig.server.Stats().accepted == 1 + static_cast<uint64_t>(m.attempts));
}

TEST_CASE("fault gateway: a gateway that is down is retried until it is back") {
  auto rig = std::make_unique<SmsRig>();
  const int port = rig->server.port();
  rig->server.Stop();  // connection refused from now on
  rig->Intake(1);
  rig->SendReady();
  Message m = rig->env.Only("case-1");
  REQUIRE(m.status == MessageStatus::kQueued);
  CHECK(m.history.back().detail.find("temporary network") == 0);

  // The gateway comes back on the same port.
  SmsServerOptions same_port;
  same_port.port = port;
  SmsTestServer back(same_port);
  REQUIRE(back.Start().ok());
  rig->RetryAt(m);
  m = rig->env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(back.Stats().accepted == 1);
  rig.reset();  // closes the connector's keep-alive connection before `back` stops
}

}  // namespace
}  // namespace herald::testing
