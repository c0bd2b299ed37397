// Value encodings for the store's column families.
//
// Internal to engine/store. Every value starts with one format-version byte so the
// encoding can change later without a migration of old records: readers dispatch on it,
// and Decode* return Corruption for a version they do not know. Version 1 is the
// record's JSON form (the public forms from engine/core/event.h where there is one)
// serialized as CBOR, which is smaller than JSON text and cheaper to parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/store/event_log.h"

namespace herald {

// `events` values: StoredEventToJson.
std::string EncodeStoredEvent(const StoredEvent& e);
Result<StoredEvent> DecodeStoredEvent(std::string_view in);

// `cases` values.
std::string EncodeCaseRecord(const CaseRecord& c);
Result<CaseRecord> DecodeCaseRecord(std::string_view in);

// `recipients` values: RecipientToJson.
std::string EncodeRecipient(const Recipient& r);
Result<Recipient> DecodeRecipient(std::string_view in);

// `idempotency` values: where an (API key, event id) pair was first written and what it
// contained. Encoded as version byte + 8-byte BE seq + fingerprint bytes.
struct IdempotencyEntry {
  uint64_t seq = 0;
  std::string fingerprint;  // EventFingerprint of the first event with that id
};
std::string EncodeIdempotencyEntry(const IdempotencyEntry& e);
Result<IdempotencyEntry> DecodeIdempotencyEntry(std::string_view in);

}  // namespace herald
