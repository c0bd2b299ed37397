// HTTP tests for the schedule routes (GET/DELETE /v1/cases/{case_id}/schedule...) and
// POST /v1/admin/reload, over real RocksDB stores with a rule engine and timer firer
// driven by the test on a FakeClock (no worker thread).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/core/time_format.h"
#include "engine/rules/campaign_loader.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/schedule_control.h"
#include "engine/rules/timer_firer.h"
#include "engine/store/schedule_store_rocks.h"
#include "tests/api/test_server.h"

using herald::testing::Body;
using herald::testing::MakeEvent;
using herald::testing::TempDir;
using herald::testing::TestServer;
using nlohmann::json;

namespace herald::testing {
namespace {

const char* kTwoRules =
    "campaign: c\nlocales: [en]\nrules:\n"
    "  - {id: docs, on: case.status_changed, when: status == \"documents_requested\",\n"
    "     after: 3d, every: 4d, times: 3, while: status == \"documents_requested\", send: t1}\n"
    "  - {id: other, on: case.status_changed, after: 1d, send: t1}\n";

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// TestServer's HTTP server plus the schedule: a RocksScheduleStore, a RuleEngine and a
// TimerFirer sharing one write mutex with the ScheduleControl behind the API hooks.
class ScheduleServer {
 public:
  explicit ScheduleServer(const std::string& campaign_yaml) {
    Write(dir_.path() / "templates" / "t1" / "en.md", "---\nsubject: s\nsms: s\n---\nbody\n");
    WriteCampaign(campaign_yaml);
    config_ = TestConfig();
    config_.data_dir = dir_.str();
    config_.campaigns_dir = (dir_.path() / "campaigns").string();
    config_.templates_dir = (dir_.path() / "templates").string();
    CampaignLoad load = LoadCampaigns(config_.campaigns_dir, config_.templates_dir);
    for (const ConfigError& e : load.errors) FAIL_CHECK(e.ToString());
    REQUIRE(load.ok());

    StoreOptions so;
    so.path = dir_.str() + "/store";
    so.sync_writes = false;
    auto log = RocksStore::Open(so, clock_);
    REQUIRE(log.ok());
    log_ = std::move(log).value();
    ScheduleStoreOptions sso;
    sso.path = dir_.str() + "/schedule";
    sso.sync_writes = false;
    auto sched = RocksScheduleStore::Open(sso, clock_);
    REQUIRE(sched.ok());
    sched_ = std::move(sched).value();
    engine_ = std::make_unique<RuleEngine>(load.campaigns, *log_, *sched_, clock_, zones_, &mu_);
    firer_ = std::make_unique<TimerFirer>(load.campaigns, *sched_, clock_, zones_, &mu_);
    control_ = std::make_unique<ScheduleControl>(*engine_, *firer_, *sched_, clock_, mu_);

    ServerDeps deps;
    deps.config = &config_;
    deps.log = log_.get();
    deps.cases = log_.get();
    RocksStore* db = log_.get();
    deps.store_stats = [db] { return db->Stats(); };
    deps.clock = &clock_;
    deps.schedule = sched_.get();
    deps.cancel_plan = [this](const PlanKey& key, const std::string& reason) {
      return control_->Cancel(key, reason);
    };
    // What `herald serve` does (cmd_serve.cc), minus the logging.
    deps.reload = [this]() -> Result<ReloadOutcome> {
      ReloadOutcome out;
      CampaignLoad next = LoadCampaigns(config_.campaigns_dir, config_.templates_dir);
      if (!next.ok()) {
        out.errors = next.errors;
        return out;
      }
      Result<ReloadSweep> sweep = control_->Reload(next.campaigns);
      if (!sweep.ok()) return sweep.status();
      out.campaigns = next.campaigns.size();
      out.rules = next.campaigns.rule_count();
      out.cancelled = sweep->cancelled;
      out.replanned = sweep->replanned;
      return out;
    };
    server_ = std::make_unique<HttpServer>(deps);
    auto port = server_->Start("127.0.0.1", 0);
    REQUIRE(port.ok());
    port_ = *port;
  }
  ~ScheduleServer() {
    server_->Stop();
    server_.reset();
  }

