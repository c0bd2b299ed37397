// TimerFirer: turns due timers into outbox intents.
//
// It lives in engine/rules, not engine/schedule, because firing needs the campaign's
// rules (`while` is re-checked at send time, `every` gives the next send, `channels` the
// channel choice) and engine/rules already builds on engine/schedule, not the other way.
//
// For each due timer (fire_at <= clock now), earliest first:
// - the plan is no longer pending, or its timer moved: the stale timer is removed;
// - the rule is gone from the campaigns, or its `while` is not true now (evaluated with
//   now = the clock, the case state and recipient as the rule engine last saw them, and
//   no event): the plan is cancelled with the reason ("while became false at send time");
// - quiet hours or the frequency cap forbid sending now (re-applied at fire time, as
//   sends of other plans may have happened since it was planned): the timer moves to the
//   earliest allowed instant and a "deferred" record says why; nothing is sent;
// - otherwise it fires: an OutboxIntent keyed OutboxKey(plan, sent + 1) with the chosen
//   channels (SelectChannels, possibly none: dispatch records a suppressed send) and
//   locale (ResolveLocale), a send for the frequency cap (campaigns with a cap only,
//   pruning that recipient's sends older than the cap's window), a "fired" record; then the next
//   send of the series is planned (due + every; when the engine fell so far behind that
//   this is not after now, now + every, so an outage never produces a burst of reminders),
//   or the plan is done ("done" record).
// Everything for a chunk of timers is ONE ScheduleBatch, the timer's removal included,
// so a crash never sends twice or drops a send: either the batch (with the intent) is
// there, or the timer still is and fires again. And an intent's key is the idempotency
// key of the occurrence: writing it again leaves one intent. Overdue timers after a
// restart simply fire at the next FireDue, once.
//
// Thread safety: one TimerFirer per store, driven by one thread (the same as the
// RuleEngine's: the two must not commit concurrently decisions about the same plan).
// When `write_mu` is given, each chunk's read-modify-commit (and every read of the
// campaigns) runs under it, shared with the RuleEngine and ScheduleControl (API cancels,
// reloads); see schedule_control.h. Exceptions never escape (they become Internal).
#pragma once

#include <cstddef>
#include <mutex>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/rules/campaign.h"
#include "engine/rules/schedule_txn.h"
#include "engine/schedule/local_time.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

class TimerFirer {
 public:
  static constexpr size_t kChunkTimers = 256;  // timers per ScheduleBatch

  // `campaigns` is copied (copies share the campaigns); the rest must outlive the firer.
  // `write_mu` (optional) is the schedule's serialisation point, held per chunk.
  TimerFirer(const CampaignSet& campaigns, ScheduleStore& store, const Clock& clock,
             ZoneCache& zones, std::mutex* write_mu = nullptr);

  // Handles up to `max` due timers, committing after each chunk; returns how many were
  // handled (fired, deferred, cancelled or stale). 0 when nothing is due.
  Result<size_t> FireDue(size_t max);

  // Replaces the campaigns; the caller holds `write_mu` (or is the driving thread), so
  // the swap falls between chunks.
  void SetCampaigns(const CampaignSet& campaigns) { campaigns_ = campaigns; }

 private:
  Status FireOne(ScheduleTxn& txn, const TimerEntry& timer, Micros now);

  CampaignSet campaigns_;  // guarded by *write_mu_ when there is one
  ScheduleStore& store_;
  const Clock& clock_;
  ZoneCache& zones_;
  std::mutex* const write_mu_;
};

}  // namespace herald
