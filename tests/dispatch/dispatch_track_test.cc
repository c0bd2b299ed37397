// Dispatch with the track store: opted-out recipients and addresses are suppressed (at
// intake, and at claim time when the opt-out came while the message waited), and every
// status change is counted for reports.
#include <doctest/doctest.h>

#include "engine/dispatch/dispatcher.h"
#include "engine/store/track_store_rocks.h"
#include "tests/dispatch/dispatch_env.h"

namespace herald {
namespace {

using testing::DispatchEnv;
using testing::PlainComposer;
using testing::ScriptedConnector;

constexpr Micros kSecond = 1'000'000;

// PlainComposer's messages, registered with the track store as TemplateComposer does.
class RegisteringComposer final : public MessageComposer {
 public:
  RegisteringComposer(const MessageStore& store, TrackStore& track)
      : plain_(store), track_(track) {}
  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override {
    Result<std::vector<Message>> made = plain_.Compose(intent, now);
    if (!made.ok()) return made;
    std::vector<TrackedMessage> tracked;
    for (const Message& m : *made) {
      TrackedMessage t;
      t.id = m.id;
      t.campaign = m.plan.campaign;
      t.rule = m.plan.rule;
      t.locale = "en";
      t.channel = m.channel;
      t.recipient_id = m.recipient_id;
      t.address = m.to;
      t.created_at = now;
      tracked.push_back(std::move(t));
    }
    if (Status s = track_.RegisterMessages(tracked); !s.ok()) return s;
    return made;
  }

 private:
  PlainComposer plain_;
  TrackStore& track_;
};

struct Rig {
  DispatchEnv env;
  std::unique_ptr<RocksTrackStore> track;
  std::unique_ptr<RegisteringComposer> composer;
  ScriptedConnector mail{"mail", {Channel::kEmail}};
  ScriptedConnector sms{"sms", {Channel::kSms}};
  std::unique_ptr<Dispatcher> dispatcher;

  Rig() {
    TrackStoreOptions to;
    to.path = env.dir.Sub("track");
    to.secret = env.messages->Secret();
    to.sync_writes = false;
    track = std::move(RocksTrackStore::Open(to)).value();
    composer = std::make_unique<RegisteringComposer>(*env.messages, *track);
    DispatcherOptions o;
    o.connectors["mail"] = {&mail, 0, 1};
    o.connectors["sms"] = {&sms, 0, 1};
    o.random_seed = 7;
    o.track = track.get();
    dispatcher =
        std::make_unique<Dispatcher>(*env.schedule, *env.messages, *composer, env.clock, o);
  }

  Message Of(const std::string& case_id, Channel c) {
    Result<std::vector<std::string>> ids = env.messages->MessagesForCase(case_id);
    REQUIRE(ids.ok());
    for (const std::string& id : *ids) {
      Message m = **env.messages->Get(id);
      if (m.channel == c) return m;
    }
    FAIL("no message");
    return {};
  }

  Counters Total() {
    ReportQuery q;
    q.campaign = "snap";
    q.from = env.clock.NowMicros() - 24 * 3600 * kSecond;
    q.to = env.clock.NowMicros() + 24 * 3600 * kSecond;
    Result<CampaignReport> r = track->Report(q);
    REQUIRE(r.ok());
    return r->total;
  }
};

TEST_CASE("a recipient who opted out of email gets SMS only; both are counted") {
  Rig rig;
  RecipientPreferences p;
  p.recipient_id = "case-1";
  p.opt_outs = {OptOut{Channel::kEmail, rig.env.clock.NowMicros(), "ops", "asked by phone"}};
  REQUIRE(rig.track->PutPreferences(p).ok());
  rig.env.AddIntent("case-1", {"email", "sms"});
  REQUIRE(rig.dispatcher->Intake(100).ok());
  REQUIRE(rig.dispatcher->SendReady(100).ok());

  const Message email = rig.Of("case-1", Channel::kEmail);
  CHECK(email.status == MessageStatus::kSuppressed);
  CHECK(email.reason.rfind("opted_out: the recipient opted out of email", 0) == 0);
  CHECK(email.reason.find("person@example.org") == std::string::npos);
  CHECK(rig.mail.sent().empty());
  CHECK(rig.Of("case-1", Channel::kSms).status == MessageStatus::kSent);
  CHECK(rig.sms.sent().size() == 1);

  const Counters c = rig.Total();
  CHECK(c[kCreated] == 2);
  CHECK(c[kSent] == 1);
  CHECK(c[kSuppressed] == 1);
}

TEST_CASE("STOP while a message waits for its retry: it is suppressed, never sent again") {
  Rig rig;
  rig.sms.Then(SendOutcome::Failure(SendOutcome::Kind::kTemporary, "503", "busy"));
  rig.env.AddIntent("case-2", {"sms"});
  REQUIRE(rig.dispatcher->Intake(100).ok());
  REQUIRE(rig.dispatcher->SendReady(100).ok());
  CHECK(rig.Of("case-2", Channel::kSms).status == MessageStatus::kQueued);
  CHECK(rig.sms.sent().size() == 1);

  REQUIRE(
      rig.track->RecordSmsKeyword({"+14155550100", SmsKeyword::kStop, rig.env.clock.NowMicros()})
          .ok());
  rig.env.clock.Advance(3600 * kSecond);
  REQUIRE(rig.dispatcher->SendReady(100).ok());
  const Message m = rig.Of("case-2", Channel::kSms);
  CHECK(m.status == MessageStatus::kSuppressed);
  CHECK(m.reason.rfind("opted_out: the ", 0) == 0);  // STOP opts out the number and recipient
  CHECK(m.reason.find("opted out of sms") != std::string::npos);
  CHECK(rig.sms.sent().size() == 1);  // not sent again
  CHECK(rig.Total()[kSuppressed] == 1);
  CHECK(rig.Total()[kSent] == 0);
}

TEST_CASE("receipts are counted once") {
  Rig rig;
  rig.env.AddIntent("case-3", {"email"});
  REQUIRE(rig.dispatcher->Intake(100).ok());
  REQUIRE(rig.dispatcher->SendReady(100).ok());
  const Message m = rig.Of("case-3", Channel::kEmail);
  REQUIRE(m.status == MessageStatus::kSent);
  for (int i = 0; i < 2; ++i) {
    bool found = false;
    Receipt r;
    r.connector = "mail";
    r.message_id = m.id;
    r.status = "delivered";
    REQUIRE(rig.dispatcher->ApplyReceipt(r, &found).ok());
    CHECK(found);
  }
  const Counters c = rig.Total();
  CHECK(c[kSent] == 1);
  CHECK(c[kDelivered] == 1);
}

}  // namespace
}  // namespace herald
