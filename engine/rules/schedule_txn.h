// ScheduleTxn: one ScheduleBatch under construction, with read-your-writes.
//
// The rule engine and the timer firer each turn a chunk of work (events, due timers) into
// ONE atomic ScheduleBatch. Within the chunk a later step must see what an earlier step
// decided (the second event of a case sees the plan the first one made; the second timer
// of a recipient counts the send the first one made against the frequency cap), but
// nothing may reach the store before the whole chunk commits. A ScheduleTxn reads through
// to the store and overlays its own pending changes; Commit() writes them as one batch.
//
// It also nets out timers: a timer added and removed within the transaction is never
// written, and removing then re-adding a stored timer writes nothing, so a batch never
// names the same timer twice.
//
// Not thread-safe; one transaction per chunk, used by one thread, then dropped. After a
// failed read or Commit the transaction must be dropped (nothing of it was written).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/core/result.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

class ScheduleTxn {
 public:
  explicit ScheduleTxn(ScheduleStore& store) : store_(store) {}

  // Reads, as of this transaction.
  Result<std::optional<CaseView>> GetCase(const std::string& case_id);
  Result<std::optional<Plan>> GetPlan(const PlanKey& key);
  // Every plan of the case (any status), ordered by key.
  Result<std::vector<Plan>> PlansForCase(const std::string& case_id);
  // Send times of the recipient in the campaign at or after `since`, ascending,
  // including the sends of this transaction.
  Result<std::vector<Micros>> SendTimes(const std::string& recipient_id,
                                        const std::string& campaign, Micros since);

  // Writes.
  void PutCase(CaseView view);
  void PutPlan(Plan plan);
  void AddTimer(Micros fire_at, const PlanKey& plan);
  void RemoveTimer(Micros fire_at, const PlanKey& plan);
  void AddSend(const std::string& recipient_id, const std::string& campaign, Micros at);
  // Drops stored sends of (recipient, campaign) before `before` at commit.
  void PruneSends(const std::string& recipient_id, const std::string& campaign, Micros before);
  void AddIntent(OutboxIntent intent);
  void AddRecord(PlanRecord record);
  void SetCursor(uint64_t cursor) { cursor_ = cursor; }

  // What is queued so far (for callers that report on it, such as tests).
  const std::vector<PlanRecord>& records() const { return records_; }
  const std::vector<OutboxIntent>& intents() const { return intents_; }

  // The batch, with timers netted out. Empty when nothing changed.
  ScheduleBatch Build() const;

  // Builds and commits the batch; OK without writing when it is empty.
  Status Commit();

 private:
  using TimerKey = std::tuple<Micros, std::string, std::string, std::string>;
  static TimerKey ToTimerKey(Micros fire_at, const PlanKey& plan) {
    return {fire_at, plan.campaign, plan.rule, plan.case_id};
  }

  ScheduleStore& store_;
  std::map<std::string, std::optional<CaseView>, std::less<>> cases_;  // read or written
  std::set<std::string, std::less<>> dirty_cases_;
  std::map<PlanKey, std::optional<Plan>> plans_;  // read or written; nullopt: not stored
  std::set<PlanKey> dirty_plans_;
  std::set<std::string, std::less<>> cases_with_all_plans_;  // PlansForCase loaded them
  std::set<TimerKey> added_timers_, removed_timers_;
  std::vector<ScheduleBatch::Send> sends_;
  std::vector<ScheduleBatch::PruneSends> prune_sends_;
  std::vector<OutboxIntent> intents_;
  std::vector<PlanRecord> records_;
  std::optional<uint64_t> cursor_;
};

}  // namespace herald
