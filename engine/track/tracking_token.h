// Tracking tokens: the opaque path segment of open-pixel, click and unsubscribe URLs
// ({public_url}/o/{token}, /c/{token}, /u/{token}).
//
// A token names a message (its 128-bit id, already unguessable) and, for a click, the index
// of the link in the message's link table, and is authenticated with HMAC-SHA256 under the
// message store's secret (MessageStore::Secret()). It carries no personal data and no
// destination: the destination is looked up on the server from the link table stored with
// the message, so a request can never choose where it is redirected (CWE-601).
//
// Format v1 (base64url without padding of):
//   id[16] | varint(link index) (click only; minimal LEB128, < kMaxLinkIndex + 1) | tag[7]
// where tag = the first 7 bytes of HMAC-SHA256(secret, "herald/track/v1" 0x00 kind id
// [index]). The kind ('o', 'c', 'u') is not in the token but in the tag's input, so the
// route (/o, /c, /u) decides the kind and a token minted for one kind is rejected by the
// others. Lengths: open and unsubscribe 31 chars, click 32 (index < 128) or 34.
// A 56-bit tag is only ever checked online (each guess is an HTTP request), and a forgery
// could at most reach another stored destination of a message whose id the forger already
// has; 2^56 requests are out of reach. A future format gets another length or route.
//
// Thread safety: TokenCodec is immutable after construction; share it freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace herald {

enum class TokenKind : uint8_t { kOpen, kClick, kUnsubscribe };

std::string_view TokenKindName(TokenKind k);  // "open", "click", "unsubscribe"

// Link indexes a click token can hold (a message's link table is capped far below).
inline constexpr uint32_t kMaxLinkIndex = 16383;

struct TrackingToken {
  TokenKind kind = TokenKind::kOpen;
  std::string message_id;   // 32 lowercase hex characters
  uint32_t link_index = 0;  // click only; 0 for the other kinds

  bool operator==(const TrackingToken&) const = default;
};

// True for 32 lowercase hex characters (the shape of Message::id).
bool IsMessageId(std::string_view id);

class TokenCodec {
 public:
  // `secret`: at least 16 bytes (the message store's 32); InvalidArgument otherwise.
  static Result<TokenCodec> Create(std::string_view secret);

  // InvalidArgument for an id that is not 32 lowercase hex characters or a link index
  // above kMaxLinkIndex (or nonzero for a kind other than click).
  Result<std::string> Encode(const TrackingToken& token) const;

  // The token `text` names if it is a well-formed token of `expected` kind with a valid
  // tag; nullopt for anything else (wrong length or alphabet, non-canonical encoding,
  // another kind's token, a flipped bit, another secret). Never throws; the tag is
  // compared in constant time. Whether the message and link index exist is the caller's
  // lookup (TrackStore): an unknown one is "not found" there too.
  std::optional<TrackingToken> Decode(TokenKind expected, std::string_view text) const;

 private:
  explicit TokenCodec(std::string secret) : secret_(std::move(secret)) {}
  std::string Tag(TokenKind kind, std::string_view payload) const;

  std::string secret_;
};

// Base64url without padding (RFC 4648 section 5); exposed for tests.
std::string Base64UrlEncode(std::string_view bytes);
// Strict: only the URL-safe alphabet, no padding, zero unused trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace herald
