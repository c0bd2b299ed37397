#include "engine/cli/simulation.h"

#include "engine/track/tracking_token.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/core/time_format.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/timer_firer.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"

namespace herald::cli {
namespace {

constexpr size_t kAll = std::numeric_limits<size_t>::max();

// Output order within one instant.
enum Rank { kDeferred = 0, kCancelled = 1, kMessage = 2, kOther = 3 };

struct OutLine {
  Micros at = 0;
  std::string case_id, campaign, rule;
  int rank = kOther;
  size_t seq = 0;  // creation order, the last tie-break
  nlohmann::json json;
};

class Simulator {
 public:
  Simulator(const CampaignSet& campaigns, const SimulationOptions& options)
      : campaigns_(campaigns), options_(options) {}

  Status Open(Micros start) {
    clock_.Set(start);
    StoreOptions so;
    so.path = options_.work_dir + "/store";
    so.sync_writes = false;  // a scratch store: durability buys nothing here
    Result<std::unique_ptr<RocksStore>> log = RocksStore::Open(so, clock_);
    if (!log.ok()) return log.status();
    log_ = std::move(log).value();
    ScheduleStoreOptions sso;
    sso.path = options_.work_dir + "/schedule";
    sso.sync_writes = false;
    Result<std::unique_ptr<RocksScheduleStore>> sched = RocksScheduleStore::Open(sso, clock_);
    if (!sched.ok()) return sched.status();
    sched_ = std::move(sched).value();
    MessageStoreOptions mso;
    mso.path = options_.work_dir + "/messages";
    mso.sync_writes = false;
    // Message ids, and the links built from them, repeat run to run.
    mso.fixed_secret = "herald simulate: a fixed key";
    Result<std::unique_ptr<RocksMessageStore>> messages = RocksMessageStore::Open(mso);
    if (!messages.ok()) return messages.status();
    messages_ = std::move(messages).value();
    // Links are rewritten as under serve (so SMS segments count the same), with tokens
    // keyed by the fixed secret: the output repeats run to run.
    ComposerSettings settings = options_.composer;
    Result<TokenCodec> tokens = TokenCodec::Create(messages_->Secret());
    if (tokens.ok()) {
      tokens_ = std::make_unique<TokenCodec>(std::move(tokens).value());
      settings.tokens = tokens_.get();
    }
    composer_ = std::make_unique<TemplateComposer>(*sched_, *messages_, settings, campaigns_,
                                                   options_.templates, log_.get());
    engine_ = std::make_unique<RuleEngine>(campaigns_, *log_, *sched_, clock_, zones_);
    firer_ = std::make_unique<TimerFirer>(campaigns_, *sched_, clock_, zones_);
    return Status::Ok();
  }

  Status Post(const SimEvent& e, std::vector<std::string>* warnings) {
    // Strictly before: events posted at one instant are all processed before the timers
    // of that instant fire, as the live engine processes what the log holds, then fires.
    if (Status s = FireUntil(e.post_at - 1); !s.ok()) return s;
    if (e.post_at > clock_.NowMicros()) clock_.Set(e.post_at);
    Result<std::vector<AppendOutcome>> out = log_->Append("simulate", {e.event});
    if (!out.ok()) return out.status();
    if (out->at(0).kind == AppendOutcome::Kind::kConflict) {
      warnings->push_back((e.line > 0 ? "line " + std::to_string(e.line) + ": " : "") +
                          "event id '" + e.event.id +
                          "' was used before with different content; ignored (the API refuses it)");
    }
    cases_.insert(e.event.case_id);
    Result<size_t> n = engine_->ProcessAvailable(kAll);
    return n.ok() ? Status::Ok() : n.status();
  }

  // Fires every timer due at or before `limit`, in time order.
  Status FireUntil(Micros limit) {
    for (;;) {
      Result<std::optional<TimerEntry>> next = sched_->NextTimer();
      if (!next.ok()) return next.status();
      if (!*next || (*next)->fire_at > limit) return Status::Ok();
      if ((*next)->fire_at > clock_.NowMicros()) clock_.Set((*next)->fire_at);
      Result<size_t> n = firer_->FireDue(kAll);
      if (!n.ok()) return n.status();
      if (Status s = CollectMessages(); !s.ok()) return s;
    }
  }

  // The outbox intents written since the last call, as message lines, with the
  // addresses the recipient has now (the time of the send).
  Status CollectMessages() {
    for (;;) {
      Result<std::vector<OutboxIntent>> intents = sched_->OutboxAfter(outbox_seen_, 1024);
      if (!intents.ok()) return intents.status();
      if (intents->empty()) return Status::Ok();
      for (const OutboxIntent& i : *intents) {
        outbox_seen_ = i.queue_seq;
        nlohmann::json base = {{"at", FormatRfc3339(i.fired_at)},
                               {"campaign", i.plan.campaign},
                               {"rule", i.plan.rule},
                               {"case_id", i.plan.case_id},
                               {"recipient_id", i.recipient_id},
                               {"locale", i.locale},
                               {"subject", nullptr},
                               {"body", nullptr},
                               {"segments", nullptr}};
        Result<std::vector<Message>> made = composer_->Compose(i, i.fired_at);
        if (!made.ok()) return made.status();
        for (const Message& m : *made) {
          nlohmann::json j = base;
          j["channel"] =
              i.channels.empty() ? nlohmann::json(nullptr) : nlohmann::json(ChannelName(m.channel));
          j["to"] = m.to.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.to);
          j["locale"] = m.locale;
          if (m.status == MessageStatus::kQueued) {
            j["status"] = "sent";
            if (m.channel == Channel::kEmail) {
              j["subject"] = m.subject;
              j["body"] = m.text;
            } else {
              j["body"] = m.sms_text;
              j["segments"] = m.sms_segments;
            }
          } else {
            j["status"] = MessageStatusName(m.status);
            j["reason"] = m.reason;
          }
          Add(i.fired_at, i.plan, kMessage, std::move(j));
        }
      }
    }
  }

