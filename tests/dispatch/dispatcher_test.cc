#include <doctest/doctest.h>

#include <set>

#include "engine/dispatch/delivery_policy.h"
#include "tests/dispatch/dispatch_env.h"

namespace herald {
namespace {

using testing::DispatchEnv;
using testing::PlainComposer;
using testing::ScriptedConnector;

constexpr Micros kSecond = 1'000'000;

struct Rig {
  DispatchEnv env;
  PlainComposer composer{*env.messages};
  ScriptedConnector mail{"mail", {Channel::kEmail}};
  ScriptedConnector backup{"backup", {Channel::kEmail}};
  ScriptedConnector sms{"sms", {Channel::kSms}};
  std::unique_ptr<Dispatcher> dispatcher;

  explicit Rig(DispatcherOptions o = {}) {
    if (o.connectors.empty()) {
      o.connectors["mail"] = {&mail, 0, 1};
      o.connectors["sms"] = {&sms, 0, 1};
    }
    o.random_seed = 7;
    dispatcher = std::make_unique<Dispatcher>(*env.schedule, *env.messages, composer, env.clock, o);
  }
  void Round() {
    REQUIRE(dispatcher->Intake(100).ok());
    REQUIRE(dispatcher->SendReady(100).ok());
  }
};

TEST_CASE("an intent becomes one message per channel, sent and recorded") {
  Rig rig;
  rig.env.AddIntent("case-1", {"email", "sms"});
  Result<size_t> taken = rig.dispatcher->Intake(100);
  REQUIRE(taken.ok());
  CHECK(*taken == 1);
  auto ids = rig.env.messages->MessagesForCase("case-1");
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 2);
  CHECK(*rig.env.messages->ReadyCount() == 2);

  Result<size_t> sent = rig.dispatcher->SendReady(100);
  REQUIRE(sent.ok());
  CHECK(*sent == 2);
  CHECK(rig.mail.sent().size() == 1);
  CHECK(rig.sms.sent().size() == 1);
  CHECK(rig.sms.sent()[0].status_callback_url.empty());  // no public_url configured
  for (const std::string& id : *ids) {
    Message m = **rig.env.messages->Get(id);
    CHECK(m.status == MessageStatus::kSent);
    CHECK(m.attempts == 1);
    CHECK(m.provider_id.rfind("gw-", 0) == 0);
    REQUIRE(m.history.size() == 3);  // queued, sending, sent
    CHECK(m.history[1].status == MessageStatus::kSending);
  }
  CHECK(*rig.env.messages->ReadyCount() == 0);
  CHECK(*rig.dispatcher->SendReady(100) == 0);  // nothing is sent twice
  CHECK(rig.mail.sent().size() == 1);
}

TEST_CASE("intake is idempotent: a repeated intake keeps what happened to the messages") {
  Rig rig;
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  Message sent = rig.env.Only("case-1");
  CHECK(sent.status == MessageStatus::kSent);
  // The cursor write lost: the store goes back to before the intent.
  MessageBatch rewind;
  rewind.outbox_cursor = 0;
  REQUIRE(rig.env.messages->Commit(rewind).ok());
  REQUIRE(*rig.dispatcher->Intake(100) == 1);
  CHECK(rig.env.Only("case-1") == sent);
  CHECK(*rig.dispatcher->SendReady(100) == 0);
  CHECK(rig.mail.sent().size() == 1);
}

TEST_CASE("an intent without a usable channel is suppressed, never sent") {
  Rig rig;
  rig.env.AddIntent("case-1", {});
  rig.Round();
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSuppressed);
  CHECK(m.reason == "no usable channel");
  CHECK(rig.mail.sent().empty());
}

