// The retention worker's purge, on real stores with a FakeClock: personal data older than
// retention.pii goes from the message and track stores and the event log; newer data,
// counters, the live case state and the events pending reminders still read stay.
#include "engine/cli/retention.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"
#include "engine/store/track_store_rocks.h"
#include "tests/test_util.h"

namespace herald::cli {
namespace {

constexpr Micros kDay = 86'400'000'000LL;

TEST_CASE("RunOnce purges both stores at now - pii; pii 0 keeps everything") {
  testing::TempDir dir;
  FakeClock clock;
  const Micros t0 = clock.NowMicros();
  MessageStoreOptions mo;
  mo.path = dir.Sub("messages");
  mo.sync_writes = false;
  auto messages = std::move(RocksMessageStore::Open(mo)).value();
  TrackStoreOptions to;
  to.path = dir.Sub("track");
  to.secret = messages->Secret();
  to.sync_writes = false;
  auto track = std::move(RocksTrackStore::Open(to)).value();

  Message m;
  m.id = std::string(31, '0') + "1";
  m.plan = PlanKey{"snap", "reminder", "case-1"};
  m.intent_key = OutboxKey(m.plan, 1);
  m.recipient_id = "case-1";
  m.status = MessageStatus::kSent;
  m.created_at = t0;
  m.to = "maria@example.org";
  m.mime = "Subject: x\r\n\r\nhello\r\n";
  MessageBatch b;
  b.put_messages = {m};
  REQUIRE(messages->Commit(b).ok());
  TrackedMessage t;
  t.id = m.id;
  t.campaign = "snap";
  t.rule = "reminder";
  t.locale = "en";
  t.recipient_id = "case-1";
  t.address = m.to;
  t.created_at = t0;
  REQUIRE(track->RegisterMessage(t).ok());
  REQUIRE(track->RecordStatus(m.id, MessageStatus::kSent, t0, "").ok());
  REQUIRE(track
              ->RecordEngagement({TokenKind::kOpen, m.id, 0, t0 + 3600'000'000LL,
                                  "Mozilla/5.0 (iPhone) AppleWebKit", "203.0.113.7"})
              .ok());

  RetentionConfig keep;  // pii 0
  RetentionWorker keeper(keep, *messages, *track, clock);
  clock.Advance(400 * kDay);
  REQUIRE(keeper.RunOnce().ok());
  CHECK((*messages->Get(m.id))->to == "maria@example.org");

  RetentionConfig config;
  config.pii_us = 90 * kDay;
  RetentionWorker worker(config, *messages, *track, clock);
  size_t purged_messages = 0, purged_events = 0;
  REQUIRE(worker.RunOnce(&purged_messages, &purged_events).ok());
  CHECK(purged_messages == 1);
  CHECK(purged_events == 1);
  CHECK((*messages->Get(m.id))->to.empty());
  CHECK((*messages->Get(m.id))->mime.empty());
  CHECK(track->Events(m.id)->empty());
  // Counters stay: the report still shows the send and the open.
  ReportQuery q;
  q.campaign = "snap";
  q.from = t0 - kDay;
  q.to = t0 + kDay;
  Result<CampaignReport> r = track->Report(q);
  REQUIRE(r.ok());
  CHECK(r->total[kSent] == 1);
  CHECK(r->total[kOpensHuman] + r->total[kOpensMachine] == 1);
}

Event LoggedEvent(const std::string& id, const std::string& email) {
  Event e;
  e.id = id;
  e.case_id = "case-1";
  e.type = "case.status_changed";
  e.occurred_at = "2026-01-01T00:00:00Z";
  e.occurred_at_us = 1'767'225'600'000'000;
  e.data = nlohmann::json{{"status", id}};
  Recipient r;
  r.id = "person-1";
  r.email = email;
  e.recipient = r;
  return e;
}

// The four stores retention reads and purges, on one temporary data directory.
struct AllStores {
  testing::TempDir dir;
  FakeClock clock;
  std::unique_ptr<RocksMessageStore> messages;
  std::unique_ptr<RocksTrackStore> track;
  std::unique_ptr<RocksStore> log;
  std::unique_ptr<RocksScheduleStore> schedule;

