#include "engine/rules/expr_lexer.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "engine/core/duration.h"
#include "engine/core/time_format.h"

namespace herald::rules::internal {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsWordStart(char c) {
  return IsLetter(c) || c == '_';
}

bool IsWordChar(char c) {
  return IsLetter(c) || IsDigit(c) || c == '_';
}

bool IsOperatorChar(char c) {
  return c == '=' || c == '<' || c == '>' || c == '!' || c == '&' || c == '|';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the (well-formed) UTF-8 sequence at s[i]; sets *len to its length.
uint32_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + n > s.size()) n = s.size() - i;
  uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *len = n;
  return cp;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// Space and format characters look like nothing (or like a space) when printed.
bool IsInvisible(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) || cp == 0x205F ||
         cp == 0x3000 || cp == 0xFEFF;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> Run() {
    while (LexOne()) {
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.offset = s_.size();
    out_.push_back(std::move(end));
    return std::move(out_);
  }

 private:
  char At(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

  // Records a lexical error and stops lexing.
  bool Error(size_t offset, std::string message) {
    Token t;
    t.kind = TokenKind::kError;
    t.offset = offset;
    t.text = std::move(message);
    out_.push_back(std::move(t));
    return false;
  }

  void Push(TokenKind kind, size_t start, size_t end) {
    Token t;
    t.kind = kind;
    t.offset = start;
    t.length = end - start;
    out_.push_back(std::move(t));
  }

  // Lexes one token at i_; false at the end or after an error.
  bool LexOne() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    const size_t start = i_;
    const char c = s_[i_];
    if (IsWordStart(c)) return LexWord();
    if (IsDigit(c)) return LexNumber();
    if (c == '"' || c == '\'') return LexString();
    if (IsOperatorChar(c)) return LexOperator();
    TokenKind simple;
    switch (c) {
      case '(':
        simple = TokenKind::kLParen;
        break;
      case ')':
        simple = TokenKind::kRParen;
        break;
      case '[':
        simple = TokenKind::kLBracket;
        break;
      case ']':
        simple = TokenKind::kRBracket;
        break;
      case ',':
        simple = TokenKind::kComma;
        break;
      case '+':
        simple = TokenKind::kPlus;
        break;
      case '-':
        simple = TokenKind::kMinus;
        break;
      case '*':
      case '/':
      case '%':
        return Error(start,
                     std::string("unknown operator '") + c + "'; only + and - are supported");
      case '.':
        if (IsDigit(At(i_ + 1))) return Error(start, "write a digit before the point, e.g. 0.5");
        return Error(start, "unexpected '.'");
      default:
        return UnexpectedCharacter();
    }
    ++i_;
    Push(simple, start, i_);
    return true;
  }

  bool UnexpectedCharacter() {
    size_t len;
    const uint32_t cp = DecodeUtf8(s_, i_, &len);
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201C || cp == 0x201D) {
      return Error(i_, "unexpected character '" + std::string(s_.substr(i_, len)) + "' (" +
                           CodePointName(cp) + "); use straight quotes \" or '");
    }
    if (IsInvisible(cp)) return Error(i_, "unexpected character " + CodePointName(cp));
    std::string shown(s_.substr(i_, len));
    if (cp < 0x80) return Error(i_, "unexpected character '" + shown + "'");
    return Error(i_, "unexpected character '" + shown + "' (" + CodePointName(cp) + ")");
  }

  // name ( '.' name )*: a bare state field, a keyword, or a path under a root.
  bool LexWord() {
    Token t;
    t.kind = TokenKind::kWord;
    t.offset = i_;
    while (true) {
      const size_t part = i_;
      while (i_ < s_.size() && IsWordChar(s_[i_])) ++i_;
      t.path.emplace_back(s_.substr(part, i_ - part));
      if (At(i_) != '.') break;
      if (!IsWordChar(At(i_ + 1))) return Error(i_ + 1, "expected a field name after '.'");
      ++i_;
    }
    t.length = i_ - t.offset;
    out_.push_back(std::move(t));
    return true;
  }

