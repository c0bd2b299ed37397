#include "engine/rules/schedule_control.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "engine/rules/case_fold.h"
#include "engine/rules/schedule_txn.h"

namespace herald {
namespace {

std::string ExprText(const std::optional<rules::Expression>& e) {
  // "\x01" never appears in YAML text: it keeps "absent" apart from an empty text.
  return e ? e->text() : std::string("\x01");
}

}  // namespace

bool SameRuleDefinition(const Rule& a, const Rule& b) {
  return a.id == b.id && a.on == b.on && ExprText(a.when) == ExprText(b.when) &&
         ExprText(a.while_cond) == ExprText(b.while_cond) && ExprText(a.at) == ExprText(b.at) &&
         a.after == b.after && a.every == b.every && a.times == b.times && a.send == b.send &&
         a.channels == b.channels;
}

// Whether two versions of a campaign decide send times alike (the rules aside).
bool SameSendPolicy(const Campaign& a, const Campaign& b) {
  auto same_quiet = [](const std::optional<QuietHours>& x, const std::optional<QuietHours>& y) {
    return x.has_value() == y.has_value() &&
           (!x || (x->start_minute == y->start_minute && x->end_minute == y->end_minute));
  };
  auto same_cap = [](const std::optional<FrequencyCap>& x, const std::optional<FrequencyCap>& y) {
    return x.has_value() == y.has_value() && (!x || (x->max == y->max && x->per == y->per));
  };
  return a.timezone == b.timezone && same_quiet(a.quiet_hours, b.quiet_hours) &&
         same_cap(a.frequency_cap, b.frequency_cap);
}

ScheduleControl::ScheduleControl(RuleEngine& engine, TimerFirer& firer, ScheduleStore& store,
                                 const Clock& clock, std::mutex& write_mu)
    : engine_(engine), firer_(firer), store_(store), clock_(clock), write_mu_(write_mu) {}

Result<Plan> ScheduleControl::Cancel(const PlanKey& key, const std::string& reason) {
  try {
    std::lock_guard<std::mutex> lock(write_mu_);
    ScheduleTxn txn(store_);
    Result<std::optional<Plan>> loaded = txn.GetPlan(key);
    if (!loaded.ok()) return loaded.status();
    if (!*loaded) return Status::NotFound("no plan " + key.ToString());
    if ((*loaded)->status != PlanStatus::kPending) {
      return Status::Conflict("plan " + key.ToString() + " is not pending");
    }
    CancelPlan(txn, **loaded, reason, clock_.NowMicros());
    Result<std::optional<Plan>> updated = txn.GetPlan(key);
    if (!updated.ok()) return updated.status();
    if (Status s = txn.Commit(); !s.ok()) return s;
    return std::move(**updated);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("schedule cancel: ") + e.what());
  }
}

Result<ReloadSweep> ScheduleControl::Reload(const CampaignSet& campaigns) {
  try {
    std::lock_guard<std::mutex> lock(write_mu_);
    const CampaignSet old = engine_.campaigns();
    engine_.SetCampaigns(campaigns);
    firer_.SetCampaigns(campaigns);

    // Every pending plan has exactly one timer, at its fire_at; stale timers (plan moved
    // on) are skipped here and dropped by the firer when due.
    Result<std::vector<TimerEntry>> timers =
        store_.DueTimers(std::numeric_limits<Micros>::max(), std::numeric_limits<size_t>::max());
    if (!timers.ok()) return timers.status();
    ReloadSweep sweep;
    const Micros now = clock_.NowMicros();
    for (size_t begin = 0; begin < timers->size(); begin += kChunkPlans) {
      ScheduleTxn txn(store_);
      const size_t end = std::min(timers->size(), begin + kChunkPlans);
      for (size_t i = begin; i < end; ++i) {
        const TimerEntry& t = (*timers)[i];
        Result<std::optional<Plan>> loaded = txn.GetPlan(t.plan);
        if (!loaded.ok()) return loaded.status();
        if (!*loaded || (*loaded)->status != PlanStatus::kPending ||
            (*loaded)->fire_at != t.fire_at) {
          continue;
        }
        const Plan& plan = **loaded;
        const Campaign* c = campaigns.Find(plan.key.campaign);
        const Rule* rule = c != nullptr ? FindRule(*c, plan.key.rule) : nullptr;
        if (rule == nullptr) {
          CancelPlan(txn, plan, "rule removed by reload", now);
          ++sweep.cancelled;
          continue;
        }
        const Campaign* oc = old.Find(plan.key.campaign);
        const Rule* old_rule = oc != nullptr ? FindRule(*oc, plan.key.rule) : nullptr;
        if (old_rule != nullptr && SameRuleDefinition(*old_rule, *rule)) {
          if (SameSendPolicy(*oc, *c)) continue;
          bool moved = false;
          if (Status s = engine_.RescheduleForReload(txn, plan, now, &moved); !s.ok()) return s;
          if (moved) ++sweep.replanned;
          continue;
        }
        const Plan before = plan;
        if (Status s = engine_.ReplanForReload(txn, before, now); !s.ok()) return s;
        Result<std::optional<Plan>> after = txn.GetPlan(before.key);
        if (!after.ok()) return after.status();
        if (!*after) continue;
        if ((*after)->status == PlanStatus::kCancelled) {
          ++sweep.cancelled;
        } else if ((*after)->due != before.due || (*after)->fire_at != before.fire_at) {
          ++sweep.replanned;
        }
      }
      if (Status s = txn.Commit(); !s.ok()) return s;
    }
    return sweep;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("schedule reload: ") + e.what());
  }
}

}  // namespace herald