TEST_CASE("temporary failures retry with growing, jittered backoff, then fail as technical") {
  DispatcherOptions o;
  o.delivery.max_attempts = 3;
  o.delivery.retry_initial_us = 10 * kSecond;
  o.delivery.retry_max_us = 60 * kSecond;
  Rig rig(o);
  for (int i = 0; i < 3; ++i) {
    rig.mail.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "451", "try later"));
  }
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kQueued);
  CHECK(m.attempts == 1);
  const Micros now = rig.env.clock.NowMicros();
  CHECK(m.next_attempt_at >= now + 5 * kSecond);
  CHECK(m.next_attempt_at <= now + 10 * kSecond);
  CHECK(m.history.back().detail.find("temporary 451: try later") != std::string::npos);

  // Not before its time.
  rig.env.clock.Set(m.next_attempt_at - 1);
  CHECK(*rig.dispatcher->SendReady(100) == 0);
  rig.env.clock.Set(m.next_attempt_at);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  m = rig.env.Only("case-1");
  CHECK(m.attempts == 2);
  const Micros second_wait = m.next_attempt_at - rig.env.clock.NowMicros();
  CHECK(second_wait >= 10 * kSecond);
  CHECK(second_wait <= 20 * kSecond);

  rig.env.clock.Set(m.next_attempt_at);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kFailed);
  CHECK(m.failure == "technical");
  CHECK(m.reason.find("gave up after 3 attempts") != std::string::npos);
  CHECK(*rig.env.messages->ReadyCount() == 0);
}

TEST_CASE("Retry-After from the gateway is honoured") {
  Rig rig;
  SendOutcome throttled = SendOutcome::Failure(SendOutcome::Kind::kTemporary, "429", "slow down");
  throttled.retry_after = 600 * kSecond;
  rig.mail.Then(throttled);
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  Message m = rig.env.Only("case-1");
  CHECK(m.next_attempt_at == rig.env.clock.NowMicros() + 600 * kSecond);
}

TEST_CASE("a message past its maximum age is a technical failure, not retried forever") {
  DispatcherOptions o;
  o.delivery.max_age_us = 60 * kSecond;
  o.delivery.retry_initial_us = 50 * kSecond;
  Rig rig(o);
  rig.mail.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "", "timeout"));
  rig.mail.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "", "timeout"));
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  Message m = rig.env.Only("case-1");
  REQUIRE(m.status == MessageStatus::kQueued);
  rig.env.clock.Set(m.next_attempt_at);
  REQUIRE(rig.dispatcher->SendReady(100).ok());
  m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kFailed);
  CHECK(m.failure == "technical");
}

TEST_CASE("permanent failures and gateway suppressions are final") {
  Rig rig;
  rig.sms.Then(SendOutcome::Failure(SendOutcome::Kind::kPermanent, "21211", "invalid number"));
  rig.env.AddIntent("case-1", {"sms"});
  rig.Round();
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kFailed);
  CHECK(m.failure == "permanent");
  CHECK(m.reason == "permanent 21211: invalid number");

  rig.sms.Then(SendOutcome::Failure(SendOutcome::Kind::kSuppress, "21610", "unsubscribed"));
  rig.env.AddIntent("case-2", {"sms"});
  rig.Round();
  CHECK(rig.env.Only("case-2").status == MessageStatus::kSuppressed);
  rig.env.clock.Advance(3600 * kSecond);
  CHECK(*rig.dispatcher->SendReady(100) == 0);
  CHECK(rig.sms.sent().size() == 2);
}

TEST_CASE("a channel's connectors fail over in order") {
  DispatcherOptions o;
  ScriptedConnector primary("primary", {Channel::kEmail});
  ScriptedConnector secondary("secondary", {Channel::kEmail});
  o.connectors["primary"] = {&primary, 0, 1};
  o.connectors["secondary"] = {&secondary, 0, 1};
  o.email_route = {"primary", "secondary"};
  o.delivery.retry_initial_us = kSecond;
  Rig rig(o);
  primary.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "421", "down"));
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  rig.env.clock.Advance(5 * kSecond);
  REQUIRE(*rig.dispatcher->SendReady(100) == 1);
  CHECK(primary.sent().size() == 1);
  CHECK(secondary.sent().size() == 1);
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.connector == "secondary");
}

