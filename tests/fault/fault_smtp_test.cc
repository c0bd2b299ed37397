// A slow SMTP server end to end: the Dispatcher and the real smtp connector against
// SmtpFaultServer (smtp_fault_server.h) on loopback. A late reply within the connector's
// timeout is a normal send; one past it is a temporary failure (the connector's timeout is
// wall-clock time in libcurl, here its minimum of one second), and a message the server
// took before going silent goes again, on the record, once it answers.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>

#include "connectors/smtp/smtp_connector.h"
#include "tests/dispatch/dispatch_env.h"
#include "tests/fault/smtp_fault_server.h"

namespace herald::testing {
namespace {

constexpr Micros kSecond = 1'000'000;
using Hold = SmtpFaultServer::Hold;

struct SmtpRig {
  DispatchEnv env;
  PlainComposer composer{*env.messages};
  SmtpFaultServer server;
  std::unique_ptr<Connector> mail;
  std::unique_ptr<Dispatcher> dispatcher;

  explicit SmtpRig(int timeout_seconds) {
    ConnectorConfig c;
    c.name = "mail";
    c.type = "smtp";
    c.options = {{"url", server.url()},
                 {"from", "bounces@herald.example"},
                 {"starttls", "none"},
                 {"concurrency", 1},
                 {"timeout_seconds", timeout_seconds}};
    auto made = CreateSmtpConnector(c, ConnectorEnv{&env.clock});
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    mail = std::move(made).value();
    DispatcherOptions o;
    o.connectors["mail"] = {mail.get(), 0, 1};
    o.delivery.retry_initial_us = 2 * kSecond;
    o.random_seed = 7;
    dispatcher = std::make_unique<Dispatcher>(*env.schedule, *env.messages, composer, env.clock, o);
  }
  size_t SendReady() {
    Result<size_t> n = dispatcher->SendReady(100);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
};

TEST_CASE("fault smtp: a server slow to answer within the timeout is a normal send") {
  SmtpRig rig(/*timeout_seconds=*/30);
  rig.server.SetHold(Hold::kDataEnd);
  rig.env.AddIntent("case-1", {"email"});
  REQUIRE(*rig.dispatcher->Intake(10) == 1);
  // The reply comes only once the whole message sits at the server and the client has
  // been left waiting for it.
  std::thread late([&] {
    rig.server.WaitHeld(1);
    rig.server.ReleaseHeld();
  });
  CHECK(rig.SendReady() == 1);
  late.join();
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 1);
  CHECK(m.provider_id == "F1");
  CHECK(rig.server.messages().size() == 1);
}

TEST_CASE("fault smtp: a server that takes the data and goes silent times out; resent after") {
  SmtpRig rig(/*timeout_seconds=*/1);
  rig.server.SetHold(Hold::kDataEnd);
  rig.env.AddIntent("case-1", {"email"});
  REQUIRE(*rig.dispatcher->Intake(10) == 1);
  CHECK(rig.SendReady() == 1);
  Message m = rig.env.Only("case-1");
  REQUIRE(m.status == MessageStatus::kQueued);
  CHECK(m.history.back().detail.find("temporary") == 0);
  CHECK(rig.server.messages().size() == 1);  // the server has it; herald cannot know

  rig.server.SetHold(Hold::kNone);
  rig.env.clock.Set(m.next_attempt_at);
  CHECK(rig.SendReady() == 1);
  m = rig.env.Only("case-1");
  std::string details;
  for (const MessageEvent& e : m.history) details += e.detail + " | ";
  CAPTURE(details);
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 2);
  CHECK(m.provider_id == "F2");
  // Two copies at the server, two attempts on the message's record.
  CHECK(rig.server.messages().size() == 2);
  CHECK(m.history.size() == 5);
}

TEST_CASE("fault smtp: a server that accepts connections but never greets times out") {
  SmtpRig rig(/*timeout_seconds=*/1);
  rig.server.SetHold(Hold::kGreeting);
  rig.env.AddIntent("case-1", {"email"});
  REQUIRE(*rig.dispatcher->Intake(10) == 1);
  CHECK(rig.SendReady() == 1);
  Message m = rig.env.Only("case-1");
  REQUIRE(m.status == MessageStatus::kQueued);
  CHECK(rig.server.messages().empty());
  CHECK(rig.server.connections() >= 1);

  rig.server.SetHold(Hold::kNone);
  rig.env.clock.Set(m.next_attempt_at);
  CHECK(rig.SendReady() == 1);
  m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(rig.server.messages().size() == 1);
}

}  // namespace
}  // namespace herald::testing
