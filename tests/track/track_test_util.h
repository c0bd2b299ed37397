// Shared helpers of the track store tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/core/clock.h"
#include "engine/store/track_store_rocks.h"
#include "tests/test_util.h"

namespace herald::testing {

inline constexpr Micros kSec = 1'000'000;
inline constexpr Micros kMin = 60 * kSec;
inline constexpr Micros kHour = 60 * kMin;
inline constexpr Micros kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

inline const char* kIphoneUa =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148";
inline const char* kGmailProxyUa =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

inline std::unique_ptr<RocksTrackStore> OpenTrackStore(const std::string& path) {
  TrackStoreOptions o;
  o.path = path;
  o.secret = std::string(32, 'k');
  o.sync_writes = false;
  Result<std::unique_ptr<RocksTrackStore>> s = RocksTrackStore::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(s).value();
}

// A message id from a small number.
inline std::string Id(int n) {
  std::string s = std::to_string(n);
  return std::string(32 - s.size(), '0') + s;
}

inline TrackedMessage Msg(int n, Channel channel = Channel::kEmail) {
  TrackedMessage m;
  m.id = Id(n);
  m.campaign = "snap";
  m.rule = "docs";
  m.locale = "en";
  m.channel = channel;
  m.recipient_id = "r" + std::to_string(n);
  m.address = channel == Channel::kEmail ? "p" + std::to_string(n) + "@example.org"
                                         : "+1415555" + std::to_string(1000 + n);
  m.created_at = kT0;
  m.links = {"https://benefits.gov/apply", "https://benefits.gov/help"};
  return m;
}

inline EngagementInput Ev(TokenKind kind, const std::string& id, Micros at,
                          const std::string& ua = kIphoneUa, uint32_t link = 0) {
  EngagementInput in;
  in.kind = kind;
  in.message_id = id;
  in.at = at;
  in.user_agent = ua;
  in.ip = "198.51.100.7";
  in.link_index = link;
  return in;
}

inline Counters Total(TrackStore& s, const std::string& campaign = "snap") {
  ReportQuery q;
  q.campaign = campaign;
  q.from = kT0 - 24 * kHour;
  q.to = kT0 + 30 * 24 * kHour;
  Result<CampaignReport> r = s.Report(q);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r->total;
}

}  // namespace herald::testing
