// A rule engine and timer firer on real RocksDB stores in a temporary directory, driven
// by a FakeClock: the fixture of the rule engine tests.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/time_format.h"
#include "engine/rules/campaign_loader.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/timer_firer.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"
#include "tests/test_util.h"

namespace herald::testing {

constexpr Micros kMinute = 60LL * 1'000'000;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;

inline Micros T(const std::string& rfc3339) {
  const std::optional<Micros> t = ParseRfc3339(rfc3339);
  REQUIRE_MESSAGE(t.has_value(), rfc3339);
  return *t;
}

inline std::string Fmt(Micros t) {
  return FormatRfc3339(t);
}

inline void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline Recipient MakeRecipient(std::string id, std::optional<std::string> email,
                               std::optional<std::string> phone,
                               std::optional<std::string> timezone = std::nullopt,
                               std::optional<std::string> locale = std::nullopt,
                               std::optional<std::vector<Channel>> channels = std::nullopt) {
  Recipient r;
  r.id = std::move(id);
  r.email = std::move(email);
  r.phone = std::move(phone);
  r.timezone = std::move(timezone);
  r.locale = std::move(locale);
  r.channels = std::move(channels);
  return r;
}

class ScheduleEnv {
 public:
  // `campaign_yaml`: one campaign file per element. Templates named in `send:` must be
  // among the ones created here (t1..t3, status-update, documents-reminder,
  // interview-reminder) and locales among en, es, fr, vi, zh-Hans.
  explicit ScheduleEnv(const std::vector<std::string>& campaign_yaml,
                       Micros start = T("2026-01-01T00:00:00Z"))
      : clock_(start) {
    for (const char* id :
         {"t1", "t2", "t3", "status-update", "documents-reminder", "interview-reminder"}) {
      for (const char* locale : {"en", "es", "fr", "vi", "zh-Hans"}) {
        WriteText(dir_.path() / "templates" / id / (std::string(locale) + ".md"),
                  "---\nsubject: s\nsms: s\n---\nbody\n");
      }
    }
    for (size_t i = 0; i < campaign_yaml.size(); ++i) {
      WriteText(dir_.path() / "campaigns" / ("c" + std::to_string(i) + ".yaml"), campaign_yaml[i]);
    }
    CampaignLoad load =
        LoadCampaigns((dir_.path() / "campaigns").string(), (dir_.path() / "templates").string());
    for (const ConfigError& e : load.errors) FAIL_CHECK(e.ToString());
    REQUIRE(load.ok());
    campaigns_ = load.campaigns;
    Open();
  }

  void Open() {
    StoreOptions so;
    so.path = (dir_.path() / "store").string();
    so.sync_writes = false;
    auto log = RocksStore::Open(so, clock_);
    REQUIRE_MESSAGE(log.ok(), log.status().ToString());
    log_ = std::move(log).value();
    ScheduleStoreOptions sso;
    sso.path = (dir_.path() / "schedule").string();
    sso.sync_writes = false;
    auto sched = RocksScheduleStore::Open(sso, clock_);
    REQUIRE_MESSAGE(sched.ok(), sched.status().ToString());
    sched_ = std::move(sched).value();
    engine_ = std::make_unique<RuleEngine>(campaigns_, *log_, *sched_, clock_, zones_);
    firer_ = std::make_unique<TimerFirer>(campaigns_, *sched_, clock_, zones_);
  }

  void Close() {
    firer_.reset();
    engine_.reset();
    sched_.reset();
    log_.reset();
  }

  // Close and reopen both stores, as after a restart (or kill -9: nothing is kept in
  // memory between commits).
  void Reopen() {
    Close();
    Open();
  }

  FakeClock& clock() { return clock_; }
  RocksStore& log() { return *log_; }
  RocksScheduleStore& sched() { return *sched_; }
  RuleEngine& engine() { return *engine_; }
  TimerFirer& firer() { return *firer_; }
  const CampaignSet& campaigns() const { return campaigns_; }

