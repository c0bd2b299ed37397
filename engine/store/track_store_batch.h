// RocksTrackStore::Batch: one write of the track store. Internal to engine/store.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <string>

#include "engine/store/track_codec.h"
#include "engine/store/track_store_rocks.h"

namespace herald {

// The hour a message's counters go to: the hour it was sent, or created while unsent.
inline Micros Cohort(const TrackedMessage& m) {
  return HourStart(m.sent_at != 0 ? m.sent_at : m.created_at);
}

// One write: the batch, the event numbers it used and its counter deltas, summed per row so
// each row gets one merge operand.
struct RocksTrackStore::Batch {
  rocksdb::WriteBatch wb;
  uint64_t seq = 0;
  std::map<std::string, std::map<uint32_t, int64_t>> counters;

  void Add(std::string key, uint32_t slot, int64_t delta) {
    counters[std::move(key)][slot] += delta;
  }
  // The message's rows: all, rule, locale and channel.
  void Count(const TrackedMessage& m, Micros hour, uint32_t slot, int64_t delta = 1) {
    Add(CounterKey(m.campaign, kDimAll, hour, ""), slot, delta);
    Add(CounterKey(m.campaign, kDimRule, hour, m.rule), slot, delta);
    Add(CounterKey(m.campaign, kDimLocale, hour, m.locale), slot, delta);
    Add(CounterKey(m.campaign, kDimChannel, hour, ChannelName(m.channel)), slot, delta);
  }
};

}  // namespace herald
