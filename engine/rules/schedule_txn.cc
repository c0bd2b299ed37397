#include "engine/rules/schedule_txn.h"

#include <algorithm>

namespace herald {

Result<std::optional<CaseView>> ScheduleTxn::GetCase(const std::string& case_id) {
  if (auto it = cases_.find(case_id); it != cases_.end()) return it->second;
  Result<std::optional<CaseView>> stored = store_.GetCase(case_id);
  if (!stored.ok()) return stored.status();
  cases_.emplace(case_id, *stored);
  return stored;
}

Result<std::optional<Plan>> ScheduleTxn::GetPlan(const PlanKey& key) {
  if (auto it = plans_.find(key); it != plans_.end()) return it->second;
  if (cases_with_all_plans_.count(key.case_id) > 0) return std::optional<Plan>();
  Result<std::optional<Plan>> stored = store_.GetPlan(key);
  if (!stored.ok()) return stored.status();
  plans_.emplace(key, *stored);
  return stored;
}

Result<std::vector<Plan>> ScheduleTxn::PlansForCase(const std::string& case_id) {
  if (cases_with_all_plans_.count(case_id) == 0) {
    Result<std::vector<Plan>> stored = store_.PlansForCase(case_id);
    if (!stored.ok()) return stored.status();
    // What this transaction already read or wrote wins over the store.
    for (Plan& p : *stored) plans_.emplace(p.key, std::move(p));
    cases_with_all_plans_.insert(case_id);
  }
  std::vector<Plan> out;
  for (const auto& [key, plan] : plans_) {
    if (key.case_id == case_id && plan) out.push_back(*plan);
  }
  return out;  // plans_ is ordered by key, so out is too
}

Result<std::vector<Micros>> ScheduleTxn::SendTimes(const std::string& recipient_id,
                                                   const std::string& campaign, Micros since) {
  Result<std::vector<Micros>> stored = store_.SendTimes(recipient_id, campaign, since);
  if (!stored.ok()) return stored.status();
  std::vector<Micros> out = std::move(stored).value();
  bool added = false;
  for (const ScheduleBatch::Send& s : sends_) {
    if (s.recipient_id == recipient_id && s.campaign == campaign && s.at >= since) {
      out.push_back(s.at);
      added = true;
    }
  }
  if (added) std::sort(out.begin(), out.end());
  return out;
}

void ScheduleTxn::PutCase(CaseView view) {
  dirty_cases_.insert(view.case_id);
  std::string id = view.case_id;
  cases_[id] = std::move(view);
}

void ScheduleTxn::PutPlan(Plan plan) {
  dirty_plans_.insert(plan.key);
  PlanKey key = plan.key;
  plans_[key] = std::move(plan);
}

void ScheduleTxn::AddTimer(Micros fire_at, const PlanKey& plan) {
  const TimerKey k = ToTimerKey(fire_at, plan);
  if (removed_timers_.erase(k) == 0) added_timers_.insert(k);
}

void ScheduleTxn::RemoveTimer(Micros fire_at, const PlanKey& plan) {
  const TimerKey k = ToTimerKey(fire_at, plan);
  if (added_timers_.erase(k) == 0) removed_timers_.insert(k);
}

void ScheduleTxn::PruneSends(const std::string& recipient_id, const std::string& campaign,
                             Micros before) {
  prune_sends_.push_back({recipient_id, campaign, before});
}

void ScheduleTxn::AddSend(const std::string& recipient_id, const std::string& campaign, Micros at) {
  sends_.push_back({recipient_id, campaign, at});
}

void ScheduleTxn::AddIntent(OutboxIntent intent) {
  intents_.push_back(std::move(intent));
}

void ScheduleTxn::AddRecord(PlanRecord record) {
  records_.push_back(std::move(record));
}

ScheduleBatch ScheduleTxn::Build() const {
  ScheduleBatch batch;
  for (const std::string& id : dirty_cases_) {
    const auto it = cases_.find(id);
    if (it != cases_.end() && it->second) batch.put_cases.push_back(*it->second);
  }
  for (const PlanKey& key : dirty_plans_) {
    const auto it = plans_.find(key);
    if (it != plans_.end() && it->second) batch.put_plans.push_back(*it->second);
  }
  auto to_entry = [](const TimerKey& k) {
    return TimerEntry{std::get<0>(k), PlanKey{std::get<1>(k), std::get<2>(k), std::get<3>(k)}};
  };
  for (const TimerKey& k : added_timers_) batch.add_timers.push_back(to_entry(k));
  for (const TimerKey& k : removed_timers_) batch.remove_timers.push_back(to_entry(k));
  batch.put_outbox = intents_;
  batch.records = records_;
  batch.sends = sends_;
  batch.prune_sends = prune_sends_;
  batch.cursor = cursor_;
  return batch;
}

Status ScheduleTxn::Commit() {
  const ScheduleBatch batch = Build();
  if (batch.empty()) return Status::Ok();
  return store_.Commit(batch);
}

}  // namespace herald
