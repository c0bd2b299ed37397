// ScheduleControl: the operator's changes to a running schedule (cancel one plan, reload
// the campaigns), serialised with the rule engine and the timer firer.
//
// Why one mutex. Three writers decide about the same plans: the RuleEngine (events), the
// TimerFirer (due timers), both on the worker thread, and the HTTP API (a cancel, a
// reload) on a server thread. Each decision is read-modify-commit through a ScheduleTxn;
// two of them interleaved lose one (a cancel committed between the firer's read and its
// commit would be overwritten by the firer's "fired + planned next", resurrecting the
// plan). ScheduleStore::Commit is atomic but has no compare-and-set, and adding one (a
// version per plan, retries) would touch every writer for a rare operator action. So
// every writer holds one std::mutex (owned by whoever wires them: `herald serve`, a test)
// around each chunk's read-modify-commit. The worker holds it per chunk (<= 256 events
// or timers), so an API call waits for one batch at most; a reload holds it for the
// whole swap and sweep, so the worker sees either the old set with the old plans or the
// new set with the swept plans, never a mix. Reads for the API (GET schedule) need no
// lock: each Commit is atomic for readers.
//
// Thread safety: every method may be called from any thread; all take the mutex.
// Exceptions never escape (they become Internal).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/rules/campaign.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/timer_firer.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

// What a reload did to the pending plans.
struct ReloadSweep {
  size_t cancelled = 0;  // rule removed (or, re-planned, its `while` no longer true)
  size_t replanned = 0;  // rule or campaign send settings changed and the fire time moved
};

class ScheduleControl {
 public:
  // Plans handled per ScheduleBatch during a reload sweep.
  static constexpr size_t kChunkPlans = 256;

  // `engine` and `firer` must have been built with the same `write_mu`; everything
  // must outlive this object.
  ScheduleControl(RuleEngine& engine, TimerFirer& firer, ScheduleStore& store, const Clock& clock,
                  std::mutex& write_mu);

  // Cancels the pending plan `key`: status cancelled with `reason`, its timer removed, a
  // "cancelled" record. Returns the plan as committed. NotFound when there is no such
  // plan; Conflict when it is not pending (done, or already cancelled: a second cancel
  // changes nothing).
  Result<Plan> Cancel(const PlanKey& key, const std::string& reason);

  // Swaps in `campaigns` (already validated: LoadCampaigns without errors) for the rule
  // engine and the timer firer, then sweeps every pending plan (found through its timer):
  // - its campaign or rule is gone: cancelled, reason "rule removed by reload";
  // - its rule is the same but the campaign's timezone, quiet hours or frequency cap
  //   changed: the same due time gets its fire time again under the new settings
  //   (RuleEngine::RescheduleForReload);
  // - its rule's definition changed (on, when, while, at, after, every, times, send,
  //   channels): RuleEngine::ReplanForReload.
  // Campaign-level policy changes (time zone, quiet hours, frequency cap) re-apply at the
  // next fire (TimerFirer re-checks them) and are not swept. A change of `times` on a
  // plan in mid-series counts from the plan's next series. The sweep is committed in
  // chunks of kChunkPlans under the mutex; if a commit fails the new set stays in place
  // and the error is returned: plans of removed rules not yet swept are still cancelled
  // lazily by the engine and the firer ("the rule is no longer in the campaigns").
  // Memory: the sweep lists every pending timer at once (a paged plan scan on
  // ScheduleStore is the follow-up for very large schedules).
  Result<ReloadSweep> Reload(const CampaignSet& campaigns);

 private:
  RuleEngine& engine_;
  TimerFirer& firer_;
  ScheduleStore& store_;
  const Clock& clock_;
  std::mutex& write_mu_;
};

// True when the two rules plan the same way (everything but `line`).
bool SameRuleDefinition(const Rule& a, const Rule& b);

}  // namespace herald
