// Fault-injection scaffolding: stores on a disk that can be made full or read-only
// (engine/store/fault_env.h), an ingest server over such a store, and event builders.
#pragma once

#include <httplib.h>

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/http_server.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/sha256.h"
#include "engine/store/fault_env.h"
#include "engine/store/rocks_store.h"
#include "tests/test_util.h"

namespace herald::testing {

inline Event FaultEvent(std::string id, std::string case_id,
                        nlohmann::json data = nlohmann::json::object()) {
  Event e;
  e.id = std::move(id);
  e.case_id = std::move(case_id);
  e.type = "case.updated";
  e.occurred_at = "2026-01-01T00:00:00Z";
  e.occurred_at_us = 1'767'225'600'000'000;
  e.data = std::move(data);
  return e;
}

// A RocksStore (the event log) on a disk whose faults the test switches.
struct FaultyLog {
  TempDir dir;
  FakeClock clock;
  std::shared_ptr<StorageFaults> faults = std::make_shared<StorageFaults>();
  std::unique_ptr<RocksStore> store;

  FaultyLog() { Open(); }
  void Open() {
    StoreOptions o;
    o.path = dir.Sub("store");
    o.faults = faults;
    auto opened = RocksStore::Open(o, clock);
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    store = std::move(opened).value();
  }
  // A process restart: the store closed and opened again (the fault as it is).
  void Restart() {
    store.reset();
    Open();
  }
};

inline constexpr const char* kFaultIngestKey = "fault-ingest-secret";
inline constexpr const char* kFaultAdminKey = "fault-admin-secret";

// POST /v1/events and GET /readyz over a FaultyLog, on a loopback port.
class FaultyIngestServer {
 public:
  FaultyIngestServer() {
    config_.source = "<test>";
    config_.listen_host = "127.0.0.1";
    config_.api_keys = {{"case-system", Sha256Hex(kFaultIngestKey), {Scope::kIngest}},
                        {"ops", Sha256Hex(kFaultAdminKey), {Scope::kAdmin}}};
    config_.http.threads = 8;
    config_.data_dir = log_.dir.str();
    ServerDeps deps;
    deps.config = &config_;
    deps.log = log_.store.get();
    deps.cases = log_.store.get();
    RocksStore* db = log_.store.get();
    deps.store_stats = [db] { return db->Stats(); };
    deps.clock = &log_.clock;
    server_ = std::make_unique<HttpServer>(deps);
    auto port = server_->Start("127.0.0.1", 0);
    if (!port.ok()) throw std::runtime_error(port.status().ToString());
    port_ = *port;
  }
  ~FaultyIngestServer() { server_->Stop(); }

  httplib::Result Post(const std::string& body) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c.Post("/v1/events", {{"Authorization", std::string("Bearer ") + kFaultIngestKey}}, body,
                  "application/json");
  }
  int ReadyStatus() const {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/readyz");
    return r ? r->status : 0;
  }

  FaultyLog& log() { return log_; }
  StorageFaults& faults() { return *log_.faults; }

 private:
  FaultyLog log_;
  Config config_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace herald::testing
