// The expression lexer: text to tokens. Internal to engine/rules (used by the parser).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"

namespace herald::rules::internal {

enum class TokenKind : uint8_t {
  kEnd,       // end of the text
  kError,     // a lexical error; `text` is the message, `offset` where it is
  kWord,      // a name or dotted path, keywords included; `path` holds the parts
  kString,    // `text` holds the decoded string
  kInt,       // `int_value`
  kDecimal,   // `double_value` (also integers too large for int64)
  kDuration,  // `int_value` in Micros
  kTime,      // `int_value` in Micros
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEq,  // ==
  kNe,  // !=
  kLt,
  kLe,
  kGt,
  kGe,
  kAndAnd,  // &&
  kOrOr,    // ||
  kBang,    // !
  kPlus,
  kMinus,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;  // first byte in the text
  size_t length = 0;  // bytes in the text
  std::vector<std::string> path;
  std::string text;
  int64_t int_value = 0;
  double double_value = 0;
};

// Lexes all of `text` (already checked for size and UTF-8). The result always ends
// with a kEnd token; a lexical error is a kError token followed by kEnd, and nothing
// after the error is lexed. Reporting the error is left to the parser, so that a
// syntax error earlier in the text is reported first.
std::vector<Token> Lex(std::string_view text);

// The token as it is written in `text`, quoted for a message: 'foo.bar', '"x"',
// "the end of the expression". Long tokens are cut at 30 bytes (on a UTF-8
// boundary) with "...".
std::string DescribeToken(std::string_view text, const Token& token);

}  // namespace herald::rules::internal
