// Fuzzes the tracking-token decoder (engine/track/tracking_token.h), the path segment of
// /o/{token}, /c/{token} and /u/{token}: text any client can send.
//
// Input: a token text, optionally followed by a NUL byte and edits (each two bytes: a
// position and a byte; a position past the end appends, 0xff deletes instead). The
// corpus holds real tokens minted by TokenCodec with kSecret.
//
// Properties, besides "no crash, no sanitizer report":
// - whatever decodes is canonical: a well-formed token of that kind whose Encode gives
//   back exactly the text, and it decodes under no other kind;
// - a tampered valid token never decodes: the edits applied to the input token, and to a
//   token minted from the input's bytes, give either the same text or no token at all;
// - base64url is strict and canonical: what decodes re-encodes to the same text.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/track/tracking_token.h"
#include "tests/fuzz/fuzz_util.h"

namespace herald {
namespace {

// The secret the corpus tokens were minted with (tests/fuzz/README.md).
constexpr std::string_view kSecret = "herald-fuzz-secret-0123456789abc";
constexpr TokenKind kKinds[] = {TokenKind::kOpen, TokenKind::kClick, TokenKind::kUnsubscribe};

const TokenCodec& Codec() {
  static const TokenCodec codec = TokenCodec::Create(kSecret).value();
  return codec;
}

// Checks every decoding of `text`; returns how many kinds accept it (0 or 1).
int CheckDecode(std::string_view text) {
  int accepted = 0;
  for (TokenKind kind : kKinds) {
    const std::optional<TrackingToken> t = Codec().Decode(kind, text);
    if (!t) continue;
    ++accepted;
    HERALD_FUZZ_CHECK(t->kind == kind);
    HERALD_FUZZ_CHECK(IsMessageId(t->message_id));
    HERALD_FUZZ_CHECK(t->link_index <= kMaxLinkIndex);
    HERALD_FUZZ_CHECK(kind == TokenKind::kClick || t->link_index == 0);
    const Result<std::string> again = Codec().Encode(*t);
    HERALD_FUZZ_CHECK(again.ok() && *again == text);
  }
  HERALD_FUZZ_CHECK(accepted <= 1);
  return accepted;
}

std::string ApplyEdits(std::string text, std::string_view edits) {
  for (size_t i = 0; i + 1 < edits.size(); i += 2) {
    const auto pos = static_cast<uint8_t>(edits[i]);
    const char byte = edits[i + 1];
    if (pos == 0xff) {
      if (!text.empty()) text.erase(static_cast<uint8_t>(byte) % text.size(), 1);
    } else if (pos >= text.size()) {
      text.push_back(byte);
    } else {
      text[pos] = byte;
    }
  }
  return text;
}

// A valid token of `kind`: `original`, edited, decodes only when the edits changed
// nothing.
void CheckTamper(const std::string& original, TokenKind kind, std::string_view edits) {
  HERALD_FUZZ_CHECK(Codec().Decode(kind, original).has_value());
  const std::string edited = ApplyEdits(original, edits);
  if (edited == original) return;
  for (TokenKind k : kKinds) HERALD_FUZZ_CHECK(!Codec().Decode(k, edited));
}

// A token minted from the input's bytes: the message id from the first 16, the kind and
// link index from the next ones.
std::string MintFrom(std::string_view bytes, TokenKind* kind) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (size_t i = 0; i < 16; ++i) {
    const auto b = i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : uint8_t{0};
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  const auto byte = [&](size_t i) {
    return i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : uint8_t{0};
  };
  *kind = kKinds[byte(16) % 3];
  const uint32_t index =
      *kind == TokenKind::kClick ? ((byte(17) << 8) | byte(18)) % (kMaxLinkIndex + 1) : 0;
  const Result<std::string> t = Codec().Encode({*kind, id, index});
  HERALD_FUZZ_CHECK(t.ok());
  HERALD_FUZZ_CHECK(Codec().Decode(*kind, *t) == (TrackingToken{*kind, id, index}));
  return *t;
}

void Fuzz(std::string_view input) {
  const std::vector<std::string_view> fields = fuzz::SplitFields(input);
  const std::string_view text = fields[0];
  const std::string_view edits = fields.size() > 1 ? fields[1] : std::string_view();

  if (std::optional<std::string> bytes = Base64UrlDecode(text)) {
    HERALD_FUZZ_CHECK(Base64UrlEncode(*bytes) == text);
  }
  HERALD_FUZZ_CHECK(Base64UrlDecode(Base64UrlEncode(text)) == std::string(text));

  if (CheckDecode(text) == 1) {
    for (TokenKind kind : kKinds) {
      if (Codec().Decode(kind, text)) CheckTamper(std::string(text), kind, edits);
    }
  }
  TokenKind kind;
  const std::string minted = MintFrom(text, &kind);
  CheckTamper(minted, kind, edits.empty() ? text.substr(0, 8) : edits);
}

}  // namespace
}  // namespace herald

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  herald::Fuzz(herald::fuzz::AsText(data, size));
  return 0;
}