  AllStores() {
    MessageStoreOptions mo;
    mo.path = dir.Sub("messages");
    mo.sync_writes = false;
    messages = std::move(RocksMessageStore::Open(mo)).value();
    TrackStoreOptions to;
    to.path = dir.Sub("track");
    to.secret = messages->Secret();
    to.sync_writes = false;
    track = std::move(RocksTrackStore::Open(to)).value();
    StoreOptions so;
    so.path = dir.Sub("store");
    so.sync_writes = false;
    log = std::move(RocksStore::Open(so, clock)).value();
    ScheduleStoreOptions schedule_options;
    schedule_options.path = dir.Sub("schedule");
    schedule_options.sync_writes = false;
    schedule = std::move(RocksScheduleStore::Open(schedule_options, clock)).value();
  }
};

TEST_CASE("RunOnce redacts the event log too, never past the rule engine's cursor") {
  AllStores stores;
  FakeClock& clock = stores.clock;
  auto& messages = stores.messages;
  auto& track = stores.track;
  auto& log = stores.log;
  auto& schedule = stores.schedule;

  REQUIRE(log->Append("key-1", {LoggedEvent("e1", "maria@example.org"),
                                LoggedEvent("e2", "maria@example.org")})
              .ok());
  clock.Advance(100 * kDay);
  REQUIRE(log->Append("key-1", {LoggedEvent("e3", "maria.new@example.org")}).ok());
  ScheduleBatch read_one;  // the rule engine has processed seq 1 only
  read_one.cursor = 1;
  REQUIRE(schedule->Commit(read_one).ok());

  RetentionConfig config;
  config.pii_us = 90 * kDay;
  RetentionWorker worker(config, *messages, *track, clock,
                         EventLogRetention{log.get(), schedule.get()});
  size_t redacted = 0;
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 1);
  std::vector<StoredEvent> all = *log->ReadAfter(0, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].redacted);
  CHECK(all[0].event.data.is_null());
  CHECK_FALSE(all[0].event.recipient->email.has_value());
  CHECK_FALSE(all[1].redacted);  // old enough, but the rule engine has not read it
  CHECK(all[1].event.recipient->email == "maria@example.org");

  ScheduleBatch read_all;
  read_all.cursor = 3;
  REQUIRE(schedule->Commit(read_all).ok());
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 1);  // e2; e3 is inside the window
  all = *log->ReadAfter(0, 10);
  CHECK(all[1].redacted);
  CHECK_FALSE(all[2].redacted);
  CHECK(all[2].event.recipient->email == "maria.new@example.org");
  // The live case state stays: it is what the next message goes to.
  CHECK(log->GetCase("case-1")->recipient->email == "maria.new@example.org");
  CHECK(log->GetCase("case-1")->event_count == 3);

  // pii 0 keeps the log as it is.
  RetentionConfig keep;
  RetentionWorker keeper(keep, *messages, *track, clock,
                         EventLogRetention{log.get(), schedule.get()});
  clock.Advance(400 * kDay);
  REQUIRE(keeper.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK_FALSE((*log->ReadAfter(0, 10))[2].redacted);
}

// What the composer reads for `event.*` when it renders a plan's intent (and the rule
// engine when a reload re-plans it): the event at planned_seq.
StoredEvent PlanningEvent(RocksStore& log, uint64_t seq) {
  std::vector<StoredEvent> read = *log.ReadAfter(seq - 1, 1);
  REQUIRE(read.size() == 1);
  REQUIRE(read[0].seq == seq);
  return read[0];
}

Plan Reminder(const std::string& rule, uint64_t planned_seq, Micros due, int times = 1) {
  Plan p;
  p.key = PlanKey{"snap", rule, "case-1"};
  p.recipient_id = "person-1";
  p.template_id = "documents-reminder";
  p.times = times;
  p.due = due;
  p.fire_at = due;
  p.planned_seq = planned_seq;
  p.updated_at = due;
  return p;
}