  // The records of every case as cancelled / deferred (and, with all_records, other)
  // lines.
  Status CollectRecords() {
    for (const std::string& case_id : cases_) {
      Result<std::vector<PlanRecord>> records = sched_->RecordsForCase(case_id);
      if (!records.ok()) return records.status();
      const std::vector<PlanRecord>& rs = *records;
      for (size_t i = 0; i < rs.size(); ++i) {
        const PlanRecord& r = rs[i];
        Result<std::optional<Plan>> plan = sched_->GetPlan(r.plan);
        if (!plan.ok()) return plan.status();
        nlohmann::json j = {{"campaign", r.plan.campaign},
                            {"rule", r.plan.rule},
                            {"case_id", r.plan.case_id},
                            {"recipient_id", *plan ? (**plan).recipient_id : std::string()},
                            {"status", r.what},
                            {"reason", r.reason}};
        if (r.what == "deferred") {
          const Micros shown = std::max(r.at, r.due);
          if (Superseded(rs, i, shown)) continue;
          j["at"] = FormatRfc3339(shown);
          j["due"] = FormatRfc3339(r.due);
          j["until"] = FormatRfc3339(r.fire_at);
          Add(shown, r.plan, kDeferred, std::move(j));
        } else if (r.what == "cancelled") {
          j["at"] = FormatRfc3339(r.at);
          j["due"] = FormatRfc3339(r.due);
          Add(r.at, r.plan, kCancelled, std::move(j));
        } else if (options_.all_records) {
          j["at"] = FormatRfc3339(r.at);
          if (r.what != "skipped") {
            j["due"] = FormatRfc3339(r.due);
            j["occurrence"] = r.occurrence;
          }
          Add(r.at, r.plan, kOther, std::move(j));
        }
      }
    }
    return Status::Ok();
  }

  // The lines up to `until`, in output order.
  std::vector<std::string> Lines(Micros until) {
    std::sort(out_.begin(), out_.end(), [](const OutLine& a, const OutLine& b) {
      return std::tie(a.at, a.case_id, a.campaign, a.rule, a.rank, a.seq) <
             std::tie(b.at, b.case_id, b.campaign, b.rule, b.rank, b.seq);
    });
    std::vector<std::string> lines;
    lines.reserve(out_.size());
    for (const OutLine& l : out_) {
      if (l.at > until) continue;  // a deferral shown at a due time beyond the end
      lines.push_back(l.json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    return lines;
  }

  Micros now() const { return clock_.NowMicros(); }

 private:
  // A deferral decided ahead of its due time is moot when the plan was re-planned,
  // cancelled or planned anew before the send would have gone.
  static bool Superseded(const std::vector<PlanRecord>& rs, size_t i, Micros shown) {
    for (size_t k = i + 1; k < rs.size(); ++k) {
      const PlanRecord& later = rs[k];
      if (!(later.plan == rs[i].plan) || later.at >= shown) continue;
      if (later.what == "replanned" || later.what == "cancelled" || later.what == "planned" ||
          later.what == "skipped") {
        return true;
      }
    }
    return false;
  }

  void Add(Micros at, const PlanKey& plan, Rank rank, nlohmann::json j) {
    out_.push_back(
        OutLine{at, plan.case_id, plan.campaign, plan.rule, rank, out_.size(), std::move(j)});
  }

  const CampaignSet& campaigns_;
  const SimulationOptions& options_;
  FakeClock clock_;
  ZoneCache zones_;
  std::unique_ptr<RocksStore> log_;
  std::unique_ptr<RocksScheduleStore> sched_;
  std::unique_ptr<RocksMessageStore> messages_;
  std::unique_ptr<TokenCodec> tokens_;
  std::unique_ptr<TemplateComposer> composer_;
  std::unique_ptr<RuleEngine> engine_;
  std::unique_ptr<TimerFirer> firer_;
  uint64_t outbox_seen_ = 0;
  std::set<std::string> cases_;
  std::vector<OutLine> out_;
};

}  // namespace

Result<SimulationOutput> RunSimulation(const CampaignSet& campaigns,
                                       const std::vector<SimEvent>& events,
                                       const SimulationOptions& options) {
  try {
    Simulator sim(campaigns, options);
    const Micros start = events.empty() ? options.until : events.front().post_at;
    if (Status s = sim.Open(start); !s.ok()) return s;
    SimulationOutput out;
    size_t after_until = 0;
    for (const SimEvent& e : events) {
      if (e.post_at > options.until) {
        ++after_until;
        continue;
      }
      if (Status s = sim.Post(e, &out.warnings); !s.ok()) return s;
    }
    if (after_until > 0) {
      out.warnings.push_back(std::to_string(after_until) +
                             " event(s) after --until were not simulated");
    }
    if (Status s = sim.FireUntil(options.until); !s.ok()) return s;
    if (Status s = sim.CollectMessages(); !s.ok()) return s;  // sends made at the last event
    if (Status s = sim.CollectRecords(); !s.ok()) return s;
    out.lines = sim.Lines(options.until);
    return out;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("simulate: ") + e.what());
  }
}

}  // namespace herald::cli
