#include "engine/track/tracking_token.h"

#include <array>

#include "engine/core/sha256.h"

namespace herald {
namespace {

constexpr size_t kIdBytes = 16;
constexpr size_t kTagBytes = 7;
constexpr size_t kMaxTokenChars = 40;  // longer text is rejected before decoding
constexpr std::string_view kDomain("herald/track/v1\0", 16);
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char KindChar(TokenKind k) {
  switch (k) {
    case TokenKind::kOpen:
      return 'o';
    case TokenKind::kClick:
      return 'c';
    case TokenKind::kUnsubscribe:
      return 'u';
  }
  return '?';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string_view TokenKindName(TokenKind k) {
  switch (k) {
    case TokenKind::kOpen:
      return "open";
    case TokenKind::kClick:
      return "click";
    case TokenKind::kUnsubscribe:
      return "unsubscribe";
  }
  return "";
}

bool IsMessageId(std::string_view id) {
  if (id.size() != 2 * kIdBytes) return false;
  for (char c : id) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  // The leftover bits must be zero, so each byte string has exactly one encoding.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

Result<TokenCodec> TokenCodec::Create(std::string_view secret) {
  if (secret.size() < 16) return Status::InvalidArgument("token codec: secret under 16 bytes");
  return TokenCodec(std::string(secret));
}

std::string TokenCodec::Tag(TokenKind kind, std::string_view payload) const {
  std::string input(kDomain);
  input.push_back(KindChar(kind));
  input.append(payload);
  // HmacSha256Hex gives hex; the tag is its first kTagBytes bytes.
  const std::string hex = HmacSha256Hex(secret_, input);
  std::string tag(kTagBytes, '\0');
  for (size_t i = 0; i < kTagBytes; ++i) {
    tag[i] = char((HexValue(hex[2 * i]) << 4) | HexValue(hex[2 * i + 1]));
  }
  return tag;
}

Result<std::string> TokenCodec::Encode(const TrackingToken& token) const {
  if (!IsMessageId(token.message_id)) {
    return Status::InvalidArgument("token: message id is not 32 lowercase hex characters");
  }
  if (token.link_index > kMaxLinkIndex ||
      (token.kind != TokenKind::kClick && token.link_index != 0)) {
    return Status::InvalidArgument("token: link index out of range");
  }
  std::string payload(kIdBytes, '\0');
  for (size_t i = 0; i < kIdBytes; ++i) {
    payload[i] =
        char((HexValue(token.message_id[2 * i]) << 4) | HexValue(token.message_id[2 * i + 1]));
  }
  if (token.kind == TokenKind::kClick) {
    uint32_t v = token.link_index;
    while (v >= 0x80) {
      payload.push_back(char(0x80 | (v & 0x7f)));
      v >>= 7;
    }
    payload.push_back(char(v));
  }
  return Base64UrlEncode(payload + Tag(token.kind, payload));
}

std::optional<TrackingToken> TokenCodec::Decode(TokenKind expected, std::string_view text) const {
  if (text.size() > kMaxTokenChars) return std::nullopt;
  std::optional<std::string> bytes = Base64UrlDecode(text);
  if (!bytes || bytes->size() < kIdBytes + kTagBytes) return std::nullopt;
  const std::string_view all(*bytes);
  const std::string_view payload = all.substr(0, all.size() - kTagBytes);
  const std::string_view tag = all.substr(all.size() - kTagBytes);

  TrackingToken t;
  t.kind = expected;
  std::string_view index_bytes = payload.substr(kIdBytes);
  if (expected == TokenKind::kClick) {
    // Minimal LEB128 of at most two bytes (kMaxLinkIndex < 2^14).
    if (index_bytes.empty() || index_bytes.size() > 2) return std::nullopt;
    const uint8_t b0 = uint8_t(index_bytes[0]);
    if (index_bytes.size() == 1) {
      if (b0 & 0x80) return std::nullopt;
      t.link_index = b0;
    } else {
      const uint8_t b1 = uint8_t(index_bytes[1]);
      if (!(b0 & 0x80) || (b1 & 0x80) || b1 == 0) return std::nullopt;
      t.link_index = (b0 & 0x7f) | (uint32_t(b1) << 7);
    }
  } else if (!index_bytes.empty()) {
    return std::nullopt;
  }
  if (!ConstantTimeEquals(Tag(expected, payload), tag)) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  t.message_id.reserve(2 * kIdBytes);
  for (size_t i = 0; i < kIdBytes; ++i) {
    t.message_id.push_back(kHex[uint8_t(payload[i]) >> 4]);
    t.message_id.push_back(kHex[uint8_t(payload[i]) & 0xf]);
  }
  return t;
}

}  // namespace herald