// The rule engine's and the timer firer's commits, as they would make them: a plan and
// its timer; the plan done or re-timed with an intent for the occurrence that fired; a
// cancelled plan without its timer.
void PlanReminder(ScheduleStore& schedule, const Plan& plan, uint64_t cursor) {
  ScheduleBatch b;
  b.put_plans = {plan};
  b.add_timers = {TimerEntry{plan.fire_at, plan.key}};
  b.cursor = cursor;
  REQUIRE(schedule.Commit(b).ok());
}
void FireReminder(ScheduleStore& schedule, Plan* plan, Micros next_due) {
  ScheduleBatch b;
  b.remove_timers = {TimerEntry{plan->fire_at, plan->key}};
  OutboxIntent intent;
  intent.key = OutboxKey(plan->key, ++plan->sent);
  intent.plan = plan->key;
  intent.occurrence = plan->sent;
  intent.recipient_id = plan->recipient_id;
  intent.template_id = plan->template_id;
  intent.channels = {"email"};
  intent.locale = "en";
  intent.due = plan->due;
  intent.fired_at = plan->fire_at;
  b.put_outbox = {intent};
  if (plan->sent == plan->times) {
    plan->status = PlanStatus::kDone;
  } else {
    plan->due = plan->fire_at = next_due;
    b.add_timers = {TimerEntry{plan->fire_at, plan->key}};
  }
  b.put_plans = {*plan};
  REQUIRE(schedule.Commit(b).ok());
}
void CancelReminder(ScheduleStore& schedule, Plan* plan) {
  ScheduleBatch b;
  b.remove_timers = {TimerEntry{plan->fire_at, plan->key}};
  plan->status = PlanStatus::kCancelled;
  b.put_plans = {*plan};
  REQUIRE(schedule.Commit(b).ok());
}
// Dispatch's intake: the intents up to queue_seq `through` are composed.
void Compose(RocksMessageStore& messages, uint64_t through) {
  MessageBatch b;
  b.outbox_cursor = through;
  REQUIRE(messages.Commit(b).ok());
}

TEST_CASE("RunOnce keeps the events pending reminders read until the reminders settle") {
  AllStores stores;
  FakeClock& clock = stores.clock;
  auto& messages = stores.messages;
  auto& track = stores.track;
  auto& log = stores.log;
  auto& schedule = stores.schedule;

  // pii: 30d. e1 plans `after: 45d`; e2 plans `every: 14d, times: 6`; e3 plans nothing.
  const Micros t0 = clock.NowMicros();
  REQUIRE(log->Append("key-1", {LoggedEvent("e1", "maria@example.org"),
                                LoggedEvent("e2", "maria@example.org"),
                                LoggedEvent("e3", "maria@example.org")})
              .ok());
  Plan after = Reminder("after-45d", 1, t0 + 45 * kDay);
  Plan every = Reminder("every-14d", 2, t0 + 14 * kDay, 6);
  PlanReminder(*schedule, after, 3);
  PlanReminder(*schedule, every, 3);
  RetentionConfig config;
  config.pii_us = 30 * kDay;
  RetentionWorker worker(config, *messages, *track, clock,
                         EventLogRetention{log.get(), schedule.get()});
  size_t redacted = 0;

  // Day 31: all three events are past the window and read by the rule engine, but e1 is
  // still needed by a pending plan, and the log is redacted as a prefix.
  clock.Set(t0 + 31 * kDay);
  FireReminder(*schedule, &every, t0 + 28 * kDay);  // occurrences 1 and 2, composed
  FireReminder(*schedule, &every, t0 + 42 * kDay);
  Compose(*messages, 2);
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 0);
  CHECK(*log->RedactedThrough() == 0);

  // Day 45: the reminder fires; until dispatch composes it, it still reads e1.
  clock.Set(t0 + 45 * kDay);
  FireReminder(*schedule, &after, 0);
  REQUIRE(after.status == PlanStatus::kDone);
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 0);
  const StoredEvent e1 = PlanningEvent(*log, after.planned_seq);
  CHECK_FALSE(e1.redacted);
  CHECK(e1.event.data == nlohmann::json{{"status", "e1"}});  // what the reminder renders
  CHECK(e1.event.recipient->email == "maria@example.org");

  // Composed: e1 goes; e2 stays while `every` has occurrences left.
  Compose(*messages, 3);
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 1);
  CHECK(PlanningEvent(*log, 1).redacted);
  CHECK(PlanningEvent(*log, 1).event.data.is_null());
  const StoredEvent e2 = PlanningEvent(*log, every.planned_seq);
  CHECK_FALSE(e2.redacted);
  CHECK(e2.event.data == nlohmann::json{{"status", "e2"}});

  // The rest of `every` is cancelled (its `while` turned false, say): e2 and e3 go.
  clock.Set(t0 + 50 * kDay);
  CancelReminder(*schedule, &every);
  REQUIRE(worker.RunOnce(nullptr, nullptr, &redacted).ok());
  CHECK(redacted == 2);
  CHECK(*log->RedactedThrough() == 3);
  CHECK(PlanningEvent(*log, 2).event.data.is_null());
  CHECK_FALSE(PlanningEvent(*log, 3).event.recipient->email.has_value());
  // The live case state stays.
  CHECK(log->GetCase("case-1")->recipient->email == "maria@example.org");
}

}  // namespace
}  // namespace herald::cli