TEST_CASE("a connector's rate limit holds messages back until a token is there") {
  DispatcherOptions o;
  ScriptedConnector slow("slow", {Channel::kSms});
  o.connectors["slow"] = {&slow, 1.0, 1};  // one a second, like a long code
  Rig rig(o);
  for (int i = 0; i < 3; ++i) rig.env.AddIntent("case-" + std::to_string(i), {"sms"});
  REQUIRE(*rig.dispatcher->Intake(100) == 3);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(*rig.dispatcher->SendReady(100) == 0);
  auto wake = rig.dispatcher->NextWakeAt();
  REQUIRE(wake.ok());
  REQUIRE(wake->has_value());
  CHECK(**wake == rig.env.clock.NowMicros() + kSecond);
  rig.env.clock.Advance(kSecond);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  rig.env.clock.Advance(kSecond);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(slow.sent().size() == 3);
}

TEST_CASE("a send whose outcome was never written is sent again after its lease") {
  Rig rig;
  rig.env.AddIntent("case-1", {"email"});
  REQUIRE(*rig.dispatcher->Intake(100) == 1);
  // What a crash after the claim leaves: sending, attempt 1, a lease.
  Message m = rig.env.Only("case-1");
  m.status = MessageStatus::kSending;
  m.attempts = 1;
  m.connector = "mail";
  m.next_attempt_at = rig.env.clock.NowMicros() + 120 * kSecond;
  MessageBatch b;
  b.put_messages.push_back(m);
  REQUIRE(rig.env.messages->Commit(b).ok());
  rig.env.Reopen();
  PlainComposer composer(*rig.env.messages);
  DispatcherOptions o;
  o.connectors["mail"] = {&rig.mail, 0, 1};
  Dispatcher d(*rig.env.schedule, *rig.env.messages, composer, rig.env.clock, o);
  CHECK(*d.SendReady(100) == 0);  // lease still running
  rig.env.clock.Advance(120 * kSecond);
  CHECK(*d.SendReady(100) == 1);
  m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 2);
  bool noted = false;
  for (const MessageEvent& e : m.history) {
    noted = noted || e.detail.find("no outcome recorded for attempt 1") != std::string::npos;
  }
  CHECK(noted);
}

TEST_CASE("receipts move sent messages on; repeats and unknown ids change nothing") {
  Rig rig;
  rig.env.AddIntent("case-1", {"sms"});
  rig.Round();
  Message m = rig.env.Only("case-1");
  REQUIRE(m.status == MessageStatus::kSent);

  bool found = true;
  REQUIRE(rig.dispatcher->ApplyReceipt({"sms", "", "nope", "delivered", "", ""}, &found).ok());
  CHECK_FALSE(found);
  REQUIRE(rig.dispatcher->ApplyReceipt({"mail", m.id, "", "delivered", "", ""}, &found).ok());
  CHECK_FALSE(found);  // another connector's message

  REQUIRE(rig.dispatcher->ApplyReceipt({"sms", "", m.provider_id, "sent", "", ""}, &found).ok());
  CHECK(found);
  CHECK(rig.env.Only("case-1").status == MessageStatus::kSent);
  REQUIRE(
      rig.dispatcher->ApplyReceipt({"sms", m.id, m.provider_id, "delivered", "", ""}, &found).ok());
  Message delivered = rig.env.Only("case-1");
  CHECK(delivered.status == MessageStatus::kDelivered);
  REQUIRE(
      rig.dispatcher->ApplyReceipt({"sms", "", m.provider_id, "delivered", "", ""}, &found).ok());
  REQUIRE(
      rig.dispatcher->ApplyReceipt({"sms", "", m.provider_id, "failed", "30003", ""}, &found).ok());
  CHECK(rig.env.Only("case-1") == delivered);
}

