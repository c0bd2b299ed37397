#include "engine/cli/retention.h"

#include <spdlog/spdlog.h>

namespace herald::cli {

RetentionWorker::RetentionWorker(RetentionConfig config, RocksMessageStore& messages,
                                 TrackStore& track, const Clock& clock)
    : config_(config), messages_(messages), track_(track), clock_(clock) {}

RetentionWorker::~RetentionWorker() {
  Stop();
}

Status RetentionWorker::RunOnce(size_t* messages, size_t* events) {
  if (config_.pii_us <= 0) return Status::Ok();
  const Micros cutoff = clock_.NowMicros() - config_.pii_us;
  Result<size_t> purged = messages_.PurgePersonalData(cutoff);
  if (!purged.ok()) return purged.status();
  Result<PurgeStats> tracked = track_.Purge(cutoff);
  if (!tracked.ok()) return tracked.status();
  if (messages != nullptr) *messages = *purged;
  if (events != nullptr) *events = tracked->events_deleted;
  if (*purged > 0 || tracked->events_deleted > 0 || tracked->messages_scrubbed > 0) {
    spdlog::info(
        "retention: purged personal data of {} message(s), {} tracking event(s), {} tracked "
        "message(s)",
        *purged, tracked->events_deleted, tracked->messages_scrubbed);
  }
  return Status::Ok();
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
