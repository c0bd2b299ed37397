// RuleEngine: turns case events into planned sends.
//
// It reads the event log after its cursor (kept in the ScheduleStore), folds each event
// into its own view of the case (CaseView: the state and recipient as of that event, not
// as of whatever ingest has written since), and applies the campaigns' rules:
//
//  (a) every pending plan of the case re-checks its rule's `while` on the new state; not
//      true cancels it ("while became false after event <id> (<type>)");
//  (b) every rule whose `on` lists the event's type and whose `when` (absent: true) holds
//      (re)plans its one plan for (campaign, rule, case) — see PlanRule below;
//  (c) every other pending plan whose rule has an `at` is re-planned when the event
//      changed a field the `at` reads ("re-planned when it changes"), whatever the event
//      type; a rule that never started is not started that way.
//
// Planning a rule (b, c). The first send is due at `at` (evaluated with now = the engine
// clock), or at the event's occurred_at + `after` (occurred_at alone when neither: "sends
// at once"). Then:
// - `while` not true on the new state: nothing is planned (a "skipped" record);
// - `at` gives no time: a pending plan is cancelled, otherwise a "skipped" record;
// - a pending plan already due at the same time is kept as is (a repeated event changes
//   nothing, so nothing is sent twice);
// - a pending plan due at another time is moved ("replanned"). It keeps `sent`: `times`
//   counts every send of the series, so a repeating reminder re-planned after two sends
//   has times - 2 left, due from the new first due time as if the series had started
//   there (first + sent-in-series * every);
// - a plan that is done or cancelled starts a new series of `times` sends ("planned").
//   Plan::times and Plan::sent count over the plan's whole life, so occurrence numbers
//   (and outbox keys) never repeat: a new series is Plan::times = sent + rule.times. One
//   exception keeps repeated events harmless: a done plan whose last send was due exactly
//   where the new series would end is the same series, already sent; it stays done.
// The timer goes at PlanSendTime(max(due, now)) (quiet hours in the recipient's zone or
// the campaign's, the frequency cap against the recipient's sends): a late event's
// overdue send fires at once, after quiet hours. A move by the policies adds a
// "deferred" record.
//
// Durability: each chunk of events (at most kChunkEvents) is ONE ScheduleBatch holding
// the case views, plans, timers, records and the new cursor, so after a crash the engine
// resumes exactly after the last committed chunk: nothing processed twice, nothing lost.
//
// Thread safety: one RuleEngine per store, driven by one thread (the serve worker, or a
// test); its collaborators must outlive it. When `write_mu` is given, each chunk's
// read-modify-commit (and every read of the campaigns) runs under it, so that the other
// writers of plans (TimerFirer, ScheduleControl: API cancels and reloads) never commit a
// decision about the same plan from a stale read; see schedule_control.h. Exceptions
// never escape (they become Internal).
#pragma once

#include <cstddef>
#include <mutex>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/rules/campaign.h"
#include "engine/rules/schedule_txn.h"
#include "engine/schedule/local_time.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/event_log.h"

namespace herald {

class RuleEngine {
 public:
  // Events per ScheduleBatch.
  static constexpr size_t kChunkEvents = 256;

  // `campaigns` is copied (copies share the campaigns); the rest must outlive the engine.
  // `write_mu` (optional) is the schedule's serialisation point, held per chunk.
  RuleEngine(const CampaignSet& campaigns, EventLog& log, ScheduleStore& store, const Clock& clock,
             ZoneCache& zones, std::mutex* write_mu = nullptr);

  // Processes up to `max_events` events after the cursor, in log order, committing after
  // each chunk. Returns how many were processed (0 when the engine is caught up). On an
  // error, the chunks before it stay committed and the failed chunk is not applied: call
  // again to retry from there.
  Result<size_t> ProcessAvailable(size_t max_events);

  // Replaces the campaigns; later chunks use the new set. The caller holds `write_mu`
  // (or is the driving thread when there is none), so the swap falls between chunks.
  void SetCampaigns(const CampaignSet& campaigns) { campaigns_ = campaigns; }
  const CampaignSet& campaigns() const { return campaigns_; }

  // For a reload: re-plans the pending `plan` with its rule as now defined in the
  // campaigns, as if the event that last planned it (Plan::planned_seq, read back from
  // the log for `after:`'s occurred_at) were processed again on the case as the engine
  // sees it now: `while` not true cancels it, a new due time moves it ("replanned",
  // reason "rule changed by reload"), the same due time leaves it alone. `when` is not
  // re-checked: it decided whether to start, and the plan was started. Caller holds
  // `write_mu`. Does nothing when the rule is gone.
  Status ReplanForReload(ScheduleTxn& txn, const Plan& plan, Micros now);

  // For a reload that changed the campaign's timezone, quiet hours or frequency cap but
  // not the rule: the same due time, its fire time worked out again under the new
  // settings. A different fire time moves the timer ("replanned", reason "campaign send
  // settings changed by reload"; plus a "deferred" record when the new settings defer
  // it); *moved says whether it did. Caller holds `write_mu`.
  Status RescheduleForReload(ScheduleTxn& txn, const Plan& plan, Micros now, bool* moved);

 private:
  enum class Trigger { kOn, kFieldChange, kReload };

  Status ProcessEvent(ScheduleTxn& txn, const StoredEvent& stored, Micros now);
  Status PlanRule(ScheduleTxn& txn, const Campaign& campaign, const Rule& rule,
                  const CaseView& view, const rules::EvalContext& ctx, const StoredEvent& stored,
                  Trigger trigger, Micros now);

  CampaignSet campaigns_;  // guarded by *write_mu_ when there is one
  EventLog& log_;
  ScheduleStore& store_;
  const Clock& clock_;
  ZoneCache& zones_;
  std::mutex* const write_mu_;
};

// Cancels a pending plan: status kCancelled with `reason`, its timer removed, a
// "cancelled" record. Shared by the rule engine and the timer firer.
void CancelPlan(ScheduleTxn& txn, Plan plan, const std::string& reason, Micros now);

}  // namespace herald