TEST_CASE("status callbacks are queued for every change after intake") {
  DispatcherOptions o;
  o.status_callbacks = true;
  Rig rig(o);
  rig.env.AddIntent("case-1", {"email"});
  rig.Round();
  auto due = rig.env.messages->DueCallbacks(rig.env.clock.NowMicros(), 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK(due->front().body["status"] == "sent");
  CHECK(due->front().body["case_id"] == "case-1");
  CHECK(due->front().body.dump().find("example.org") == std::string::npos);
}

TEST_CASE("a queued message whose plan was cancelled is cancelled with its reason, not sent") {
  DispatcherOptions o;
  o.status_callbacks = true;
  o.delivery.retry_initial_us = 10 * kSecond;
  Rig rig(o);
  // Cancelled before its first attempt.
  rig.env.AddIntent("case-1", {"email"});
  rig.env.SetPlan("case-1", PlanStatus::kPending);
  REQUIRE(*rig.dispatcher->Intake(100) == 1);
  rig.env.SetPlan("case-1", PlanStatus::kCancelled, "while: documents received");
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(rig.mail.sent().empty());
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kCancelled);
  CHECK(m.reason == "while: documents received");
  CHECK(m.attempts == 0);
  CHECK(m.history.back().status == MessageStatus::kCancelled);
  CHECK(*rig.env.messages->ReadyCount() == 0);
  CHECK(rig.dispatcher->stats().cancelled == 1);
  auto due = rig.env.messages->DueCallbacks(rig.env.clock.NowMicros(), 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK(due->front().body["status"] == "cancelled");
  CHECK(due->front().body["detail"] == "while: documents received");

  // Cancelled while it waited for a retry; a plan that is pending or done does not stop it.
  rig.mail.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "451", "try later"));
  rig.env.AddIntent("case-2", {"email"});
  rig.env.AddIntent("case-3", {"email"});
  rig.env.SetPlan("case-2", PlanStatus::kPending);
  rig.env.SetPlan("case-3", PlanStatus::kDone);
  REQUIRE(*rig.dispatcher->Intake(100) == 2);
  CHECK(*rig.dispatcher->SendReady(100) == 2);
  Message two = rig.env.Only("case-2");
  Message three = rig.env.Only("case-3");
  // The script's one failure went to whichever was sent first.
  Message& waiting = two.status == MessageStatus::kQueued ? two : three;
  REQUIRE(waiting.status == MessageStatus::kQueued);
  CHECK((two.status == MessageStatus::kSent || three.status == MessageStatus::kSent));
  rig.env.SetPlan(waiting.plan.case_id, PlanStatus::kCancelled, "");
  rig.env.clock.Set(waiting.next_attempt_at);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(rig.mail.sent().size() == 2);
  Message after = rig.env.Only(waiting.plan.case_id);
  CHECK(after.status == MessageStatus::kCancelled);
  CHECK(after.reason == "the plan was cancelled");
  CHECK(after.attempts == 1);
}

TEST_CASE("a lease-expired message whose plan was cancelled is not sent again") {
  Rig rig;
  rig.env.AddIntent("case-1", {"email"});
  REQUIRE(*rig.dispatcher->Intake(100) == 1);
  Message m = rig.env.Only("case-1");
  m.status = MessageStatus::kSending;
  m.attempts = 1;
  m.connector = "mail";
  m.next_attempt_at = rig.env.clock.NowMicros() + kSecond;
  MessageBatch b;
  b.put_states.push_back(m);
  REQUIRE(rig.env.messages->Commit(b).ok());
  rig.env.SetPlan("case-1", PlanStatus::kCancelled, "operator");
  rig.env.clock.Advance(kSecond);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(rig.mail.sent().empty());
  m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kCancelled);
  CHECK(m.reason == "operator");
}

