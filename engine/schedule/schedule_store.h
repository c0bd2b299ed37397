// ScheduleStore: the durable state of planned sends (plans, timers, the outbox).
//
// The rule engine reads the event log through its cursor and turns events into plans;
// each plan's next send is a timer; a fired timer becomes an outbox intent. All of that
// lives here, in a store separate from the event log (its own RocksDB instance,
// RocksScheduleStore in engine/store), because the rule engine must advance its cursor in
// the same atomic write as the plans it made, and because a timer queue (time-ordered
// keys, constant deletes at the head) wants different tuning from an append-only log.
//
// Every mutation goes through Commit(ScheduleBatch): one atomic, synced write. Readers
// see either all of a batch or none of it. Thread safety: all methods may be called
// concurrently; Commit calls are serialised internally. "Not found" is an empty optional,
// never an error.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/core/status.h"

namespace herald {

// One plan per (campaign, rule, case).
struct PlanKey {
  std::string campaign;
  std::string rule;
  std::string case_id;

  bool operator==(const PlanKey&) const = default;
  bool operator<(const PlanKey& o) const {
    return std::tie(campaign, rule, case_id) < std::tie(o.campaign, o.rule, o.case_id);
  }
  // "campaign/rule/case_id", for logs and the schedule API.
  std::string ToString() const { return campaign + "/" + rule + "/" + case_id; }
};

enum class PlanStatus {
  kPending,    // a timer is set for the next occurrence
  kDone,       // every occurrence was handed to the outbox
  kCancelled,  // `while` turned false, the rule went away, or an operator cancelled it
};

struct Plan {
  PlanKey key;
  std::string recipient_id;  // whose case it is (the case's recipient when planned)
  std::string template_id;   // the rule's `send:`
  int times = 1;             // occurrences in all
  int sent = 0;              // occurrences already handed to the outbox
  Micros due = 0;            // nominal time of the next occurrence (after/at/every)
  Micros fire_at = 0;        // when its timer fires: due, or later when deferred
  std::string deferred_by;   // "", "quiet_hours" or "frequency_cap" when fire_at > due
  PlanStatus status = PlanStatus::kPending;
  std::string reason;        // why it is cancelled or done, for people
  uint64_t planned_seq = 0;  // the event that (re)planned it
  Micros updated_at = 0;

  bool operator==(const Plan&) const = default;
};

// The rule engine's own view of a case: the state after the last event it processed.
// Kept here (not read from the event log's case store) so that rules are always evaluated
// on the state as of the event being processed, however far ingest is ahead.
struct CaseView {
  std::string case_id;
  nlohmann::json state = nlohmann::json::object();
  std::optional<Recipient> recipient;
  uint64_t last_seq = 0;

  bool operator==(const CaseView&) const = default;
};

// A message that must be sent: the hand-off from the scheduler to dispatch. Its key is
// the idempotency key of the send, so writing the same occurrence twice is one intent.
struct OutboxIntent {
  std::string key;  // OutboxKey(plan, occurrence)
  PlanKey plan;
  int occurrence = 1;  // 1-based
  std::string recipient_id;
  std::string template_id;
  // The channels chosen when it fired (ChannelName: "email", "sms"), in sending order;
  // empty when the recipient has no usable channel (dispatch records it as suppressed).
  std::vector<std::string> channels;
  std::string locale;      // the campaign locale to render it in (ResolveLocale, rules/channels.h)
  Micros due = 0;          // nominal time
  Micros fired_at = 0;     // when the timer fired (clock time)
  uint64_t queue_seq = 0;  // assigned by Commit: dispatch order, dense from 1
  std::string status = "queued";  // dispatch moves it on (rendered, sent, delivered, ...)

