// The engagement routes' test server: a real HttpServer on a loopback port over a
// RocksStore and a RocksTrackStore in a temp dir, real tokens, a FakeClock. Seeded with one
// email (kEmailId, recipient r-1, ana@example.org, locale es) and one SMS (kSmsId,
// recipient r-2, kPhone, locale ar). Inbound SMS count as signed with the header
// X-Test-Signature: valid.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>

#include "engine/store/track_store_rocks.h"
#include "tests/api/test_server.h"

namespace herald::testing {

inline constexpr const char* kSecret = "track-test-secret-0123456789abcdef";
inline constexpr const char* kEmailId = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kSmsId = "fedcba9876543210fedcba9876543210";
inline constexpr const char* kPhone = "+14155550100";
inline constexpr const char* kPublicUrl = "https://notify.example.gov";
inline constexpr const char* kForm = "application/x-www-form-urlencoded";

class TrackServer {
 public:
  // `configure`, when given, edits the server's configuration before it starts
  // (sms_replies, ...).
  explicit TrackServer(bool with_track = true,
                       const std::function<void(Config*)>& configure = nullptr) {
    StoreOptions so;
    so.path = dir_.Sub("store");
    so.sync_writes = false;
    auto log = RocksStore::Open(so, clock_);
    REQUIRE(log.ok());
    log_ = std::move(log).value();
    TrackStoreOptions to;
    to.path = dir_.Sub("track");
    to.secret = kSecret;
    to.sync_writes = false;
    auto track = RocksTrackStore::Open(to);
    REQUIRE(track.ok());
    track_ = std::move(track).value();
    auto codec = TokenCodec::Create(kSecret);
    REQUIRE(codec.ok());
    codec_ = std::make_unique<TokenCodec>(std::move(codec).value());
    Seed();

    config_ = TestConfig();
    config_.data_dir = dir_.str();
    // Another origin than the server's: the page's form must still be allowed to post there.
    config_.public_url = kPublicUrl;
    if (configure) configure(&config_);
    ServerDeps deps;
    deps.config = &config_;
    deps.log = log_.get();
    deps.cases = log_.get();
    RocksStore* db = log_.get();
    deps.store_stats = [db] { return db->Stats(); };
    deps.clock = &clock_;
    if (with_track) {
      deps.track = track_.get();
      deps.tokens = codec_.get();
    }
    deps.branding.name = "Oficina";
    deps.verify_inbound_sms = [this](const CallbackRequest& r) {
      last_callback_url_ = r.url;
      for (const auto& [k, v] : r.headers) {
        if (k == "x-test-signature" && v == "valid") return true;
      }
      return false;
    };
    server_ = std::make_unique<HttpServer>(deps);
    auto port = server_->Start("127.0.0.1", 0);
    REQUIRE(port.ok());
    port_ = *port;
  }
  ~TrackServer() { server_->Stop(); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::string Token(TokenKind kind, const std::string& id, uint32_t link = 0) const {
    auto t = codec_->Encode({kind, id, link});
    REQUIRE(t.ok());
    return *t;
  }
  httplib::Result Sms(const std::string& body, const std::string& key = kIngestKey,
                      httplib::Headers h = {}) const {
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return Client().Post("/v1/inbound/sms", h, body, kForm);
  }
  httplib::Result PutPrefs(const std::string& id, const std::string& body,
                           const std::string& key = kIngestKey) const {
    httplib::Headers h = {{"Authorization", "Bearer " + key}};
    return Client().Put(("/v1/recipients/" + id + "/preferences").c_str(), h, body,
                        "application/json");
  }
  // POSTs `body` as JSON to `path` with `key` (none when empty).
  httplib::Result PostJson(const std::string& path, const std::string& body,
                           const std::string& key = kAdminKey) const {
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return Client().Post(path.c_str(), h, body, "application/json");
  }
  httplib::Result GetPrefs(const std::string& id) const {
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kIngestKey}};
    return Client().Get(("/v1/recipients/" + id + "/preferences").c_str(), h);
  }
  size_t EventCount(const std::string& id) {
    auto e = track_->Events(id);
    REQUIRE(e.ok());
    return e->size();
  }
  bool Suppressed(const std::string& recipient, Channel c, const std::string& address) {
    auto s = track_->CheckSuppression(recipient, c, address);
    REQUIRE(s.ok());
    return s->suppressed;
  }

  RocksTrackStore& track() { return *track_; }
  FakeClock& clock() { return clock_; }
  std::string last_callback_url_;

 private:
  void Seed() {
    TrackedMessage email;
    email.id = kEmailId;
    email.campaign = "snap";
    email.rule = "reminder";
    email.locale = "es";
    email.channel = Channel::kEmail;
    email.recipient_id = "r-1";
    email.address = "ana@example.org";
    email.created_at = clock_.NowMicros();
    email.links = {"https://benefits.example.gov/docs",
                   "https://benefits.example.gov/help?a=1&b=2"};
    REQUIRE(track_->RegisterMessage(email).ok());
    TrackedMessage sms = email;
    sms.id = kSmsId;
    sms.locale = "ar";
    sms.channel = Channel::kSms;
    sms.recipient_id = "r-2";
    sms.address = kPhone;
    sms.links = {"https://benefits.example.gov/s"};
    REQUIRE(track_->RegisterMessage(sms).ok());
    clock_.Advance(3600LL * 1000 * 1000);  // an hour later: opens are not "too soon"
  }

  TempDir dir_;
  FakeClock clock_;
  Config config_;
  std::unique_ptr<RocksStore> log_;
  std::unique_ptr<RocksTrackStore> track_;
  std::unique_ptr<TokenCodec> codec_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace herald::testing
