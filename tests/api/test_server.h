// An in-process herald HTTP server on an ephemeral loopback port, over a real RocksStore
// in a temp dir, with a FakeClock. Restart() closes and reopens the store to test
// persistence.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/http_server.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/sha256.h"
#include "engine/store/rocks_store.h"
#include "tests/test_util.h"

namespace herald::testing {

inline constexpr const char* kIngestKey = "test-ingest-secret";
inline constexpr const char* kOtherIngestKey = "test-other-ingest-secret";
inline constexpr const char* kAdminKey = "test-admin-secret";

inline Config TestConfig() {
  Config c;
  c.source = "<test>";
  c.listen_host = "127.0.0.1";
  c.listen_port = 0;
  c.api_keys = {{"case-system", Sha256Hex(kIngestKey), {Scope::kIngest}},
                {"other-system", Sha256Hex(kOtherIngestKey), {Scope::kIngest}},
                {"ops", Sha256Hex(kAdminKey), {Scope::kAdmin}}};
  c.limits.max_body_bytes = 256 * 1024;
  c.limits.max_batch_events = 100;
  c.limits.max_json_depth = 16;
  c.http.threads = 8;
  return c;
}

class TestServer {
 public:
  explicit TestServer(Config config = TestConfig()) : config_(std::move(config)) {
    config_.data_dir = dir_.str();
    Open();
  }
  ~TestServer() { Close(); }

  void Restart() {
    Close();
    Open();
  }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }

  // POSTs `body` to /v1/events with the given key and content type.
  httplib::Result Post(const std::string& body,
                       const std::string& content_type = "application/json",
                       const std::string& key = kIngestKey) const {
    auto c = Client();
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return c.Post("/v1/events", h, body, content_type);
  }

  httplib::Result Get(const std::string& path, const std::string& key = kAdminKey) const {
    auto c = Client();
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return c.Get(path.c_str(), h);
  }

  int port() const { return port_; }
  RocksStore& store() { return *store_; }
  HttpServer& server() { return *server_; }
  FakeClock& clock() { return clock_; }
  const Config& config() const { return config_; }

 private:
  void Open() {
    StoreOptions options;
    options.path = dir_.str() + "/store";
    auto opened = RocksStore::Open(options, clock_);
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    store_ = std::move(opened).value();
    ServerDeps deps;
    deps.config = &config_;
    deps.log = store_.get();
    deps.cases = store_.get();
    RocksStore* db = store_.get();
    deps.store_stats = [db] { return db->Stats(); };
    deps.clock = &clock_;
    server_ = std::make_unique<HttpServer>(deps);
    auto port = server_->Start("127.0.0.1", 0);
    if (!port.ok()) throw std::runtime_error(port.status().ToString());
    port_ = *port;
  }
  void Close() {
    if (server_) server_->Stop();
    server_.reset();
    store_.reset();
  }

  TempDir dir_;
  Config config_;
  FakeClock clock_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

inline nlohmann::json Body(const httplib::Result& r) {
  return nlohmann::json::parse(r->body, nullptr, false);
}

// A valid event with the given id, as a JSON object.
inline nlohmann::json MakeEvent(const std::string& id, const std::string& case_id = "case-1",
                                nlohmann::json data = {{"status", "documents_requested"}}) {
  return {{"id", id},
          {"case_id", case_id},
          {"type", "case.status_changed"},
          {"occurred_at", "2026-01-05T14:00:00Z"},
          {"data", std::move(data)}};
}

}  // namespace herald::testing
