// Value encodings for the store's column families.
//
// Internal to engine/store. Every value starts with one version byte; readers dispatch on
// it and Decode* return Corruption for a version they do not know. The store's format 2
// (meta `format_version`, see README.md) uses (BE = 8-byte big-endian, LP = 4-byte
// big-endian length + bytes):
//
//   events      2  BE(received_at) BE(occurred_at_us) LP(key_id) event JSON
//               3  BE(received_at) BE(occurred_at_us) u8(flags: 1 redacted) LP(key_id)
//                  event JSON (only written by retention; appends write version 2)
//   cases       2  BE(last_seq) BE(event_count) BE(created_at) BE(updated_at)
//                  u8(has recipient) [recipient fields] CBOR(state)
//   recipients  2  recipient fields
//   idempotency 1  BE(seq) fingerprint
//
// Recipient fields: u8 mask (1 email, 2 phone, 4 locale, 8 timezone, 16 channels), LP(id),
// then LP(value) for each string in the mask in that order, then for channels u8 count and
// one byte per channel (0 email, 1 sms).
//
// Why binary headers: request threads encode whole values before the group-commit leader
// has assigned sequence numbers and the receive time; the leader then only overwrites
// fixed-offset fields (SetEventReceivedAt, SetCaseRecordStamps, PutSeqAt) instead of
// encoding anything. The event JSON is the canonical text EventFingerprint hashes, so one
// serialization serves both the fingerprint and the stored value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/store/event_log.h"

namespace herald {

// `events` values. AppendEventValue appends e's value with received_at 0 and returns the
// offset in *out where the event JSON starts (it runs to the end); FingerprintOf that text
// is EventFingerprint(e). EncodeEventValue does both. Both throw nlohmann::json::exception
// for a string that is not UTF-8. The seq is the key, so decoding takes it separately.
size_t AppendEventValue(std::string* out, std::string_view key_id, const Event& e);
std::string EncodeEventValue(std::string_view key_id, const Event& e, std::string* fingerprint);
// Lower-case hex SHA-256, as Sha256Hex (engine/core/sha256.h) but into a buffer and
// without OpenSSL 3's per-call context allocation and algorithm lookup.
inline constexpr size_t kFingerprintBytes = 64;
void FingerprintOf(std::string_view event_json, char out[kFingerprintBytes]);
void SetEventReceivedAt(std::string* value, Micros received_at);
// Decodes version 2 and 3 values; a version 3 value with the redacted flag decodes with
// StoredEvent::redacted set.
Result<StoredEvent> DecodeStoredEvent(uint64_t seq, std::string_view value);

// Retention. The received_at of an `events` value, read from its header alone (the purge
// walks the log by it without parsing JSON); Corruption for an unknown version.
Result<Micros> PeekEventReceivedAt(std::string_view value);
// Whether an `events` value is already redacted (false for anything undecodable).
bool IsRedactedEventValue(std::string_view value);
// `e` without its personal data: no `data`, and of the recipient only its id (dropped
// entirely when it has none). Ids, type, case id and both times stay.
Event RedactedEvent(const Event& e);
// The version 3 value of `s` redacted (RedactedEvent), flagged so readers know. The
// idempotency entry keeps the fingerprint of the event as posted, so reposts still
// compare against the original content.
std::string EncodeRedactedEventValue(const StoredEvent& s);

// A recipient's fields as views into an encoded value or into a Recipient, for folding
// updates without copying strings. Views must not outlive what they point into.
struct RecipientFields {
  std::string_view id;
  std::optional<std::string_view> email, phone, locale, timezone;
  std::optional<std::string> channels;  // encoded: u8 count, one byte per channel (SSO-sized)
};
RecipientFields FieldsOf(const Recipient& r);
// MergeRecipient on fields: `update`'s set fields replace base's; the id is kept when set.
void MergeRecipientFields(RecipientFields* base, const Recipient& update);

// A case record's fields; `recipient` and `state` (the CBOR of the state) are views.
struct CaseFields {
  uint64_t last_seq = 0;
  uint64_t event_count = 0;
  Micros created_at = 0;
  Micros updated_at = 0;
  std::optional<RecipientFields> recipient;
  std::string_view state;
};
Result<CaseFields> ParseCaseRecord(std::string_view value);
void AppendCaseRecord(std::string* out, const CaseFields& c);

// `cases` values. The case id is the key and is not repeated in the value.
std::string EncodeCaseRecord(const CaseRecord& c);
// Overwrites last_seq, updated_at and (when created_at is not null) created_at of an
// encoded case record.
void SetCaseRecordStamps(std::string* value, uint64_t last_seq, const Micros* created_at,
                         Micros updated_at);
Result<CaseRecord> DecodeCaseRecord(std::string_view case_id, std::string_view value);
// The id of the case's recipient ("" when it has none or it has no id), without decoding
// the state. The view points into `value`.
Result<std::string_view> PeekCaseRecipientId(std::string_view value);

// `recipients` values.
std::string EncodeRecipient(const Recipient& r);
Result<Recipient> DecodeRecipient(std::string_view value);
Result<RecipientFields> ParseRecipient(std::string_view value);
void AppendRecipient(std::string* out, const RecipientFields& r);

// `idempotency` values: where an (API key, event id) pair was first written and what it
// contained.
struct IdempotencyEntry {
  uint64_t seq = 0;
  std::string fingerprint;  // EventFingerprint of the first event with that id
};
inline constexpr size_t kIdempotencySeqOffset = 1;  // where PutSeqAt writes the seq
std::string EncodeIdempotencyEntry(const IdempotencyEntry& e);
void AppendIdempotencyEntry(std::string* out, uint64_t seq, std::string_view fingerprint);
Result<IdempotencyEntry> DecodeIdempotencyEntry(std::string_view value);

}  // namespace herald