  bool operator==(const OutboxIntent&) const = default;
};

std::string OutboxKey(const PlanKey& plan, int occurrence);

// Something that happened to a plan, kept for audits, the schedule API and `simulate`:
// planned, replanned, deferred, fired, cancelled, done.
struct PlanRecord {
  PlanKey plan;
  std::string what;    // "planned", "replanned", "deferred", "fired", "cancelled", "done"
  Micros at = 0;       // clock time it happened
  Micros due = 0;      // the occurrence's nominal time
  Micros fire_at = 0;  // for deferred: the new fire time
  int occurrence = 0;
  std::string reason;
};

struct TimerEntry {
  Micros fire_at = 0;
  PlanKey plan;
};

// One atomic write. Apply order inside it does not matter: keys never repeat in a batch
// except as documented per field.
struct ScheduleBatch {
  std::vector<Plan> put_plans;  // insert or replace by key
  std::vector<TimerEntry> add_timers;
  std::vector<TimerEntry> remove_timers;  // exact (fire_at, plan) pairs
  std::vector<OutboxIntent> put_outbox;  // new intents get queue_seq; an existing key is left as is
  std::vector<CaseView> put_cases;
  std::vector<PlanRecord> records;  // appended in order
  // Sends for frequency caps: (recipient, campaign, at).
  struct Send {
    std::string recipient_id;
    std::string campaign;
    Micros at = 0;
  };
  std::vector<Send> sends;
  // Forget sends of (recipient, campaign) made before `before`: a frequency cap only ever
  // looks back one window, so older sends are dead weight.
  struct PruneSends {
    std::string recipient_id;
    std::string campaign;
    Micros before = 0;
  };
  std::vector<PruneSends> prune_sends;
  std::optional<uint64_t> cursor;  // the rule engine's new log position

  bool empty() const {
    return put_plans.empty() && add_timers.empty() && remove_timers.empty() && put_outbox.empty() &&
           put_cases.empty() && records.empty() && sends.empty() && prune_sends.empty() && !cursor;
  }
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  // The last log seq the rule engine finished (0 at first).
  virtual Result<uint64_t> Cursor() = 0;

  virtual Result<std::optional<CaseView>> GetCase(std::string_view case_id) = 0;
  virtual Result<std::optional<Plan>> GetPlan(const PlanKey& key) = 0;
  // Several plans at once, in the order asked (empty optional where absent). The default
  // asks GetPlan for each; stores override it with one batched read.
  virtual Result<std::vector<std::optional<Plan>>> GetPlans(const std::vector<PlanKey>& keys) {
    std::vector<std::optional<Plan>> out;
    out.reserve(keys.size());
    for (const PlanKey& key : keys) {
      Result<std::optional<Plan>> plan = GetPlan(key);
      if (!plan.ok()) return plan.status();
      out.push_back(std::move(plan).value());
    }
    return out;
  }
  // Every plan of a case (any status), ordered by key.
  virtual Result<std::vector<Plan>> PlansForCase(std::string_view case_id) = 0;

  // Up to `limit` timers with fire_at <= now, earliest first (ties by plan key).
  virtual Result<std::vector<TimerEntry>> DueTimers(Micros now, size_t limit) = 0;
  // The earliest timer, if any (for sleeping until it).
  virtual Result<std::optional<TimerEntry>> NextTimer() = 0;
  virtual Result<size_t> PendingTimerCount() = 0;

  // Send times of `recipient_id` in `campaign` at or after `since`, ascending.
  virtual Result<std::vector<Micros>> SendTimes(std::string_view recipient_id,
                                                std::string_view campaign, Micros since) = 0;

  virtual Result<std::optional<OutboxIntent>> GetIntent(std::string_view key) = 0;
  // Intents with queue_seq > after, in queue order, up to `limit`.
  virtual Result<std::vector<OutboxIntent>> OutboxAfter(uint64_t after, size_t limit) = 0;

  // Records of a case's plans, oldest first.
  virtual Result<std::vector<PlanRecord>> RecordsForCase(std::string_view case_id) = 0;

  // What LowestNeededEventSeq returns when no event is needed.
  static constexpr uint64_t kNoEventNeeded = std::numeric_limits<uint64_t>::max();

