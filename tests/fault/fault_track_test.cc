// The track store on a disk that fills up or turns read-only (engine/store/fault_env.h):
// registrations, opens, clicks and opt-outs answer Unavailable and count nothing while the
// disk refuses, reads keep answering, and writes resume in the same process, with exact
// counts, once the disk takes writes again.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/store/fault_env.h"
#include "tests/track/track_test_util.h"

namespace herald::testing {
namespace {

struct FaultyTrack {
  TempDir dir;
  std::shared_ptr<StorageFaults> faults = std::make_shared<StorageFaults>();
  std::unique_ptr<RocksTrackStore> store;

  FaultyTrack() {
    TrackStoreOptions o;
    o.path = dir.str();
    o.secret = std::string(32, 'k');
    o.sync_writes = true;  // an fsync fault must be hit by registrations and opt-outs
    o.sync_engagement_writes = true;
    o.faults = faults;
    Result<std::unique_ptr<RocksTrackStore>> s = RocksTrackStore::Open(o);
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    store = std::move(s).value();
  }
};

TEST_CASE("fault track: writes refused while the disk refuses count nothing, then resume") {
  const StorageFaults::Kind kinds[] = {StorageFaults::Kind::kNoSpace,
                                       StorageFaults::Kind::kReadOnly};
  for (StorageFaults::Kind kind : kinds) {
    for (unsigned ops : {unsigned{StorageFaults::kAllOps}, unsigned{StorageFaults::kWrites}}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(ops);
      FaultyTrack t;
      RocksTrackStore& s = *t.store;
      const TrackedMessage m = Msg(1);
      REQUIRE(s.RegisterMessage(m).ok());
      REQUIRE(s.RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 10 * kMin)).ok());

      t.faults->Set(kind, ops);
      Result<EngagementResult> open = s.RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + kHour));
      REQUIRE_FALSE(open.ok());
      CHECK(open.status().IsUnavailable());
      CHECK(t.faults->failed_ops() > 0);
      // Every kind of write is refused, not only the one that hit the fault.
      CHECK(s.RegisterMessage(Msg(2)).IsUnavailable());
      CHECK_FALSE(s.RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kHour)).ok());
      CHECK_FALSE(s.RecordEngagement(Ev(TokenKind::kUnsubscribe, m.id, kT0 + kHour)).ok());
      // Reads keep answering from the open database.
      REQUIRE(s.GetMessage(m.id)->has_value());
      CHECK_FALSE(s.GetMessage(Id(2))->has_value());
      CHECK(Total(s)[kOpensHuman] == 1);
      CHECK_FALSE((*s.CheckSuppression(m.recipient_id, Channel::kEmail, m.address)).suppressed);

      t.faults->Clear();
      // The same process takes writes again: the store reopened its database.
      Result<EngagementResult> click =
          s.RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kHour + kMin));
      REQUIRE_MESSAGE(click.ok(), click.status().ToString());
      CHECK(click->found);
      REQUIRE(s.RegisterMessage(Msg(2)).ok());
      CHECK(s.GetMessage(Id(2))->has_value());
      REQUIRE(s.RecordEngagement(Ev(TokenKind::kUnsubscribe, m.id, kT0 + 2 * kHour)).ok());
      CHECK((*s.CheckSuppression(m.recipient_id, Channel::kEmail, m.address)).suppressed);
      // Counts hold only what was acknowledged: one open before the fault, one click after.
      Counters c = Total(s);
      CHECK(c[kOpensHuman] == 1);
      CHECK(c[kClicksHuman] == 1);
      CHECK(c[kCreated] == 2);
      auto events = s.Events(m.id);
      REQUIRE(events.ok());
      CHECK(events->size() == 3);  // open, click, unsubscribe
    }
  }
}

TEST_CASE("fault track: what was written before the fault survives a restart after it") {
  TempDir dir;
  std::shared_ptr<StorageFaults> faults = std::make_shared<StorageFaults>();
  TrackStoreOptions o;
  o.path = dir.str();
  o.secret = std::string(32, 'k');
  o.faults = faults;
  const TrackedMessage m = Msg(1);
  {
    auto s = RocksTrackStore::Open(o);
    REQUIRE(s.ok());
    REQUIRE((*s)->RegisterMessage(m).ok());
    REQUIRE((*s)->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kMin)).ok());
    faults->Set(StorageFaults::Kind::kNoSpace);
    CHECK_FALSE((*s)->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + 2 * kMin)).ok());
  }  // closed while the disk is still full
  faults->Clear();
  auto s = RocksTrackStore::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  Counters c = Total(**s);
  CHECK(c[kClicksHuman] == 1);
  CHECK(c[kUniqueClicks] == 1);
  REQUIRE((*s)->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + 3 * kMin)).ok());
  CHECK(Total(**s)[kClicksHuman] == 2);
  CHECK((*s)->Events(m.id)->size() == 2);
}

}  // namespace
}  // namespace herald::testing
