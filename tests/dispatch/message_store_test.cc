#include <doctest/doctest.h>

#include "tests/dispatch/dispatch_env.h"

namespace herald {
namespace {

using testing::TempDir;

Message Make(const std::string& id, const std::string& case_id, MessageStatus s, Micros at) {
  Message m;
  m.id = id;
  m.plan = PlanKey{"c", "r", case_id};
  m.intent_key = OutboxKey(m.plan, 1);
  m.status = s;
  m.next_attempt_at = at;
  m.to = "person@example.org";
  return m;
}

std::unique_ptr<RocksMessageStore> Open(const TempDir& dir) {
  MessageStoreOptions o;
  o.path = dir.Sub("m");
  o.sync_writes = false;
  auto s = RocksMessageStore::Open(o);
  REQUIRE(s.ok());
  return std::move(s).value();
}

std::vector<std::string> ReadyIds(MessageStore& store, Micros now) {
  std::vector<std::string> ids;
  Result<std::vector<Message>> ready = store.Ready(now, 100);
  REQUIRE(ready.ok());
  for (const Message& m : *ready) ids.push_back(m.id);
  return ids;
}

TEST_CASE("the ready queue follows message status and time") {
  TempDir dir;
  auto store = Open(dir);
  MessageBatch b;
  b.put_messages = {Make("a", "case-1", MessageStatus::kQueued, 30),
                    Make("b", "case-1", MessageStatus::kQueued, 10),
                    Make("c", "case-2", MessageStatus::kSent, 0)};
  REQUIRE(store->Commit(b).ok());
  CHECK(*store->ReadyCount() == 2);
  CHECK(ReadyIds(*store, 20) == std::vector<std::string>{"b"});
  CHECK(ReadyIds(*store, 30) == std::vector<std::string>{"b", "a"});
  CHECK(**store->NextReady() == 10);

  // b moves later, a is sent: the queue follows without the caller saying so.
  MessageBatch b2;
  b2.put_messages = {Make("b", "case-1", MessageStatus::kSending, 50),
                     Make("a", "case-1", MessageStatus::kSent, 30)};
  b2.put_messages[1].connector = "mail";
  b2.put_messages[1].provider_id = "gw-1";
  REQUIRE(store->Commit(b2).ok());
  CHECK(ReadyIds(*store, 40).empty());
  CHECK(ReadyIds(*store, 50) == std::vector<std::string>{"b"});
  CHECK(*store->ReadyCount() == 1);

  auto by_provider = store->FindByProvider("mail", "gw-1");
  REQUIRE(by_provider.ok());
  REQUIRE(by_provider->has_value());
  CHECK((*by_provider)->id == "a");
  CHECK_FALSE(store->FindByProvider("sms", "gw-1")->has_value());
  CHECK(*store->MessagesForCase("case-1") == std::vector<std::string>{"a", "b"});
  CHECK(*store->MessagesForCase("case-") == std::vector<std::string>{});
}

TEST_CASE("messages, counters, cursor and secret survive a reopen") {
  TempDir dir;
  std::string secret;
  Message kept = Make("x", "case-9", MessageStatus::kQueued, 5);
  kept.history.push_back(MessageEvent{1, MessageStatus::kQueued, "why", "mail", 0});
  kept.sms_segments = 2;
  {
    auto store = Open(dir);
    secret = store->Secret();
    CHECK(secret.size() == 32);
    MessageBatch b;
    b.put_messages = {kept};
    b.outbox_cursor = 42;
    StatusCallback cb;
    cb.body = {{"status", "sent"}};
    b.add_callbacks = {cb, cb};
    REQUIRE(store->Commit(b).ok());
  }
  auto store = Open(dir);
  CHECK(store->Secret() == secret);
  CHECK(*store->OutboxCursor() == 42);
  CHECK(*store->ReadyCount() == 1);
  CHECK(**store->Get("x") == kept);
  auto due = store->DueCallbacks(0, 10);
  REQUIRE(due->size() == 2);
  CHECK((*due)[0].seq == 1);
  CHECK((*due)[1].seq == 2);
  MessageBatch b;
  b.remove_callbacks = {1};
  StatusCallback later = (*due)[1];
  later.next_attempt_at = 100;
  later.attempts = 1;
  b.put_callbacks = {later};
  StatusCallback third;
  b.add_callbacks = {third};
  REQUIRE(store->Commit(b).ok());
  due = store->DueCallbacks(0, 10);
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].seq == 3);
  CHECK(store->DueCallbacks(100, 10)->size() == 2);
}

TEST_CASE("message ids are deterministic per intent and channel, and keyed") {
  const std::string a = MessageIdFor("secret-1", "c/r/case/1", Channel::kEmail);
  CHECK(a.size() == 32);
  CHECK(a == MessageIdFor("secret-1", "c/r/case/1", Channel::kEmail));
  CHECK(a != MessageIdFor("secret-1", "c/r/case/1", Channel::kSms));
  CHECK(a != MessageIdFor("secret-2", "c/r/case/1", Channel::kEmail));
}

}  // namespace
}  // namespace herald
