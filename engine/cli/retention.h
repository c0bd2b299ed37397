// RetentionWorker: the background thread of `herald serve` that enforces
// `retention.pii` (docs/configuration.md): every `purge_every` it purges the personal data
// older than the window from the message store (addresses, renderings, addresses quoted by
// gateways), the track store (raw opens and clicks with their IPs and user agents,
// recipient ids and address hashes), leaving the report counters, and the event log (each
// old event's data and recipient fields; RocksStore::PurgePersonalData), leaving the live
// case state and the events pending reminders still read (EventLogRetention). The first
// purge runs at start, so a window shortened in the configuration applies at once.
//
// Tests call RunOnce with a FakeClock; the thread is the only part that waits for real
// time. Thread safety: Start/Stop from one thread; RunOnce not concurrently with the
// thread. Logs carry counts, never personal data.
#pragma once

#include <atomic>
#include <thread>

#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/status.h"
#include "engine/core/waker.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/track/track_store.h"

namespace herald::cli {

// The event log's part of retention. An event is redacted only once nothing will read it
// again, so redaction is bounded (consumed_through of RocksStore::PurgePersonalData) by:
//  - schedule->Cursor(): the rule engine keeps its cursor in the schedule store (in the
//    same write as the plans it derives); an event is never redacted before it is read;
//  - schedule->LowestNeededEventSeq(dispatch's outbox cursor) - 1: a pending reminder
//    (`after: 45d` under `pii: 30d`, `every:` with `times:`) reads the event that
//    planned it: dispatch renders `event.*` from it when it composes each occurrence,
//    and a campaign reload re-plans (and re-evaluates) the plan from it. So that event
//    keeps its data until the plan is done or cancelled and its intents are composed. Redaction is
//    a prefix of the log, so such an event holds back the ones after it too; they are redacted in
//    the first run after it settles.
// The cursor is read before the plans, so the bound can only be too low, never too high,
// whatever the workers commit meanwhile.
struct EventLogRetention {
  RocksStore* log = nullptr;          // null: the event log is not purged
  ScheduleStore* schedule = nullptr;  // null: no consumer outside the log (tests, tools)
};

class RetentionWorker {
 public:
  // The stores and the clock must outlive the worker.
  RetentionWorker(RetentionConfig config, RocksMessageStore& messages, TrackStore& track,
                  const Clock& clock, EventLogRetention log = {});
  ~RetentionWorker();
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

  // One purge at now - pii; nothing when pii is 0 (keep). Counts in *messages (messages
  // purged), *events (tracking events deleted) and *log_events (event log entries
  // redacted) when given. A failing store does not stop the others: each is tried, and
  // the first error is returned.
  Status RunOnce(size_t* messages = nullptr, size_t* events = nullptr,
                 size_t* log_events = nullptr);

  // Starts the thread when pii is set (a no-op otherwise).
  void Start();
  void Stop();  // joins; a purge in progress finishes first

 private:
  void Run();
  // The seq through which the event log may be redacted (see EventLogRetention);
  // log_.schedule is set.
  Result<uint64_t> NeededThrough();

  const RetentionConfig config_;
  RocksMessageStore& messages_;
  TrackStore& track_;
  const EventLogRetention log_;
  const Clock& clock_;
  Waker waker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace herald::cli
