// A herald HTTP server on a loopback port 0 over a RocksTrackStore seeded with the
// hand-computed fixture of tests/track/track_report_test.cc (campaign "snap"), for the
// report API, dashboard and browser tests. The clock is a FakeClock at 2026-01-03T12:00Z,
// so the default period (the last 30 days) covers the fixture.
//
// Campaign "snap", times as hours after 2026-01-01T00:00Z (New York is UTC-5):
//   m1 email docs/en sent 27:30 (NY Jan 1), opened by a person (and Apple MPP), clicked
//      https://benefits.gov/apply, unsubscribed;
//   m2 email docs/es sent 39:00, opened by a person (and Gmail's proxy at delivery), a
//      scanner clicked apply and help (machine);
//   m3 sms reminder/en sent 39:10, clicked https://benefits.gov/upload?c=9, STOP;
//   m4 failed "permanent"; m5 suppressed "opted_out"; m6 email sent 40:00, bounced.
// Totals: created 6, sent 4, delivered 3, bounced 1, failed 1, suppressed 1, reached 3;
// unique human opens 2, unique machine opens 2, unique clicks 2; open rate 66.7%, click
// rate 66.7%, click-to-open 50.0%, engagement 100.0%; unsubscribes 1, SMS opt-outs 1.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/http_server.h"
#include "engine/config/config.h"
#include "engine/core/sha256.h"
#include "tests/track/track_test_util.h"

namespace herald::testing {

inline constexpr const char* kReportAdminKey = "report-admin-secret";
inline constexpr const char* kReportIngestKey = "report-ingest-secret";

inline void SeedReportFixture(TrackStore& s) {
  auto at = [](int h, int m = 0, int sec = 0) { return kT0 + h * kHour + m * kMin + sec * kSec; };
  auto reg = [&](int n, Channel ch, const char* rule, const char* locale, Micros event,
                 Micros created) {
    TrackedMessage m = Msg(n, ch);
    m.rule = rule;
    m.locale = locale;
    m.case_event_at = event;
    m.created_at = created;
    if (ch == Channel::kSms) m.links = {"https://benefits.gov/upload?c=9"};
    REQUIRE(s.RegisterMessage(m).ok());
    return m.id;
  };
  auto status = [&](const std::string& id, MessageStatus st, Micros t, const char* why = "") {
    REQUIRE(s.RecordStatus(id, st, t, why).ok());
  };
  auto engage = [&](TokenKind kind, const std::string& id, Micros t, const char* ua,
                    uint32_t link = 0) {
    Result<EngagementResult> r = s.RecordEngagement(Ev(kind, id, t, ua, link));
    REQUIRE(r.ok());
    REQUIRE(r->found);
  };
  const std::string m1 = reg(1, Channel::kEmail, "docs", "en", at(27), at(27, 20));
  status(m1, MessageStatus::kSent, at(27, 30));
  status(m1, MessageStatus::kDelivered, at(27, 31));
  engage(TokenKind::kOpen, m1, at(27, 31), "Mozilla/5.0");
  engage(TokenKind::kOpen, m1, at(28, 30), kIphoneUa);
  engage(TokenKind::kOpen, m1, at(29), kIphoneUa);
  engage(TokenKind::kClick, m1, at(28, 31), kIphoneUa, 0);
  engage(TokenKind::kUnsubscribe, m1, at(30), kIphoneUa);

  const std::string m2 = reg(2, Channel::kEmail, "docs", "es", at(38), at(38, 50));
  status(m2, MessageStatus::kSent, at(39));
  status(m2, MessageStatus::kDelivered, at(39));
  engage(TokenKind::kOpen, m2, at(39, 0, 5), kGmailProxyUa);
  engage(TokenKind::kOpen, m2, at(41), kIphoneUa);
  engage(TokenKind::kClick, m2, at(39, 0, 30), kIphoneUa, 0);
  engage(TokenKind::kClick, m2, at(39, 0, 31), kIphoneUa, 1);

  const TrackedMessage sms = Msg(3, Channel::kSms);
  const std::string m3 = reg(3, Channel::kSms, "reminder", "en", at(39), at(39, 10));
  status(m3, MessageStatus::kSent, at(39, 10));
  status(m3, MessageStatus::kDelivered, at(39, 11));
  engage(TokenKind::kClick, m3, at(40), kIphoneUa, 0);
  REQUIRE(s.RecordSmsKeyword({sms.address, SmsKeyword::kStop, at(41)}).ok());

  const std::string m4 = reg(4, Channel::kEmail, "docs", "en", 0, at(40));
  status(m4, MessageStatus::kFailed, at(40, 5), "permanent");
  const std::string m5 = reg(5, Channel::kEmail, "docs", "en", 0, at(40));
  status(m5, MessageStatus::kSuppressed, at(40), "opted_out");
  const std::string m6 = reg(6, Channel::kEmail, "reminder", "en", at(39), at(40));
  status(m6, MessageStatus::kSent, at(40));
  status(m6, MessageStatus::kBounced, at(40, 10), "hard_bounce");
}

class ReportServer {
 public:
  // `campaign_name` is the display name of "snap" (tests put markup in it).
  explicit ReportServer(std::string campaign_name = "SNAP renewal <2026>",
                        std::string public_url = "http://localhost:8080")
      : clock_(kT0 + 60 * kHour) {
    config_.source = "<test>";
    config_.public_url = std::move(public_url);
    config_.api_keys = {{"case-system", Sha256Hex(kReportIngestKey), {Scope::kIngest}},
                        {"ops", Sha256Hex(kReportAdminKey), {Scope::kAdmin}}};
    config_.http.threads = 4;
    config_.data_dir = dir_.str();
    track_ = OpenTrackStore(dir_.str() + "/track");
    SeedReportFixture(*track_);
    ServerDeps deps;
    deps.config = &config_;
    deps.clock = &clock_;
    deps.track = track_.get();
    deps.campaign_names = [campaign_name] {
      return std::vector<std::pair<std::string, std::string>>{{"empty", "Nothing sent yet"},
                                                              {"snap", campaign_name}};
    };
    server_ = std::make_unique<HttpServer>(deps);
    Result<int> port = server_->Start("127.0.0.1", 0);
    REQUIRE_MESSAGE(port.ok(), port.status().ToString());
    port_ = *port;
  }
  ~ReportServer() { server_->Stop(); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  httplib::Result Get(const std::string& path, const std::string& key = kReportAdminKey,
                      httplib::Headers h = {}) const {
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return Client().Get(path, h);
  }
  // POST /v1/admin/dashboard-links; returns the link's path and query ("/reports/login?...").
  std::string MintLinkPath(const std::string& body = "") const {
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kReportAdminKey}};
    auto r = Client().Post("/v1/admin/dashboard-links", h, body, "application/json");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
    const std::string url = nlohmann::json::parse(r->body)["url"].get<std::string>();
    REQUIRE(url.rfind(config_.public_url, 0) == 0);
    return url.substr(config_.public_url.size());
  }

  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  FakeClock& clock() { return clock_; }

 private:
  TempDir dir_;
  Config config_;
  FakeClock clock_;
  std::unique_ptr<RocksTrackStore> track_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace herald::testing
