#include <doctest/doctest.h>

#include "engine/store/message_codec.h"
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
  Result<std::vector<Message>> ready = store.ReadyStates(now, 100);
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

TEST_CASE("a message is kept as a state and a rendering; state puts keep the rendering") {
  TempDir dir;
  auto store = Open(dir);
  Message whole = Make("a", "case-1", MessageStatus::kQueued, 10);
  whole.subject = "Documents needed";
  whole.mime = std::string(9000, 'm');
  whole.text = "text";
  whole.sms_text = "sms";
  whole.sms_encoding = "GSM-7";
  whole.sms_segments = 1;
  whole.history.push_back(MessageEvent{1, MessageStatus::kQueued, "", "", 0});
  MessageBatch b;
  b.put_messages = {whole};
  REQUIRE(store->Commit(b).ok());

  // Claimed: the state alone is written (its rendering fields are ignored).
  Message state = whole;
  ClearBody(&state);
  state.status = MessageStatus::kSending;
  state.attempts = 1;
  state.next_attempt_at = 99;
  state.history.push_back(MessageEvent{2, MessageStatus::kSending, "attempt 1", "mail", 1});
  Message ignored = state;
  ignored.mime = "not stored";
  MessageBatch claim;
  claim.put_states = {ignored};
  REQUIRE(store->Commit(claim).ok());

  Message expected = state;
  SetBody(&expected, BodyOf(whole));
  CHECK(**store->Get("a") == expected);
  auto many = store->GetMany({"a", "nope"});
  REQUIRE(many.ok());
  CHECK(*(*many)[0] == expected);
  CHECK_FALSE((*many)[1].has_value());
  auto states = store->GetStates({"a"});
  REQUIRE(states.ok());
  CHECK(*(*states)[0] == state);
  auto bodies = store->GetBodies({"nope", "a"});
  REQUIRE(bodies.ok());
  CHECK_FALSE((*bodies)[0].has_value());
  CHECK(*(*bodies)[1] == BodyOf(whole));
  auto ready = store->ReadyStates(100, 10);
  REQUIRE(ready.ok());
  REQUIRE(ready->size() == 1);
  CHECK(ready->front() == state);

  // A state put for a message never stored is refused, and nothing of the batch written.
  MessageBatch stray;
  stray.put_states = {Make("b", "case-1", MessageStatus::kQueued, 5)};
  stray.outbox_cursor = 7;
  CHECK(store->Commit(stray).IsInvalidArgument());
  CHECK(*store->OutboxCursor() == 0);
  CHECK_FALSE(store->Get("b")->has_value());

  // A whole put and a state put of the same id in one batch: the state of the second, the
  // rendering of the first.
  Message fresh = Make("c", "case-2", MessageStatus::kQueued, 5);
  fresh.sms_text = "fresh";
  Message later = Make("c", "case-2", MessageStatus::kSending, 50);
  MessageBatch both;
  both.put_messages = {fresh};
  both.put_states = {later};
  REQUIRE(store->Commit(both).ok());
  Message c = **store->Get("c");
  CHECK(c.status == MessageStatus::kSending);
  CHECK(c.sms_text == "fresh");
  CHECK(*store->MessagesForCase("case-2") == std::vector<std::string>{"c"});
  CHECK(*store->ReadyCount() == 2);
}

TEST_CASE("message states and bodies: damaged values are Corruption, never a crash") {
  Message m = Make("id-1", "case-1", MessageStatus::kFailed, 5);
  m.failure = "permanent";
  m.reason = "550 no such user";
  m.history = {MessageEvent{1, MessageStatus::kQueued, "", "", 0},
               MessageEvent{2, MessageStatus::kFailed, "why", "mail", 1}};
  const std::string state = EncodeMessageState(m);
  Result<Message> back = DecodeMessageState(state);
  REQUIRE(back.ok());
  CHECK(*back == m);
  MessageBody body{"s", "mime", "t", "sms", "UCS-2", 3};
  Result<MessageBody> body_back = DecodeMessageBody(EncodeMessageBody(body));
  REQUIRE(body_back.ok());
  CHECK(*body_back == body);

  for (size_t n = 0; n < state.size(); ++n) {
    CHECK(DecodeMessageState(state.substr(0, n)).status().code() == Status::Code::kCorruption);
  }
  CHECK(DecodeMessageState(state + "x").status().code() == Status::Code::kCorruption);
  std::string bad_status = state;
  bad_status.replace(bad_status.find("failed"), 6, "failex");
  CHECK(DecodeMessageState(bad_status).status().code() == Status::Code::kCorruption);
  CHECK(DecodeMessageBody("").status().code() == Status::Code::kCorruption);
  CHECK(DecodeMessageBody(EncodeMessageBody(body).substr(0, 9)).status().code() ==
        Status::Code::kCorruption);
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