  bool LexNumber() {
    const size_t start = i_;
    // "YYYY-MM-" starts a timestamp; "2026-3" stays a subtraction.
    if (s_.size() - start >= 8 && IsDigit(s_[start + 1]) && IsDigit(s_[start + 2]) &&
        IsDigit(s_[start + 3]) && s_[start + 4] == '-' && IsDigit(s_[start + 5]) &&
        IsDigit(s_[start + 6]) && s_[start + 7] == '-') {
      return LexTime();
    }
    size_t j = start;
    while (IsDigit(At(j))) ++j;
    bool decimal = false;
    if (At(j) == '.' && IsDigit(At(j + 1))) {
      decimal = true;
      ++j;
      while (IsDigit(At(j))) ++j;
    }
    if (IsWordChar(At(j)) || At(j) == '.') {
      // Letters after a number: a duration, or a mistake to explain.
      size_t k = j;
      bool letters = false;
      while (IsWordChar(At(k)) || At(k) == '.') letters |= IsLetter(s_[k++]);
      const std::string_view word = s_.substr(start, k - start);
      if (!letters) return Error(start, "'" + std::string(word) + "' is not a number");
      Result<Micros> d = ParseDurationOrError(word);
      if (!d.ok()) return Error(start, d.status().message());
      Token t;
      t.kind = TokenKind::kDuration;
      t.offset = start;
      t.length = k - start;
      t.int_value = *d;
      out_.push_back(std::move(t));
      i_ = k;
      return true;
    }
    const std::string_view text = s_.substr(start, j - start);
    Token t;
    t.offset = start;
    t.length = j - start;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (!decimal) {
      auto [ptr, ec] = std::from_chars(first, last, t.int_value);
      if (ec == std::errc() && ptr == last) t.kind = TokenKind::kInt;
    }
    if (t.kind != TokenKind::kInt) {
      // A decimal, or an integer beyond int64 (read as an approximate decimal).
      auto [ptr, ec] = std::from_chars(first, last, t.double_value);
      if (ec != std::errc() || ptr != last) {
        return Error(start, "'" + std::string(text) + "' is out of range for a number");
      }
      t.kind = TokenKind::kDecimal;
    }
    out_.push_back(std::move(t));
    i_ = j;
    return true;
  }

