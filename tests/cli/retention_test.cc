// The retention worker's purge, on real stores with a FakeClock: personal data older than
// retention.pii goes from both stores; newer data and counters stay.
#include "engine/cli/retention.h"

#include <doctest/doctest.h>

#include <filesystem>

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

}  // namespace
}  // namespace herald::cli
