#include "engine/cli/retention.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <limits>

namespace herald::cli {

RetentionWorker::RetentionWorker(RetentionConfig config, RocksMessageStore& messages,
                                 TrackStore& track, const Clock& clock, EventLogRetention log)
    : config_(config), messages_(messages), track_(track), log_(log), clock_(clock) {}

RetentionWorker::~RetentionWorker() {
  Stop();
}

Status RetentionWorker::RunOnce(size_t* messages, size_t* events, size_t* log_events) {
  if (config_.pii_us <= 0) return Status::Ok();
  const Micros cutoff = clock_.NowMicros() - config_.pii_us;
  // Each store on its own: one that fails (a full disk under data/messages) must not keep
  // personal data in the others past the window.
  Status first_error;
  auto keep_first = [&first_error](const Status& s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  size_t purged_messages = 0, deleted_events = 0, scrubbed = 0, redacted = 0;
  Result<size_t> purged = messages_.PurgePersonalData(cutoff);
  if (purged.ok()) {
    purged_messages = *purged;
  } else {
    keep_first(purged.status());
  }
  Result<PurgeStats> tracked = track_.Purge(cutoff);
  if (tracked.ok()) {
    deleted_events = tracked->events_deleted;
    scrubbed = tracked->messages_scrubbed;
  } else {
    keep_first(tracked.status());
  }
  if (log_.log != nullptr) {
    uint64_t consumed = std::numeric_limits<uint64_t>::max();
    Status bound;
    if (log_.schedule != nullptr) {
      Result<uint64_t> held = NeededThrough();
      if (held.ok()) {
        consumed = *held;
      } else {
        bound = held.status();
      }
    }
    if (bound.ok()) {
      Result<RocksStore::EventPurge> log = log_.log->PurgePersonalData(cutoff, consumed);
      if (log.ok()) {
        redacted = log->redacted;
      } else {
        keep_first(log.status());
      }
    } else {
      keep_first(bound);
    }
  }
  if (messages != nullptr) *messages = purged_messages;
  if (events != nullptr) *events = deleted_events;
  if (log_events != nullptr) *log_events = redacted;
  // Counts only: never an address, an id or case data.
  if (purged_messages > 0 || deleted_events > 0 || scrubbed > 0 || redacted > 0) {
    spdlog::info(
        "retention: purged personal data of {} message(s), {} tracking event(s), {} tracked "
        "message(s), {} logged event(s)",
        purged_messages, deleted_events, scrubbed, redacted);
  }
  return first_error;
}

Result<uint64_t> RetentionWorker::NeededThrough() {
  // The rule engine's cursor first: a plan it makes after this read has a planned_seq
  // above it. Dispatch's outbox cursor may be read at any time (every intent at or below
  // it is composed already); LowestNeededEventSeq then reads the pending plans before the
  // intents after it, so a timer that fires meanwhile is seen one way or the other.
  Result<uint64_t> cursor = log_.schedule->Cursor();
  if (!cursor.ok()) return cursor.status();
  Result<uint64_t> composed = messages_.OutboxCursor();
  if (!composed.ok()) return composed.status();
  Result<uint64_t> needed = log_.schedule->LowestNeededEventSeq(*composed);
  if (!needed.ok()) return needed.status();
  if (*needed == ScheduleStore::kNoEventNeeded || *needed > *cursor) return *cursor;
  // A count only, never an event's content.
  spdlog::debug("retention: {} logged event(s) read by the rule engine wait for pending reminders",
                *cursor - (*needed - 1));
  return *needed - 1;  // planned_seq >= 1 (0 names no event)
}

void RetentionWorker::Start() {
  if (config_.pii_us <= 0 || thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RetentionWorker::Stop() {
  stop_ = true;
  waker_.Notify();
  if (thread_.joinable()) thread_.join();
}

void RetentionWorker::Run() {
  while (!stop_) {
    if (Status s = RunOnce(); !s.ok()) {
      spdlog::error("retention: purge failed, retrying at the next interval: {}", s.ToString());
    }
    waker_.WaitUntil(clock_.NowMicros() + config_.purge_every_us, clock_);
  }
}

}  // namespace herald::cli
