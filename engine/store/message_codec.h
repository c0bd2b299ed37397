// Key and value encodings of RocksMessageStore's column families (see README.md).
//
// Internal to engine/store. Keys reuse the primitives of schedule_codec.h (KS strings,
// big-endian numbers, ordered times). Every value starts with a version byte. Message
// states and bodies are a flat binary record (LP(s) = 4-byte big-endian length + bytes,
// BE(n) = 8-byte big-endian; enums by name, so reordering an enum changes nothing stored):
// they are read and written at every attempt, and a CBOR DOM cost several times more.
// Callbacks are the CBOR of their JSON form (their body is JSON anyway). Decode* return
// Corruption and never throw.
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
// Format 1 (the whole message, rendering included, as one CBOR value) was never deployed
// and is refused at open.
inline constexpr std::string_view kMessageFormatVersion = "2";
inline constexpr std::string_view kMessageSecretKey = "secret";
inline constexpr std::string_view kOutboxCursorKey = "outbox_cursor";
inline constexpr std::string_view kCallbackSeqKey = "callback_seq";

inline constexpr uint8_t kMessageValueVersion = 1;  // callbacks (CBOR)
inline constexpr uint8_t kMessageStateVersion = 2;  // `messages`
inline constexpr uint8_t kMessageBodyVersion = 2;   // `bodies`

// `messages`: id -> the state: every field of Message except the rendering, which is
// neither written nor read (left empty).
std::string EncodeMessageState(const Message& m);
Result<Message> DecodeMessageState(std::string_view value);

// `bodies`: id -> the rendering.
std::string EncodeMessageBody(const MessageBody& b);
Result<MessageBody> DecodeMessageBody(std::string_view value);

std::string EncodeCallback(const StatusCallback& c);
Result<StatusCallback> DecodeCallback(std::string_view value);

}  // namespace herald
