// Keys, values and the counter merge operator of RocksTrackStore (see track_store_rocks.h
// for the families). Internal to engine/store. Values start with a version byte (1) then
// JSON; Decode* return Corruption for anything they cannot read and never throw.
#pragma once

#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/track/track_store.h"

namespace herald {

inline constexpr Micros kMicrosPerTrackHour = 3'600'000'000;

// The start of the UTC hour holding `t`.
Micros HourStart(Micros t);

// `events`: id BE(at) BE(seq); `event_times`: BE(at) BE(seq) -> id.
std::string EventKey(std::string_view id, Micros at, uint64_t seq);
std::string EventTimeKey(Micros at, uint64_t seq);
// Parses an `events` key of message `id` (whose prefix is the id).
bool ParseEventKey(std::string_view key, size_t id_size, Micros* at, uint64_t* seq);
bool ParseEventTimeKey(std::string_view key, Micros* at, uint64_t* seq);

// `message_times`: BE(created_at) id -> "" (the messages Purge has not scrubbed yet).
std::string MessageTimeKey(Micros created_at, std::string_view id);

// `marks`: id type [extra] -> value. Types:
enum MarkType : char {
  kMarkOpened = 'o',         // value: BE(at) BE(seq) of the event that made it unique
  kMarkClicked = 'c',        // same
  kMarkMachineOpened = 'm',  // same
  kMarkUnsubscribed = 'u',
  kMarkSmsStop = 'x',
  kMarkSmsStart = 'y',
  kMarkStatus = 's',  // extra: the status name; value empty
};
std::string MarkKey(std::string_view id, MarkType type, std::string_view extra = {});
std::string MarkValue(Micros at, uint64_t seq);
bool ParseMarkValue(std::string_view v, Micros* at, uint64_t* seq);

// `counters`: KS(campaign) dim BE(hour start) KS(value) [KS(value2)] -> EncodeCounters.
enum CounterDim : char {
  kDimAll = 'A',  // value ""
  kDimRule = 'R',
  kDimLocale = 'L',
  kDimChannel = 'C',
  kDimLink = 'K',    // value LinkKey(url); slots kClicksHuman, kClicksMachine
  kDimReason = 'X',  // value status name, value2 ReasonKey; slot 0
};
std::string CounterKey(std::string_view campaign, CounterDim dim, Micros hour_start,
                       std::string_view value, std::optional<std::string_view> value2 = {});
// The bound of the rows of (campaign, dim) with hour start < `hour_start`.
std::string CounterBound(std::string_view campaign, CounterDim dim, Micros hour_start);
// Parses the part after CounterBound(...)'s prefix: hour, value, value2 ("" when absent).
bool ParseCounterKeyTail(std::string_view tail, Micros* hour_start, std::string* value,
                         std::string* value2);

// `address_optouts`: channel name ':' hash -> OptOut; `last_sms`: hash -> BE(created) id.
std::string AddressKey(Channel channel, std::string_view address_hash);

// The message record (TrackedMessage without address, plus the address hash).
std::string EncodeTrackedMessage(const TrackedMessage& m, std::string_view address_hash);
Result<TrackedMessage> DecodeTrackedMessage(std::string_view id, std::string_view value,
                                            std::string* address_hash);

std::string EncodeEngagement(const EngagementRecord& e);
Result<EngagementRecord> DecodeEngagement(std::string_view value);

std::string EncodePreferences(const RecipientPreferences& p);
Result<RecipientPreferences> DecodePreferences(std::string_view id, std::string_view value);

std::string EncodeOptOut(const OptOut& o);
Result<OptOut> DecodeOptOut(std::string_view value);

// The merge operator of `counters`: sums sparse counter rows (metrics.h).
std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator();

}  // namespace herald