  bool TwoDigits(size_t i) const { return IsDigit(At(i)) && IsDigit(At(i + 1)); }

  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), validated by ParseRfc3339.
  bool LexTime() {
    const size_t start = i_;
    size_t extent = start;  // what a message quotes
    while (IsWordChar(At(extent)) || At(extent) == ':' || At(extent) == '.' || At(extent) == '+' ||
           At(extent) == '-') {
      ++extent;
    }
    const std::string quoted = "'" + std::string(s_.substr(start, extent - start)) + "'";
    const std::string invalid =
        quoted + " is not a valid RFC 3339 time (write e.g. 2026-03-01T09:00:00Z)";
    if (!TwoDigits(start + 8)) return Error(start, invalid);
    size_t j = start + 10;
    if (At(j) != 'T' && At(j) != 't') {
      if (IsWordChar(At(j)) || At(j) == ':' || At(j) == '.') return Error(start, invalid);
      return Error(start, "'" + std::string(s_.substr(start, 10)) +
                              "' is a date, not a time: write a full RFC 3339 time, e.g. " +
                              std::string(s_.substr(start, 10)) + "T09:00:00Z");
    }
    ++j;
    if (!TwoDigits(j) || At(j + 2) != ':' || !TwoDigits(j + 3) || At(j + 5) != ':' ||
        !TwoDigits(j + 6)) {
      return Error(start, invalid);
    }
    j += 8;
    if (At(j) == '.') {
      ++j;
      if (!IsDigit(At(j))) return Error(start, invalid);
      while (IsDigit(At(j))) ++j;
    }
    if (At(j) == 'Z' || At(j) == 'z') {
      ++j;
    } else if (At(j) == '+' || At(j) == '-') {
      if (!TwoDigits(j + 1) || At(j + 3) != ':' || !TwoDigits(j + 4)) {
        return Error(start, invalid);
      }
      j += 6;
    } else if (IsWordChar(At(j)) || At(j) == ':') {
      return Error(start, invalid);
    } else {
      return Error(start, quoted + " has no time zone: add Z for UTC or an offset like +01:00");
    }
    if (IsWordChar(At(j)) || At(j) == '.' || At(j) == ':') return Error(start, invalid);
    std::optional<Micros> t = ParseRfc3339(s_.substr(start, j - start));
    if (!t) return Error(start, invalid);
    Token tok;
    tok.kind = TokenKind::kTime;
    tok.offset = start;
    tok.length = j - start;
    tok.int_value = *t;
    out_.push_back(std::move(tok));
    i_ = j;
    return true;
  }

  // Four hex digits at s_[i]; -1 if they are not there.
  int32_t Hex4(size_t i) const {
    int32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int h = HexValue(At(i + k));
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  }

  bool LexString() {
    const size_t start = i_;
    const char quote = s_[i_++];
    Token t;
    t.kind = TokenKind::kString;
    t.offset = start;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == quote) {
        ++i_;
        t.length = i_ - start;
        out_.push_back(std::move(t));
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error(i_, "control character in string (write \\n or \\t)");
      }
      if (c != '\\') {
        t.text += c;
        ++i_;
        continue;
      }
      const size_t escape = i_;
      const char e = At(i_ + 1);
      i_ += 2;
      switch (e) {
        case '"':
        case '\'':
        case '\\':
        case '/':
          t.text += e;
          break;
        case 'n':
          t.text += '\n';
          break;
        case 't':
          t.text += '\t';
          break;
        case 'r':
          t.text += '\r';
          break;
        case 'b':
          t.text += '\b';
          break;
        case 'f':
          t.text += '\f';
          break;
        case 'u': {
          int32_t cp = Hex4(i_);
          if (cp < 0) return Error(escape, "invalid \\u escape: expected 4 hex digits");
          i_ += 4;
          if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error(escape, "invalid \\u escape: unpaired surrogate");
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            const int32_t low = At(i_) == '\\' && At(i_ + 1) == 'u' ? Hex4(i_ + 2) : -1;
            if (low < 0xDC00 || low > 0xDFFF) {
              return Error(escape, "invalid \\u escape: unpaired surrogate");
            }
            i_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(static_cast<uint32_t>(cp), t.text);
          break;
        }
        case '\0':
          if (escape + 1 >= s_.size()) return Error(start, "unterminated string");
          [[fallthrough]];
        default:
          if (static_cast<unsigned char>(e) >= 0x21 && static_cast<unsigned char>(e) < 0x7F) {
            return Error(escape, std::string("unknown escape '\\") + e +
                                     "' in string (use \\\" \\' \\\\ \\n \\t \\uXXXX)");
          }
          return Error(escape, "unknown escape in string (use \\\" \\' \\\\ \\n \\t \\uXXXX)");
      }
    }
    return Error(start, "unterminated string");
  }

  bool LexOperator() {
    const size_t start = i_;
    size_t end = start;
    while (end < s_.size() && IsOperatorChar(s_[end])) ++end;
    const std::string_view run = s_.substr(start, end - start);
    // The longest operator at the start of the run, as long as whatever follows it in
    // the run is '!' (a prefix `not`, as in `a && !b`).
    for (size_t len = std::min<size_t>(2, run.size()); len >= 1; --len) {
      const std::string_view op = run.substr(0, len);
      if (run.substr(len).find_first_not_of('!') != std::string_view::npos) continue;
      TokenKind kind;
      if (op == "==") {
        kind = TokenKind::kEq;
      } else if (op == "!=") {
        kind = TokenKind::kNe;
      } else if (op == "<=") {
        kind = TokenKind::kLe;
      } else if (op == ">=") {
        kind = TokenKind::kGe;
      } else if (op == "&&") {
        kind = TokenKind::kAndAnd;
      } else if (op == "||") {
        kind = TokenKind::kOrOr;
      } else if (op == "<") {
        kind = TokenKind::kLt;
      } else if (op == ">") {
        kind = TokenKind::kGt;
      } else if (op == "!") {
        kind = TokenKind::kBang;
      } else {
        continue;
      }
      i_ = start + len;
      Push(kind, start, i_);
      return true;
    }
    std::string hint;
    if (run == "=") {
      hint = "; use '==' to compare";
    } else if (run == "=>") {
      hint = "; did you mean '>='?";
    } else if (run == "=<") {
      hint = "; did you mean '<='?";
    } else if (run == "<>" || run == "!==") {
      hint = "; use '!='";
    } else if (run == "===") {
      hint = "; use '=='";
    } else if (run == "&") {
      hint = "; use 'and' or '&&'";
    } else if (run == "|") {
      hint = "; use 'or' or '||'";
    }
    return Error(start, "unknown operator '" + std::string(run) + "'" + hint);
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> Lex(std::string_view text) {
  return Lexer(text).Run();
}

std::string DescribeToken(std::string_view text, const Token& token) {
  if (token.kind == TokenKind::kEnd) return "the end of the expression";
  constexpr size_t kMax = 30;
  std::string_view shown = text.substr(token.offset, token.length);
  bool cut = false;
  if (shown.size() > kMax) {
    size_t n = kMax;
    while (n > 0 && (static_cast<unsigned char>(shown[n]) & 0xC0) == 0x80) --n;
    shown = shown.substr(0, n);
    cut = true;
  }
  return "'" + std::string(shown) + (cut ? "...'" : "'");
}

}  // namespace herald::rules::internal
