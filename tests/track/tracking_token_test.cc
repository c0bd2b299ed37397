#include "engine/track/tracking_token.h"

#include <doctest/doctest.h>

#include <string>

namespace herald {
namespace {

const std::string kSecret(32, 's');
const std::string kId = "0123456789abcdef0123456789abcdef";

TokenCodec Codec(const std::string& secret = kSecret) {
  Result<TokenCodec> c = TokenCodec::Create(secret);
  REQUIRE(c.ok());
  return std::move(c).value();
}

std::string Make(const TokenCodec& c, TokenKind kind, uint32_t index = 0) {
  Result<std::string> t = c.Encode({kind, kId, index});
  REQUIRE(t.ok());
  return *t;
}

TEST_CASE("tokens round-trip, are URL-safe and short enough for SMS") {
  const TokenCodec c = Codec();
  for (TokenKind kind : {TokenKind::kOpen, TokenKind::kClick, TokenKind::kUnsubscribe}) {
    const std::string t = Make(c, kind, kind == TokenKind::kClick ? 3 : 0);
    CAPTURE(t);
    CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    std::optional<TrackingToken> d = c.Decode(kind, t);
    REQUIRE(d);
    CHECK(d->kind == kind);
    CHECK(d->message_id == kId);
    CHECK(d->link_index == (kind == TokenKind::kClick ? 3u : 0u));
  }
  CHECK(Make(c, TokenKind::kOpen).size() == 31);
  CHECK(Make(c, TokenKind::kClick, 0).size() == 32);
  CHECK(Make(c, TokenKind::kClick, 127).size() == 32);
  CHECK(Make(c, TokenKind::kClick, 128).size() == 34);
  for (uint32_t i : {0u, 1u, 127u, 128u, 200u, 16383u}) {
    std::optional<TrackingToken> d = c.Decode(TokenKind::kClick, Make(c, TokenKind::kClick, i));
    REQUIRE(d);
    CHECK(d->link_index == i);
  }
  // Deterministic: the same input gives the same token; another link another one.
  CHECK(Make(c, TokenKind::kClick, 1) == Make(c, TokenKind::kClick, 1));
  CHECK(Make(c, TokenKind::kClick, 1) != Make(c, TokenKind::kClick, 2));
}

TEST_CASE("encoding refuses what a token cannot carry") {
  const TokenCodec c = Codec();
  CHECK_FALSE(TokenCodec::Create("short").ok());
  CHECK_FALSE(c.Encode({TokenKind::kOpen, "0123456789ABCDEF0123456789abcdef", 0}).ok());
  CHECK_FALSE(c.Encode({TokenKind::kOpen, "0123", 0}).ok());
  CHECK_FALSE(c.Encode({TokenKind::kClick, kId, kMaxLinkIndex + 1}).ok());
  CHECK_FALSE(c.Encode({TokenKind::kOpen, kId, 1}).ok());
}

TEST_CASE("forged and tampered tokens are not found") {
  const TokenCodec c = Codec();
  const std::string click = Make(c, TokenKind::kClick, 2);
  const std::string open = Make(c, TokenKind::kOpen);
  const std::string unsub = Make(c, TokenKind::kUnsubscribe);

  SUBCASE("every single-character change") {
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < click.size(); ++i) {
      for (char ch : alphabet) {
        if (ch == click[i]) continue;
        std::string t = click;
        t[i] = ch;
        CHECK_FALSE(c.Decode(TokenKind::kClick, t));
      }
    }
  }
  SUBCASE("every flipped bit of the decoded bytes") {
    const std::string bytes = *Base64UrlDecode(click);
    for (size_t i = 0; i < bytes.size() * 8; ++i) {
      std::string b = bytes;
      b[i / 8] = char(b[i / 8] ^ (1 << (i % 8)));
      CHECK_FALSE(c.Decode(TokenKind::kClick, Base64UrlEncode(b)));
    }
  }
  SUBCASE("another link index with the original tag") {
    std::string b = *Base64UrlDecode(click);
    b[16] = 5;  // the index byte
    CHECK_FALSE(c.Decode(TokenKind::kClick, Base64UrlEncode(b)));
  }
  SUBCASE("another secret") {
    CHECK_FALSE(Codec(std::string(32, 't')).Decode(TokenKind::kClick, click));
    CHECK(Codec(std::string(32, 't'))
              .Decode(TokenKind::kClick, Make(Codec(std::string(32, 't')), TokenKind::kClick, 2)));
  }
  SUBCASE("truncated and extended") {
    for (size_t n = 0; n < click.size(); ++n) {
      CHECK_FALSE(c.Decode(TokenKind::kClick, click.substr(0, n)));
    }
    CHECK_FALSE(c.Decode(TokenKind::kClick, click + "A"));
    CHECK_FALSE(c.Decode(TokenKind::kClick, click + "AA"));
    CHECK_FALSE(c.Decode(TokenKind::kClick, click + "="));
  }
  SUBCASE("a token of one kind on another route") {
    CHECK_FALSE(c.Decode(TokenKind::kClick, open));
    CHECK_FALSE(c.Decode(TokenKind::kClick, unsub));
    CHECK_FALSE(c.Decode(TokenKind::kOpen, unsub));
    CHECK_FALSE(c.Decode(TokenKind::kUnsubscribe, open));
    CHECK_FALSE(c.Decode(TokenKind::kOpen, click));
    CHECK_FALSE(c.Decode(TokenKind::kUnsubscribe, click));
  }
  SUBCASE("garbage") {
    for (std::string t :
         {std::string(), std::string("x"), std::string(1000, 'A'), std::string("../../etc/passwd"),
          std::string(31, '='), std::string("https://evil.example/"), std::string("%41%41"),
          std::string(32, '\0'), kId}) {
      CHECK_FALSE(c.Decode(TokenKind::kClick, t));
      CHECK_FALSE(c.Decode(TokenKind::kOpen, t));
    }
    // Standard base64 characters instead of the URL-safe ones.
    std::string t = click;
    for (char& ch : t) {
      if (ch == '-') ch = '+';
      if (ch == '_') ch = '/';
    }
    if (t != click) CHECK_FALSE(c.Decode(TokenKind::kClick, t));
  }
}

TEST_CASE("base64url is strict") {
  CHECK(Base64UrlEncode("") == "");
  CHECK(Base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(*Base64UrlDecode("-_8") == "\xfb\xff");
  CHECK_FALSE(Base64UrlDecode("-_9"));  // nonzero unused bits: a second spelling of the bytes
  CHECK_FALSE(Base64UrlDecode("A"));
  CHECK_FALSE(Base64UrlDecode("AA=="));
  CHECK_FALSE(Base64UrlDecode("+/8"));
}

}  // namespace
}  // namespace herald