TEST_CASE("on lane threads one call keeps claiming as sends finish, within max") {
  DispatcherOptions o;
  ScriptedConnector wide("wide", {Channel::kEmail}, 3);
  o.connectors["wide"] = {&wide, 0, 1};
  o.send_threads = 3;
  o.messages_per_lane = 2;  // 6 in flight at most: a call of 25 claims 5 times or more
  Rig rig(o);
  for (int i = 0; i < 40; ++i) rig.env.AddIntent("case-" + std::to_string(i), {"email"});
  REQUIRE(*rig.dispatcher->Intake(100) == 40);
  CHECK(*rig.dispatcher->SendReady(25) == 25);
  CHECK(wide.sent().size() == 25);
  CHECK(*rig.env.messages->ReadyCount() == 15);
  CHECK(*rig.dispatcher->SendReady(100) == 15);
  std::set<std::string> ids;
  for (const OutboundMessage& out : wide.sent()) {
    ids.insert(out.id);
    CHECK(out.mime == "Subject: hi\r\n\r\nbody\r\n");  // the rendering, read at claim
  }
  CHECK(ids.size() == 40);  // each sent once
  for (int i = 0; i < 40; ++i) {
    Message m = rig.env.Only("case-" + std::to_string(i));
    CHECK(m.status == MessageStatus::kSent);
    CHECK(m.attempts == 1);
  }
  CHECK(rig.dispatcher->stats().accepted == 40);
  CHECK(*rig.dispatcher->SendReady(100) == 0);
}

TEST_CASE("a call stops claiming after send_call_us and settles what it claimed") {
  DispatcherOptions o;
  ScriptedConnector one("one", {Channel::kEmail}, 1);
  o.connectors["one"] = {&one, 0, 1};
  o.messages_per_lane = 1;  // one claim at a time
  o.send_call_us = 10 * kSecond;
  Rig rig(o);
  one.OnSend([&](const OutboundMessage&) { rig.env.clock.Advance(6 * kSecond); });
  for (int i = 0; i < 5; ++i) rig.env.AddIntent("case-" + std::to_string(i), {"email"});
  REQUIRE(*rig.dispatcher->Intake(100) == 5);
  CHECK(*rig.dispatcher->SendReady(100) == 2);  // claimed at +0 s and +6 s; +12 s is late
  CHECK(*rig.env.messages->ReadyCount() == 3);
  CHECK(*rig.dispatcher->SendReady(100) == 2);
  CHECK(*rig.dispatcher->SendReady(100) == 1);
  CHECK(one.sent().size() == 5);
}

TEST_CASE("a receipt that settles a message while it is sent wins over the outcome") {
  Rig rig;
  bool found = false;
  rig.sms.OnSend([&](const OutboundMessage& out) {
    REQUIRE(rig.dispatcher->ApplyReceipt({"sms", out.id, "SM1", "delivered", "", ""}, &found).ok());
  });
  rig.env.AddIntent("case-1", {"sms"});
  rig.Round();
  CHECK(found);
  Message m = rig.env.Only("case-1");
  CHECK(m.status == MessageStatus::kDelivered);
  CHECK(m.provider_id == "SM1");
  CHECK(m.sms_text == "hi");  // the rendering is untouched by state writes
  CHECK(rig.dispatcher->stats().accepted == 0);
}

TEST_CASE("backoff arithmetic") {
  DeliveryConfig d;
  d.retry_initial_us = 100;
  d.retry_max_us = 1000;
  d.max_attempts = 10;
  d.max_age_us = 1'000'000;
  CHECK(*NextAttemptAt(d, 1, 0, 0, 0.0, std::nullopt) == 50);
  CHECK(*NextAttemptAt(d, 1, 0, 0, 0.999999, std::nullopt) == 99);
  CHECK(*NextAttemptAt(d, 3, 0, 0, 0.0, std::nullopt) == 200);
  CHECK(*NextAttemptAt(d, 9, 0, 0, 0.0, std::nullopt) == 500);  // capped at retry_max
  CHECK_FALSE(NextAttemptAt(d, 10, 0, 0, 0.0, std::nullopt).has_value());
  CHECK_FALSE(NextAttemptAt(d, 1, 999'990, 0, 0.0, std::nullopt).has_value());
  TokenBucket b(2.0, 2, 0);
  CHECK(b.TryTake(0));
  CHECK(b.TryTake(0));
  CHECK_FALSE(b.TryTake(0));
  CHECK(b.NextTokenAt(0) == 500'000);
  CHECK(b.TryTake(500'000));
}

}  // namespace
}  // namespace herald
