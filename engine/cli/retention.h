// RetentionWorker: the background thread of `herald serve` that enforces
// `retention.pii` (docs/configuration.md): every `purge_every` it purges the personal data
// older than the window from the message store (addresses, renderings, addresses quoted by
// gateways) and the track store (raw opens and clicks with their IPs and user agents,
// recipient ids and address hashes), leaving the report counters. The first purge runs at
// start, so a window shortened in the configuration applies at once.
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
#include "engine/store/message_store_rocks.h"
#include "engine/track/track_store.h"

namespace herald::cli {

class RetentionWorker {
 public:
  // The stores and the clock must outlive the worker.
  RetentionWorker(RetentionConfig config, RocksMessageStore& messages, TrackStore& track,
                  const Clock& clock);
  ~RetentionWorker();
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

  // One purge at now - pii; nothing when pii is 0 (keep). Counts in *messages and
  // *events when given.
  Status RunOnce(size_t* messages = nullptr, size_t* events = nullptr);

  // Starts the thread when pii is set (a no-op otherwise).
  void Start();
  void Stop();  // joins; a purge in progress finishes first

 private:
  void Run();

  const RetentionConfig config_;
  RocksMessageStore& messages_;
  TrackStore& track_;
  const Clock& clock_;
  Waker waker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace herald::cli