  // Appends an event (occurred_at as given) without processing it.
  void Append(const std::string& id, const std::string& case_id, const std::string& type,
              const std::string& occurred_at, nlohmann::json data = nlohmann::json::object(),
              std::optional<Recipient> recipient = std::nullopt) {
    Event e;
    e.id = id;
    e.case_id = case_id;
    e.type = type;
    e.occurred_at = occurred_at;
    e.occurred_at_us = T(occurred_at);
    e.data = std::move(data);
    e.recipient = std::move(recipient);
    auto out = log_->Append("test", {e});
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    REQUIRE(out->at(0).kind == AppendOutcome::Kind::kAccepted);
  }

  size_t Process() {
    auto n = engine_->ProcessAvailable(100000);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }

  // Moves the clock to the event's occurred_at (never back), appends it and processes
  // it, as a case system posting in real time would.
  void Post(const std::string& id, const std::string& case_id, const std::string& type,
            const std::string& occurred_at, nlohmann::json data = nlohmann::json::object(),
            std::optional<Recipient> recipient = std::nullopt) {
    RunUntil(T(occurred_at));
    Append(id, case_id, type, occurred_at, std::move(data), std::move(recipient));
    Process();
  }

  size_t FireDue() {
    auto n = firer_->FireDue(100000);
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }

  // Fires timers in time order, moving the clock to each, up to and including `until`;
  // leaves the clock at `until` (never moves it back).
  void RunUntil(Micros until) {
    for (int guard = 0; guard < 100000; ++guard) {
      auto next = sched_->NextTimer();
      REQUIRE(next.ok());
      if (!*next || (*next)->fire_at > until) break;
      if ((*next)->fire_at > clock_.NowMicros()) clock_.Set((*next)->fire_at);
      FireDue();
    }
    if (until > clock_.NowMicros()) clock_.Set(until);
  }

  std::vector<OutboxIntent> Outbox() {
    auto out = sched_->OutboxAfter(0, 100000);
    REQUIRE(out.ok());
    return *out;
  }

  std::vector<PlanRecord> Records(const std::string& case_id) {
    auto out = sched_->RecordsForCase(case_id);
    REQUIRE(out.ok());
    return *out;
  }

  // The records of a case with `what`.
  std::vector<PlanRecord> Records(const std::string& case_id, const std::string& what) {
    std::vector<PlanRecord> out;
    for (PlanRecord& r : Records(case_id)) {
      if (r.what == what) out.push_back(std::move(r));
    }
    return out;
  }

  std::optional<Plan> GetPlan(const std::string& campaign, const std::string& rule,
                              const std::string& case_id) {
    auto p = sched_->GetPlan(PlanKey{campaign, rule, case_id});
    REQUIRE(p.ok());
    return *p;
  }

  size_t PendingTimers() {
    auto n = sched_->PendingTimerCount();
    REQUIRE(n.ok());
    return *n;
  }

 private:
  TempDir dir_;
  FakeClock clock_;
  ZoneCache zones_;
  CampaignSet campaigns_;
  std::unique_ptr<RocksStore> log_;
  std::unique_ptr<RocksScheduleStore> sched_;
  std::unique_ptr<RuleEngine> engine_;
  std::unique_ptr<TimerFirer> firer_;
};

// The sample campaign's rules (samples/campaigns/snap-recertification.yaml) under the
// test's own quiet hours and cap, so tests can switch those off.
inline std::string SnapCampaign(const std::string& policies =
                                    "quiet_hours: {start: \"21:00\", end: \"08:00\"}\n"
                                    "frequency_cap: {max: 3, per: 24h}\n") {
  return "campaign: snap\n"
         "locales: [en, es]\n"
         "timezone: America/New_York\n" +
         policies +
         "rules:\n"
         "  - id: status-update\n"
         "    on: case.status_changed\n"
         "    when: status in [\"approved\", \"denied\"]\n"
         "    send: status-update\n"
         "    channels: preferred\n"
         "  - id: documents-reminder\n"
         "    on: case.status_changed\n"
         "    when: status == \"documents_requested\"\n"
         "    after: 3d\n"
         "    every: 4d\n"
         "    times: 3\n"
         "    while: status == \"documents_requested\"\n"
         "    send: documents-reminder\n"
         "  - id: interview-reminder\n"
         "    on: [case.interview_scheduled, case.interview_rescheduled]\n"
         "    at: interview_at - 2d\n"
         "    while: interview_at > now\n"
         "    send: interview-reminder\n"
         "    channels: [sms, email]\n";
}

}  // namespace herald::testing
