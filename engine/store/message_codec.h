// Key and value encodings of RocksMessageStore's column families (see README.md).
//
// Internal to engine/store. Keys reuse the primitives of schedule_codec.h (KS strings,
// big-endian numbers, ordered times). Values are a version byte and the CBOR of the
// record's JSON form; Decode* return Corruption and never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "engine/dispatch/message_store.h"

namespace herald {

// `ready`: BE(ordered next_attempt_at) id -> "".
std::string ReadyKey(Micros at, std::string_view id);
std::string ReadyTimeBound(Micros at);  // every key with time < at sorts below it
// The id of a ready key; nullopt when malformed.
std::optional<std::string> ParseReadyKey(std::string_view key, Micros* at);

// `provider`: KS(connector) KS(provider_id) -> message id.
std::string ProviderKey(std::string_view connector, std::string_view provider_id);

// `case_messages`: KS(case_id) id -> "".
std::string CaseMessageKey(std::string_view case_id, std::string_view id);
std::string CaseMessagePrefix(std::string_view case_id);

// `callbacks`: BE(seq) -> StatusCallback.
std::string CallbackKey(uint64_t seq);

inline constexpr std::string_view kMessageFormatVersionKey = "format_version";
inline constexpr std::string_view kMessageFormatVersion = "1";
inline constexpr std::string_view kMessageSecretKey = "secret";
inline constexpr std::string_view kOutboxCursorKey = "outbox_cursor";
inline constexpr std::string_view kCallbackSeqKey = "callback_seq";

inline constexpr uint8_t kMessageValueVersion = 1;

std::string EncodeMessage(const Message& m);
Result<Message> DecodeMessage(std::string_view value);

std::string EncodeCallback(const StatusCallback& c);
Result<StatusCallback> DecodeCallback(std::string_view value);

}  // namespace herald