  // The lowest log seq some send still reads back, for the event log's retention (an
  // event redacted before then would make a reminder go out without its `event.*`
  // fields, or evaluate differently): the smallest planned_seq of (a) every pending plan
  // (its next occurrence is composed from that event; a reload re-plans it from it) and
  // (b) the plan of every intent with queue_seq > outbox_after, which dispatch has not
  // composed yet (the composer reads the plan's planned_seq when it renders).
  // `outbox_after` is dispatch's outbox cursor (MessageStore::OutboxCursor); a lower
  // value only keeps more. Done and cancelled plans need nothing once their intents are
  // composed. kNoEventNeeded when nothing is needed.
  //
  // (a) is read before (b), so a timer that fires in between is seen either as pending
  // or as an intent. It does not cover events the rule engine has not read yet: bound
  // retention by Cursor() as well, read before this call.
  //
  // The default reads every timer through DueTimers and the plans through GetPlans;
  // stores override (a) with a scan that does not hold every timer in memory.
  virtual Result<uint64_t> LowestNeededEventSeq(uint64_t outbox_after) {
    Result<std::vector<TimerEntry>> timers =
        DueTimers(std::numeric_limits<Micros>::max(), std::numeric_limits<size_t>::max());
    if (!timers.ok()) return timers.status();
    std::vector<PlanKey> keys;
    keys.reserve(timers->size());
    for (TimerEntry& t : *timers) keys.push_back(std::move(t.plan));
    Result<uint64_t> pending = LowestPlannedSeq(keys, /*pending_only=*/true);
    if (!pending.ok()) return pending;
    Result<uint64_t> queued = LowestPlannedSeqOfOutbox(outbox_after);
    if (!queued.ok()) return queued;
    return std::min(*pending, *queued);
  }

  // Applies `batch` atomically and durably (synced when the store was opened so).
  // Unavailable when storage cannot take writes; then nothing was applied.
  virtual Status Commit(const ScheduleBatch& batch) = 0;

 protected:
  // The smallest planned_seq of the plans `keys` name (only the pending ones when
  // pending_only); kNoEventNeeded when there is none. Absent plans are skipped, and so is
  // planned_seq 0 (planned by no event: nothing to read back).
  Result<uint64_t> LowestPlannedSeq(const std::vector<PlanKey>& keys, bool pending_only) {
    Result<std::vector<std::optional<Plan>>> plans = GetPlans(keys);
    if (!plans.ok()) return plans.status();
    uint64_t lowest = kNoEventNeeded;
    for (const std::optional<Plan>& p : *plans) {
      if (!p || p->planned_seq == 0 || (pending_only && p->status != PlanStatus::kPending)) {
        continue;
      }
      lowest = std::min(lowest, p->planned_seq);
    }
    return lowest;
  }
  // Part (b) of LowestNeededEventSeq: the plans of the intents after `outbox_after`, a
  // page at a time (dispatch is normally right behind the firer, so there are few).
  Result<uint64_t> LowestPlannedSeqOfOutbox(uint64_t outbox_after) {
    constexpr size_t kPage = 1000;
    uint64_t lowest = kNoEventNeeded;
    for (uint64_t after = outbox_after;;) {
      Result<std::vector<OutboxIntent>> intents = OutboxAfter(after, kPage);
      if (!intents.ok()) return intents.status();
      if (intents->empty()) break;
      std::vector<PlanKey> keys;
      keys.reserve(intents->size());
      for (const OutboxIntent& i : *intents) keys.push_back(i.plan);
      // Any status: the plan may be done (its last occurrence) or already re-planned.
      Result<uint64_t> page = LowestPlannedSeq(keys, /*pending_only=*/false);
      if (!page.ok()) return page;
      lowest = std::min(lowest, *page);
      after = intents->back().queue_seq;
      if (intents->size() < kPage) break;
    }
    return lowest;
  }
};

}  // namespace herald
