// Key and value encodings of RocksScheduleStore's column families (see README.md).
//
// Internal to engine/store. Keys are built from two primitives:
//
//   KS(s)  an order-preserving, self-delimiting string: every 0x00 byte of s becomes
//          0x00 0xFF and the string ends with 0x00 0x01. Two different strings never
//          encode to the same bytes, no encoding is a prefix of another's, and comparing
//          KS(a) + X with KS(b) + Y bytewise orders by a vs b first (as std::string does),
//          so concatenated KS fields sort like std::tie of the fields. Ids may hold any
//          byte, NUL and separators included, without two keys colliding or one case's
//          range spilling into another's ("A" vs "AB", "A\0B").
//   BE(n)  8-byte big-endian; times as BE(t XOR 2^63), so negative Micros sort before
//          positive ones and byte order is time order.
//
// (The event log's keys.h uses 4-byte length prefixes instead; those order strings by
// length first, which would break the ScheduleStore contract's "ordered by plan key".)
//
// Every value starts with a version byte (kScheduleValueVersion) followed by the CBOR of
// the record's JSON form; Decode* return Corruption for anything they cannot read and
// never throw. Encode* throw nlohmann::json::exception only for values JSON cannot hold;
// RocksScheduleStore::Commit catches it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

// --- Primitives ---

void AppendKeyString(std::string* dst, std::string_view s);
// Reads one KS field from the front of *in and advances it; false when malformed.
bool ConsumeKeyString(std::string_view* in, std::string* out);
void AppendBigEndian64(std::string* dst, uint64_t v);
// Reads 8 bytes from the front of *in and advances it; false when fewer remain.
bool ConsumeBigEndian64(std::string_view* in, uint64_t* v);
// Micros <-> the unsigned value whose big-endian bytes sort in time order.
inline uint64_t OrderedMicros(Micros t) {
  return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63);
}
inline Micros MicrosFromOrdered(uint64_t v) {
  return static_cast<Micros>(v ^ (uint64_t{1} << 63));
}
// The smallest string greater than every string starting with `prefix` (an exclusive
// iterator upper bound); "" when there is none (prefix empty or all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);

// --- Keys ---

// `plans`: KS(case_id) KS(campaign) KS(rule). Case first, so a case's plans are one range
// (PlanCasePrefix) in PlanKey order, without a secondary index.
std::string PlanStoreKey(const PlanKey& key);
std::string PlanCasePrefix(std::string_view case_id);
std::optional<PlanKey> ParsePlanStoreKey(std::string_view key);

// `timers`: BE(fire_at) KS(campaign) KS(rule) KS(case_id), value empty: time order, ties
// in PlanKey order. Every key of a timer with fire_at < t sorts below TimerTimeBound(t),
// and every key with fire_at >= t at or above it.
std::string TimerKey(const TimerEntry& timer);
std::string TimerTimeBound(Micros t);
std::optional<TimerEntry> ParseTimerKey(std::string_view key);

// `outbox_queue`: BE(queue_seq) -> the intent's key (the `outbox` key, the raw string).
std::string OutboxQueueKey(uint64_t queue_seq);
std::optional<uint64_t> ParseOutboxQueueKey(std::string_view key);

// `records`: KS(case_id) BE(record number), numbers dense from 1 across the store.
std::string RecordKey(std::string_view case_id, uint64_t number);
std::string RecordCasePrefix(std::string_view case_id);

// `sends`: KS(recipient_id) KS(campaign) BE(at) BE(send number). The number (dense from
// 1 across the store) keeps two sends at the same instant two entries, so frequency caps
// count both.
std::string SendKey(std::string_view recipient_id, std::string_view campaign, Micros at,
                    uint64_t number);
std::string SendPrefix(std::string_view recipient_id, std::string_view campaign);
// The send time of a `sends` key that starts with `prefix`; nullopt when malformed.
std::optional<Micros> ParseSendTime(std::string_view key, std::string_view prefix);

// `meta` keys; every value but the format version is BE(n).
inline constexpr std::string_view kScheduleFormatVersionKey = "format_version";
inline constexpr std::string_view kScheduleFormatVersion = "1";
inline constexpr std::string_view kCursorMetaKey = "cursor";
inline constexpr std::string_view kLastQueueSeqMetaKey = "last_queue_seq";
inline constexpr std::string_view kRecordCountMetaKey = "record_count";
inline constexpr std::string_view kSendCountMetaKey = "send_count";
inline constexpr std::string_view kPendingTimersMetaKey = "pending_timers";

std::string EncodeCounter(uint64_t n);
Result<uint64_t> DecodeCounter(std::string_view value, std::string_view what);

// InvalidArgument when a batch has what the encodings cannot or must not hold: an empty id
// that a key is built from (a plan key's campaign, rule or case id anywhere; an intent's
// key; a case view's case id; a send's campaign), an intent occurrence below 1, or a plan
// status out of range. RocksScheduleStore::Commit refuses such a batch before writing.
Status ValidateScheduleBatch(const ScheduleBatch& batch);

// --- Values ---

inline constexpr uint8_t kScheduleValueVersion = 1;

std::string EncodePlan(const Plan& plan);
Result<Plan> DecodePlan(std::string_view value);

// The case id is the key and is not repeated in the value.
std::string EncodeCaseView(const CaseView& view);
Result<CaseView> DecodeCaseView(std::string_view case_id, std::string_view value);

// Includes queue_seq, which Commit assigns before encoding.
std::string EncodeOutboxIntent(const OutboxIntent& intent);
Result<OutboxIntent> DecodeOutboxIntent(std::string_view value);

std::string EncodePlanRecord(const PlanRecord& record);
Result<PlanRecord> DecodePlanRecord(std::string_view value);

std::string_view PlanStatusName(
    PlanStatus status);  // "" for a value out of range  // "pending", "done", "cancelled"
std::optional<PlanStatus> PlanStatusFromName(std::string_view name);

}  // namespace herald
