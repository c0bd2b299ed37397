// Dispatch while the message store's disk refuses writes: nothing is sent that the store
// has not recorded as claimed, a send whose outcome could not be written is recorded when
// the message goes again, and dispatch resumes in the same process once the disk clears.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/store/fault_env.h"
#include "tests/dispatch/dispatch_env.h"

namespace herald::testing {
namespace {

constexpr Micros kSecond = 1'000'000;

// DispatchEnv's stores, with the message store on a faulty disk.
struct FaultyDispatch {
  DispatchEnv env;
  std::shared_ptr<StorageFaults> faults = std::make_shared<StorageFaults>();
  std::unique_ptr<PlainComposer> composer;
  ScriptedConnector mail{"mail", {Channel::kEmail}};
  std::unique_ptr<Dispatcher> dispatcher;

  FaultyDispatch() {
    env.messages.reset();
    MessageStoreOptions mo;
    mo.path = env.dir.Sub("messages");
    mo.sync_writes = true;
    mo.faults = faults;
    env.messages = std::move(RocksMessageStore::Open(mo)).value();
    composer = std::make_unique<PlainComposer>(*env.messages);
    DispatcherOptions o;
    o.connectors["mail"] = {&mail, 0, 1};
    o.random_seed = 7;
    dispatcher =
        std::make_unique<Dispatcher>(*env.schedule, *env.messages, *composer, env.clock, o);
  }
};

bool HistoryHas(const Message& m, const std::string& text) {
  for (const MessageEvent& e : m.history) {
    if (e.detail.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("fault dispatch: intake during a disk fault takes nothing, and resumes after") {
  for (StorageFaults::Kind kind : {StorageFaults::Kind::kNoSpace, StorageFaults::Kind::kReadOnly}) {
    FaultyDispatch d;
    d.env.AddIntent("case-1", {"email"});
    d.faults->Set(kind);
    Result<size_t> taken = d.dispatcher->Intake(100);
    REQUIRE_FALSE(taken.ok());
    CHECK(taken.status().IsUnavailable());
    CHECK(*d.env.messages->OutboxCursor() == 0);
    CHECK(d.env.messages->MessagesForCase("case-1")->empty());
    d.faults->Clear();
    REQUIRE(*d.dispatcher->Intake(100) == 1);
    REQUIRE(*d.dispatcher->SendReady(100) == 1);
    CHECK(d.env.Only("case-1").status == MessageStatus::kSent);
    CHECK(d.mail.sent().size() == 1);
  }
}

TEST_CASE("fault dispatch: a claim the store cannot write is never sent") {
  FaultyDispatch d;
  d.env.AddIntent("case-1", {"email"});
  REQUIRE(*d.dispatcher->Intake(100) == 1);
  d.faults->Set(StorageFaults::Kind::kNoSpace);
  for (int i = 0; i < 3; ++i) {
    Result<size_t> sent = d.dispatcher->SendReady(100);
    REQUIRE_FALSE(sent.ok());
    CHECK(sent.status().IsUnavailable());
  }
  CHECK(d.mail.sent().empty());  // no claim recorded, no send
  CHECK(d.env.Only("case-1").status == MessageStatus::kQueued);
  d.faults->Clear();
  REQUIRE(*d.dispatcher->SendReady(100) == 1);
  Message m = d.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 1);
  CHECK(d.mail.sent().size() == 1);
}

TEST_CASE("fault dispatch: a send whose outcome cannot be written is recorded when it goes again") {
  FaultyDispatch d;
  d.env.AddIntent("case-1", {"email"});
  REQUIRE(*d.dispatcher->Intake(100) == 1);
  // The disk fills while the gateway takes the message: the claim is written, the
  // outcome is not.
  d.mail.OnSend([&](const OutboundMessage&) { d.faults->Set(StorageFaults::Kind::kNoSpace); });
  Result<size_t> first = d.dispatcher->SendReady(100);
  REQUIRE_FALSE(first.ok());
  CHECK(first.status().IsUnavailable());
  d.mail.OnSend(nullptr);
  CHECK(d.mail.sent().size() == 1);
  d.faults->Clear();

  // The store says what it knows: claimed for attempt 1, outcome unknown.
  Message m = d.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSending);
  CHECK(m.attempts == 1);
  // Not sent again before its lease runs out...
  CHECK(*d.dispatcher->SendReady(100) == 0);
  CHECK(d.mail.sent().size() == 1);
  // ...then sent again, and the history says why: the second send is on the record.
  d.env.clock.Advance(DeliveryConfig{}.send_lease_us);
  REQUIRE(*d.dispatcher->SendReady(100) == 1);
  CHECK(d.mail.sent().size() == 2);
  m = d.env.Only("case-1");
  CHECK(m.status == MessageStatus::kSent);
  CHECK(m.attempts == 2);
  CHECK(HistoryHas(m, "no outcome recorded for attempt 1; sending again"));
  CHECK(d.mail.sent()[0].id == d.mail.sent()[1].id);  // the gateway can deduplicate on it
}

TEST_CASE("fault dispatch: a message store left closed by a failed reopen comes back on a read") {
  FaultyDispatch d;
  d.env.AddIntent("case-1", {"email"});
  d.faults->Set(StorageFaults::Kind::kNoSpace);
  REQUIRE_FALSE(d.dispatcher->Intake(100).ok());
  // The probe file goes through, the database's CURRENT cannot be installed.
  d.faults->Set(StorageFaults::Kind::kReadOnly, StorageFaults::kRenames);
  REQUIRE_FALSE(d.dispatcher->Intake(100).ok());
  REQUIRE_FALSE(d.dispatcher->SendReady(100).ok());
  d.faults->Clear();
  // Dispatch reads first (the cursor, the ready queue); those reads reopen the store.
  REQUIRE(*d.dispatcher->Intake(100) == 1);
  REQUIRE(*d.dispatcher->SendReady(100) == 1);
  CHECK(d.env.Only("case-1").status == MessageStatus::kSent);
}

TEST_CASE("fault dispatch: a receipt during a disk fault is refused, then applied") {
  FaultyDispatch d;
  d.env.AddIntent("case-1", {"email"});
  REQUIRE(*d.dispatcher->Intake(100) == 1);
  REQUIRE(*d.dispatcher->SendReady(100) == 1);
  Message m = d.env.Only("case-1");
  Receipt r;
  r.connector = "mail";
  r.message_id = m.id;
  r.status = "delivered";
  d.faults->Set(StorageFaults::Kind::kReadOnly);
  bool found = false;
  Status s = d.dispatcher->ApplyReceipt(r, &found);
  CHECK(s.IsUnavailable());  // the API answers 503: the gateway posts it again
  CHECK(d.env.Only("case-1").status == MessageStatus::kSent);
  d.faults->Clear();
  d.env.clock.Advance(kSecond);
  REQUIRE(d.dispatcher->ApplyReceipt(r, &found).ok());
  CHECK(found);
  CHECK(d.env.Only("case-1").status == MessageStatus::kDelivered);
}

}  // namespace
}  // namespace herald::testing
