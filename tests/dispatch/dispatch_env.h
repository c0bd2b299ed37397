// Test scaffolding for dispatch: real stores in a temp dir, a FakeClock, a connector that
// answers from a script (to drive every outcome class deterministically) and a composer
// that makes plain messages (rendering is tested with the real composer elsewhere).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "engine/core/clock.h"
#include "engine/dispatch/composer.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/schedule_store_rocks.h"
#include "tests/test_util.h"

namespace herald::testing {

// Answers each Send with the next scripted outcome (accepted "gw-<n>" once the script is
// empty) and remembers what it was given.
class ScriptedConnector final : public Connector {
 public:
  ScriptedConnector(std::string name, std::vector<Channel> channels, int concurrency = 1)
      : name_(std::move(name)), channels_(std::move(channels)), concurrency_(concurrency) {}

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "scripted"; }
  std::vector<Channel> channels() const override { return channels_; }
  int max_concurrency() const override { return concurrency_; }

  SendOutcome Send(const OutboundMessage& m) override {
    std::unique_lock<std::mutex> lock(mu_);
    sent_.push_back(m);
    if (on_send_) {
      // Outside the lock: the hook may call back into the dispatcher.
      auto hook = on_send_;
      lock.unlock();
      hook(m);
      lock.lock();
    }
    if (script_.empty()) return SendOutcome::Accepted("gw-" + std::to_string(sent_.size()));
    SendOutcome o = script_.front();
    script_.pop_front();
    return o;
  }

  // Runs in every Send, before it answers (a receipt racing the outcome, say).
  void OnSend(std::function<void(const OutboundMessage&)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    on_send_ = std::move(hook);
  }

  void Then(SendOutcome o) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(o));
  }
  std::vector<OutboundMessage> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  std::string name_;
  std::vector<Channel> channels_;
  int concurrency_;
  std::mutex mu_;
  std::deque<SendOutcome> script_;
  std::vector<OutboundMessage> sent_;
  std::function<void(const OutboundMessage&)> on_send_;
};

class PlainComposer final : public MessageComposer {
 public:
  explicit PlainComposer(const MessageStore& store) : store_(store) {}
  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override {
    std::vector<Message> out;
    if (intent.channels.empty()) {
      Message m = Base(intent, Channel::kEmail, now);
      m.status = MessageStatus::kSuppressed;
      m.reason = "no usable channel";
      out.push_back(std::move(m));
    }
    for (const std::string& name : intent.channels) {
      Message m = Base(intent, *ChannelFromName(name), now);
      if (m.channel == Channel::kEmail) {
        m.to = "person@example.org";
        m.mime = "Subject: hi\r\n\r\nbody\r\n";
      } else {
        m.to = "+14155550100";
        m.sms_text = "hi";
      }
      out.push_back(std::move(m));
    }
    return out;
  }

 private:
  Message Base(const OutboxIntent& intent, Channel c, Micros now) const {
    return MessageSkeleton(intent, c, store_.Secret(), now);
  }
  const MessageStore& store_;
};

struct DispatchEnv {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<RocksScheduleStore> schedule;
  std::unique_ptr<RocksMessageStore> messages;

  DispatchEnv() {
    ScheduleStoreOptions so;
    so.path = dir.Sub("schedule");
    so.sync_writes = false;
    schedule = std::move(RocksScheduleStore::Open(so, clock)).value();
    Reopen();
  }
  void Reopen() {
    messages.reset();
    MessageStoreOptions mo;
    mo.path = dir.Sub("messages");
    mo.sync_writes = false;
    messages = std::move(RocksMessageStore::Open(mo)).value();
  }

  // Puts an intent for case `case_id` into the outbox.
  void AddIntent(const std::string& case_id, std::vector<std::string> channels,
                 int occurrence = 1) {
    OutboxIntent i;
    i.plan = PlanKey{"snap", "reminder", case_id};
    i.occurrence = occurrence;
    i.key = OutboxKey(i.plan, occurrence);
    i.recipient_id = case_id;
    i.template_id = "documents-reminder";
    i.channels = std::move(channels);
    i.locale = "en";
    i.due = clock.NowMicros();
    i.fired_at = clock.NowMicros();
    ScheduleBatch b;
    b.put_outbox.push_back(std::move(i));
    if (!schedule->Commit(b).ok()) throw std::runtime_error("cannot add intent");
  }

  // Stores the plan of AddIntent's intents for `case_id` with `status` (the rule engine
  // cancels a plan when its `while` turns false; an operator's DELETE does too).
  void SetPlan(const std::string& case_id, PlanStatus status, const std::string& reason = "") {
    Plan p;
    p.key = PlanKey{"snap", "reminder", case_id};
    p.recipient_id = case_id;
    p.template_id = "documents-reminder";
    p.status = status;
    p.reason = reason;
    p.updated_at = clock.NowMicros();
    ScheduleBatch b;
    b.put_plans.push_back(std::move(p));
    if (!schedule->Commit(b).ok()) throw std::runtime_error("cannot set plan");
  }

  Message Only(const std::string& case_id) {
    auto ids = messages->MessagesForCase(case_id);
    if (!ids.ok() || ids->size() != 1) throw std::runtime_error("expected one message");
    return **messages->Get(ids->front());
  }
};

}  // namespace herald::testing