  // Replaces the single campaign file.
  void WriteCampaign(const std::string& yaml) { Write(dir_.path() / "campaigns" / "c.yaml", yaml); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  static httplib::Headers Auth(const std::string& key) {
    return {{"Authorization", "Bearer " + key}};
  }
  httplib::Result PostEvents(const json& events) {
    return Client().Post("/v1/events", Auth(kIngestKey), events.dump(), "application/json");
  }
  httplib::Result Get(const std::string& path, const std::string& key = kAdminKey) {
    return Client().Get(path.c_str(), Auth(key));
  }
  httplib::Result Delete(const std::string& path, const std::string& key = kAdminKey) {
    return Client().Delete(path.c_str(), Auth(key));
  }
  httplib::Result Reload(const std::string& key = kAdminKey) {
    return Client().Post("/v1/admin/reload", Auth(key), "", "application/json");
  }

  size_t Process() {
    auto n = engine_->ProcessAvailable(100000);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
  size_t FireDue() {
    auto n = firer_->FireDue(100000);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
  std::optional<Plan> GetPlan(const std::string& rule, const std::string& case_id) {
    auto p = sched_->GetPlan(PlanKey{"c", rule, case_id});
    REQUIRE(p.ok());
    return *p;
  }
  size_t PendingTimers() { return *sched_->PendingTimerCount(); }
  size_t OutboxSize() { return sched_->OutboxAfter(0, 100000)->size(); }

  FakeClock& clock() { return clock_; }
  RuleEngine& engine() { return *engine_; }
  TimerFirer& firer() { return *firer_; }

 private:
  TempDir dir_;
  Config config_;
  FakeClock clock_;  // 2026-01-01T00:00:00Z
  ZoneCache zones_;
  std::mutex mu_;
  std::unique_ptr<RocksStore> log_;
  std::unique_ptr<RocksScheduleStore> sched_;
  std::unique_ptr<RuleEngine> engine_;
  std::unique_ptr<TimerFirer> firer_;
  std::unique_ptr<ScheduleControl> control_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

const json* FindPlan(const json& body, const std::string& id) {
  for (const json& p : body["plans"]) {
    if (p["id"] == id) return &p;
  }
  return nullptr;
}

}  // namespace
}  // namespace herald::testing

using herald::testing::ScheduleServer;

TEST_CASE("GET schedule lists the case's plans and records") {
  ScheduleServer s(herald::testing::kTwoRules);
  REQUIRE(s.PostEvents(json::array({MakeEvent("e1", "case-1")}))->status == 202);
  CHECK(s.Get("/v1/cases/case-1/schedule")->status == 404);  // not processed yet
  REQUIRE(s.Process() == 1);

  auto r = s.Get("/v1/cases/case-1/schedule");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json b = Body(r);
  CHECK(b["case_id"] == "case-1");
  REQUIRE(b["plans"].size() == 2);
  const json* docs = herald::testing::FindPlan(b, "c/docs");
  REQUIRE(docs != nullptr);
  CHECK((*docs)["campaign"] == "c");
  CHECK((*docs)["rule"] == "docs");
  CHECK((*docs)["status"] == "pending");
  CHECK((*docs)["sent"] == 0);
  CHECK((*docs)["times"] == 3);
  CHECK((*docs)["due"] == "2026-01-08T14:00:00Z");
  CHECK((*docs)["fire_at"] == "2026-01-08T14:00:00Z");
  CHECK((*docs)["deferred_by"].is_null());
  REQUIRE(b["records"].size() == 2);
  CHECK(b["records"][0]["what"] == "planned");
  CHECK(b["records"][0]["reason"] == "event e1 (case.status_changed)");

  CHECK(s.Get("/v1/cases/nobody/schedule")->status == 404);
  CHECK(s.Get("/v1/cases/case-1/schedule", herald::testing::kIngestKey)->status == 403);
  CHECK(s.Get("/v1/cases/case-1/schedule", "")->status == 401);
}

TEST_CASE("DELETE cancels a pending plan once; unknown is 404, not pending is 409") {
  ScheduleServer s(herald::testing::kTwoRules);
  REQUIRE(s.PostEvents(json::array({MakeEvent("e1", "case-1")}))->status == 202);
  s.Process();
  REQUIRE(s.PendingTimers() == 2);

  CHECK(s.Delete("/v1/cases/case-1/schedule/c/docs", herald::testing::kIngestKey)->status == 403);
  CHECK(s.GetPlan("docs", "case-1")->status == herald::PlanStatus::kPending);

  auto r = s.Delete("/v1/cases/case-1/schedule/c/docs");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json plan = Body(r)["plan"];
  CHECK(plan["id"] == "c/docs");
  CHECK(plan["status"] == "cancelled");
  CHECK(plan["reason"] == "cancelled by API key 'ops'");
  CHECK(s.PendingTimers() == 1);
  CHECK(s.GetPlan("docs", "case-1")->status == herald::PlanStatus::kCancelled);

  auto again = s.Delete("/v1/cases/case-1/schedule/c/docs");
  CHECK(again->status == 409);
  CHECK(Body(again)["error"]["status"] == "cancelled");
  CHECK(s.Delete("/v1/cases/case-1/schedule/c/nope")->status == 404);
  CHECK(s.Delete("/v1/cases/nobody/schedule/c/docs")->status == 404);

  // The record is there, and nothing resurrects the plan: the next event re-checks only
  // pending plans, and the firer never sends it.
  json b = Body(s.Get("/v1/cases/case-1/schedule"));
  CHECK(b["records"].back()["what"] == "cancelled");
  CHECK(b["records"].back()["reason"] == "cancelled by API key 'ops'");
  s.clock().Set(s.clock().NowMicros() + 30LL * 24 * 3600 * 1'000'000);
  s.FireDue();
  CHECK(s.OutboxSize() == 1);  // `other` only
  CHECK(s.GetPlan("docs", "case-1")->status == herald::PlanStatus::kCancelled);
  CHECK(s.Delete("/v1/cases/case-1/schedule/c/other")->status == 409);  // done
}

TEST_CASE("a cancel racing the timer firer is never lost nor undone") {
  ScheduleServer s(herald::testing::kTwoRules);
  json batch = json::array();
  for (int i = 0; i < 50; ++i) {
    batch.push_back(MakeEvent("e" + std::to_string(i), "case-" + std::to_string(i)));
  }
  REQUIRE(s.PostEvents(batch)->status == 202);
  s.Process();
  // Everything is due: the firer fires each plan and plans its next send (pending again)
  // while the API cancels. Without the shared mutex a cancel committed between the
  // firer's read and its commit would be overwritten by "fired, next planned".
  s.clock().Set(*herald::ParseRfc3339("2026-01-09T00:00:00Z"));
  std::thread worker([&] {
    for (int k = 0; k < 1000; ++k) {
      auto n = s.firer().FireDue(1);
      if (!n.ok() || *n == 0) break;
    }
  });
  for (int i = 0; i < 50; ++i) {
    auto r = s.Delete("/v1/cases/case-" + std::to_string(i) + "/schedule/c/docs");
    CHECK(r->status == 200);
  }
  worker.join();
  s.FireDue();
  for (int i = 0; i < 50; ++i) {
    CHECK(s.GetPlan("docs", "case-" + std::to_string(i))->status == herald::PlanStatus::kCancelled);
  }
  CHECK(s.PendingTimers() == 0);  // `other` all fired and done, `docs` all cancelled
}

TEST_CASE("reload: an invalid set is refused with positions and the old one keeps planning") {
  ScheduleServer s(herald::testing::kTwoRules);
  s.WriteCampaign(
      "campaign: c\nlocales: [en]\nrules:\n  - {id: docs, on: x, after: 3q, send: t1}\n");
  auto r = s.Reload();
  REQUIRE(r);
  REQUIRE(r->status == 422);
  json e = Body(r)["error"];
  CHECK(e["code"] == "invalid_campaigns");
  REQUIRE(!e["errors"].empty());
  CHECK(e["errors"][0]["file"].get<std::string>().find("c.yaml") != std::string::npos);
  CHECK(e["errors"][0]["line"] == 4);
  CHECK(e["errors"][0]["column"].get<int>() > 0);
  CHECK(s.Reload(herald::testing::kIngestKey)->status == 403);

  REQUIRE(s.PostEvents(json::array({MakeEvent("e1", "case-2")}))->status == 202);
  s.Process();
  CHECK(s.GetPlan("docs", "case-2")->status == herald::PlanStatus::kPending);
  CHECK(s.GetPlan("other", "case-2")->status == herald::PlanStatus::kPending);
}

TEST_CASE("reload: a removed rule's pending plans are cancelled, a changed rule re-plans") {
  ScheduleServer s(herald::testing::kTwoRules);
  REQUIRE(
      s.PostEvents(json::array({MakeEvent("e1", "case-1"), MakeEvent("e2", "case-2")}))->status ==
      202);
  s.Process();
  REQUIRE(s.PendingTimers() == 4);
  // `other` removed; `docs` now waits 5 days instead of 3.
  s.WriteCampaign(
      "campaign: c\nlocales: [en]\nrules:\n"
      "  - {id: docs, on: case.status_changed, when: status == \"documents_requested\",\n"
      "     after: 5d, every: 4d, times: 3, while: status == \"documents_requested\", "
      "send: t1}\n");
  auto r = s.Reload();
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(Body(r) == json({{"campaigns", 1}, {"rules", 1}, {"cancelled", 2}, {"replanned", 2}}));

  auto other = s.GetPlan("other", "case-1");
  CHECK(other->status == herald::PlanStatus::kCancelled);
  CHECK(other->reason == "rule removed by reload");
  auto docs = s.GetPlan("docs", "case-1");
  CHECK(docs->status == herald::PlanStatus::kPending);
  CHECK(docs->due == *herald::ParseRfc3339("2026-01-10T14:00:00Z"));
  CHECK(s.PendingTimers() == 2);
  json b = Body(s.Get("/v1/cases/case-1/schedule"));
  bool replanned = false;
  for (const json& rec : b["records"])
    replanned =
        replanned || (rec["what"] == "replanned" && rec["reason"] == "rule changed by reload");
  CHECK(replanned);

  // Reloading the same set again changes nothing.
  auto same = s.Reload();
  CHECK(Body(same) == json({{"campaigns", 1}, {"rules", 1}, {"cancelled", 0}, {"replanned", 0}}));
}

TEST_CASE("reload: new campaign send settings move pending fire times, rules unchanged") {
  // Due 2026-01-08T14:00Z, 09:00 in New York: inside these quiet hours, so 10:00.
  const std::string rule = "rules:\n  - {id: docs, on: case.status_changed, after: 3d, send: t1}\n";
  ScheduleServer s(
      "campaign: c\nlocales: [en]\ntimezone: America/New_York\n"
      "quiet_hours: {start: \"08:00\", end: \"10:00\"}\n" +
      rule);
  REQUIRE(s.PostEvents(json::array({MakeEvent("e1", "case-1")}))->status == 202);
  s.Process();
  auto before = s.GetPlan("docs", "case-1");
  REQUIRE(before);
  CHECK(before->fire_at == *herald::ParseRfc3339("2026-01-08T15:00:00Z"));
  CHECK(before->deferred_by == "quiet_hours");

  // Quiet hours gone: it goes at its due time again.
  s.WriteCampaign("campaign: c\nlocales: [en]\ntimezone: America/New_York\n" + rule);
  auto r = s.Reload();
  REQUIRE(r);
  CHECK(Body(r) == json({{"campaigns", 1}, {"rules", 1}, {"cancelled", 0}, {"replanned", 1}}));
  auto after = s.GetPlan("docs", "case-1");
  CHECK(after->due == before->due);
  CHECK(after->fire_at == *herald::ParseRfc3339("2026-01-08T14:00:00Z"));
  CHECK(after->deferred_by.empty());
  CHECK(s.PendingTimers() == 1);

  // Another timezone where 14:00Z is night (Tokyo, 23:00): deferred to 08:00 there.
  s.WriteCampaign(
      "campaign: c\nlocales: [en]\ntimezone: Asia/Tokyo\n"
      "quiet_hours: {start: \"21:00\", end: \"08:00\"}\n" +
      rule);
  r = s.Reload();
  CHECK(Body(r)["replanned"] == 1);
  CHECK(s.GetPlan("docs", "case-1")->fire_at == *herald::ParseRfc3339("2026-01-08T23:00:00Z"));
  json b = Body(s.Get("/v1/cases/case-1/schedule"));
  bool noted = false;
  for (const json& rec : b["records"]) {
    noted = noted || rec["reason"] == "campaign send settings changed by reload";
  }
  CHECK(noted);
}

TEST_CASE("without a schedule the routes answer 503") {
  TestServer s;
  auto r = s.Get("/v1/cases/case-1/schedule");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(Body(r)["error"]["message"] == "schedule not running");
  auto c = s.Client();
  httplib::Headers h{{"Authorization", std::string("Bearer ") + herald::testing::kAdminKey}};
  CHECK(c.Delete("/v1/cases/case-1/schedule/c/r", h)->status == 503);
  CHECK(c.Post("/v1/admin/reload", h, "", "application/json")->status == 503);
}
