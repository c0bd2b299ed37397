// Key encodings for the store's column families (see README.md for the layouts).
//
// Internal to engine/store. Every key that joins two variable strings, or a string and a
// number, length-prefixes the string, so no byte value (NUL included) inside a case id,
// API key id or event id can make two different keys collide or one case's index range
// spill into another's. Sequence numbers are 8-byte big-endian so byte order is numeric
// order and iterators walk the log in sequence order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// The store's column families (see README.md), in the order RocksStore opens them.
enum class StoreColumn { kEvents, kCases, kCaseEvents, kRecipients, kIdempotency, kMeta };

// 8-byte big-endian `seq`: the key of the `events` column family, and cursor values.
std::string EncodeSeq(uint64_t seq);
void AppendSeq(std::string* dst, uint64_t seq);
// Overwrites the 8 bytes at dst[offset..offset+8) with BE(seq); they must exist.
void PutSeqAt(std::string* dst, size_t offset, uint64_t seq);
// nullopt unless `in` is exactly 8 bytes.
std::optional<uint64_t> DecodeSeq(std::string_view in);

// 4-byte big-endian length, then the bytes.
void AppendLengthPrefixed(std::string* dst, std::string_view s);

// `case_events`: LP(case_id) + BE(seq). CaseEventPrefix is the LP(case_id) part, which
// every key of that case (and no other case) starts with.
std::string CaseEventPrefix(std::string_view case_id);
std::string CaseEventKey(std::string_view case_id, uint64_t seq);
// The seq of a case_events key that starts with `prefix`; nullopt when malformed.
std::optional<uint64_t> CaseEventSeq(std::string_view key, std::string_view prefix);

// `idempotency`: LP(key_id) + event_id (the event id runs to the end of the key).
std::string IdempotencyKey(std::string_view key_id, std::string_view event_id);

// A 64-bit identity of (column, key) for RecentWrites and the group overlay. Different
// keys may share a hash; users treat a shared hash as "maybe the same key", never as
// "certainly different", so a collision can only cost a re-read.
uint64_t KeyHash(StoreColumn column, std::string_view key);

// `meta`: "cursor/" + consumer name (runs to the end of the key).
std::string CursorKey(std::string_view consumer);
// `meta`: the store's on-disk format version, checked at Open.
inline constexpr std::string_view kFormatVersionKey = "format_version";

}  // namespace herald
