// The retention worker's purge, on real stores with a FakeClock: personal data older than
// retention.pii goes from the message and track stores and the event log; newer data,
// counters and the live case state stay.
#include "engine/cli/retention.h"

#include <doctest/doctest.h>

#include <filesystem>

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

TEST_CASE("RunOnce redacts the event log too, never past the rule engine's cursor") {
  testing::TempDir dir;
  FakeClock clock;
  MessageStoreOptions mo;
  mo.path = dir.Sub("messages");
  mo.sync_writes = false;
  auto messages = std::move(RocksMessageStore::Open(mo)).value();
  TrackStoreOptions to;
  to.path = dir.Sub("track");
  to.secret = messages->Secret();
  to.sync_writes = false;
  auto track = std::move(RocksTrackStore::Open(to)).value();
  StoreOptions so;
  so.path = dir.Sub("store");
  so.sync_writes = false;
  auto log = std::move(RocksStore::Open(so, clock)).value();
  ScheduleStoreOptions schedule_options;
  schedule_options.path = dir.Sub("schedule");
  schedule_options.sync_writes = false;
  auto schedule = std::move(RocksScheduleStore::Open(schedule_options, clock)).value();

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

}  // namespace
}  // namespace herald::cli
