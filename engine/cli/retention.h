// RetentionWorker: the background thread of `herald serve` that enforces
// `retention.pii` (docs/configuration.md): every `purge_every` it purges the personal data
// older than the window from the message store (addresses, renderings, addresses quoted by
// gateways), the track store (raw opens and clicks with their IPs and user agents,
// recipient ids and address hashes), leaving the report counters, and the event log (each
// old event's data and recipient fields; RocksStore::PurgePersonalData), leaving the live
// case state. The first purge runs at start, so a window shortened in the configuration
// applies at once.
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

// The event log's part of retention. The rule engine keeps its cursor in the log in the
// schedule store (in the same write as the plans it derives), so redaction is bounded by
// schedule->Cursor(): an event is never redacted before the rule engine has read it.
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
