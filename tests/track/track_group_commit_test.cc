// RecordEngagement from many threads at once: the store groups concurrent events into one
// write (track_store_rocks_engagement.cc). The counts must be exactly those of one event at a
// time: every event kept, unique marks set once per message, unsubscribes applied.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/track/track_test_util.h"

namespace herald {
namespace {

using namespace herald::testing;

constexpr int kThreads = 8;
constexpr int kMessages = 24;
constexpr int kEventsPerThread = 300;

TEST_CASE("concurrent opens, clicks and unsubscribes count exactly as one at a time") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  for (int n = 1; n <= kMessages; ++n) {
    REQUIRE(s->RegisterMessage(Msg(n)).ok());
    REQUIRE(s->RecordStatus(Id(n), MessageStatus::kSent, kT0, "").ok());
  }
  // Thread t sends, for event i, to message (t + i) % kMessages + 1: every message gets events
  // from every thread, so groups hold distinct messages and repeats wait for the next group.
  // Events are an hour or more after the send (never "within seconds": human by time), one
  // link per event in turn; message 1 also gets an unsubscribe from every thread.
  std::atomic<int> failures{0}, not_found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        const int n = (t + i) % kMessages + 1;
        const Micros at = kT0 + kHour + Micros(t * kEventsPerThread + i) * kMin;
        const TokenKind kind = i % 3 == 0 ? TokenKind::kClick : TokenKind::kOpen;
        Result<EngagementResult> r = s->RecordEngagement(Ev(kind, Id(n), at, kIphoneUa, 0));
        if (!r.ok()) failures.fetch_add(1);
        if (r.ok() && !r->found) not_found.fetch_add(1);
        if (i == 0) {
          Result<EngagementResult> u =
              s->RecordEngagement(Ev(TokenKind::kUnsubscribe, Id(1), at, kIphoneUa));
          if (!u.ok() || !u->found) failures.fetch_add(1);
        }
      }
      // An unknown message in the middle of groups: not found, and nothing written.
      Result<EngagementResult> r = s->RecordEngagement(Ev(TokenKind::kOpen, Id(999), kT0));
      if (!r.ok() || r->found) failures.fetch_add(1);
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(not_found.load() == 0);

  int opens = 0, clicks = 0;
  std::set<int> clicked;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEventsPerThread; ++i) {
      (i % 3 == 0 ? clicks : opens)++;
      if (i % 3 == 0) clicked.insert((t + i) % kMessages + 1);
    }
  }
  const Counters c = Total(*s);
  CHECK(c[kOpensHuman] == opens);
  CHECK(c[kOpensMachine] == 0);
  CHECK(c[kClicksHuman] + c[kClicksMachine] == clicks);
  CHECK(c[kUniqueOpens] == kMessages);  // each message opened, counted once
  CHECK(c[kUniqueClicks] == int64_t(clicked.size()));
  CHECK(c[kUnsubscribes] == 1);  // eight unsubscribes of one message: one

  size_t events = 0;
  for (int n = 1; n <= kMessages; ++n) {
    Result<std::vector<EngagementRecord>> e = s->Events(Id(n));
    REQUIRE(e.ok());
    events += e->size();
  }
  CHECK(events == size_t(opens + clicks + kThreads));  // + the unsubscribes

  Result<Suppression> sup = s->CheckSuppression("r1", Channel::kEmail, "");
  REQUIRE(sup.ok());
  CHECK(sup->suppressed);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

using namespace herald::testing;

TEST_CASE("a user agent longer than 512 bytes is stored cut at a character start") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  REQUIRE(s->RegisterMessage(Msg(1)).ok());
  // 511 ASCII bytes then a 3-byte character across the limit, then more.
  const std::string ua = std::string(511, 'a') + "\xe6\x97\xa5" + std::string(2000, 'b');
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kOpen, Id(1), kT0 + kHour, ua))->found);
  Result<std::vector<EngagementRecord>> e = s->Events(Id(1));
  REQUIRE(e.ok());
  REQUIRE(e->size() == 1);
  CHECK((*e)[0].user_agent == std::string(511, 'a'));
}

}  // namespace
}  // namespace herald
