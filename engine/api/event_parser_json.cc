// JsonCursor: see event_parser_json.h.

#include "engine/api/event_parser_json.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <system_error>
#include <utility>

namespace herald {
namespace event_parser_internal {
namespace {

using json = nlohmann::json;

// Bytes that stand for themselves inside a JSON string: ASCII from space on, except the
// quote and the backslash. (DEL is allowed by JSON; controls must be escaped.)
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

// Nonzero when one of the 8 bytes of `w` (little-endian) is not a plain string byte:
// the lowest flagged byte is the first such one (the bit tricks can also flag bytes
// after it, never before).
inline uint64_t NonPlainBytes(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  auto zero_bytes = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  return zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) |
         ((w - kOnes * 0x20) & ~w & kHigh) |  // bytes below 0x20
         (w & kHigh);                         // non-ASCII
}

// Length of the well-formed UTF-8 sequence starting with the non-ASCII byte at s[0], or
// 0 (Unicode table 3-7: no overlongs, surrogates or code points above U+10FFFF).
size_t Utf8SequenceLength(const unsigned char* s, size_t available) {
  auto in = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < available && s[i] >= lo && s[i] <= hi;
  };
  const unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

bool JsonCursor::ReadString(std::string_view* out) {
  if (*p_ != '"') return false;
  const char* run = ++p_;  // start of the bytes not yet copied to unescaped_
  bool unescaped = false;  // whether unescaped_ holds the string up to `run`
  while (true) {
    SkipPlainBytes();
    if (p_ == end_) return false;
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      if (unescaped) {
        unescaped_.append(run, p_);
        *out = unescaped_;
      } else {
        *out = std::string_view(run, static_cast<size_t>(p_ - run));
      }
      ++p_;
      return true;
    }
    if (c == '\\') {
      if (!unescaped) unescaped_.clear();
      unescaped = true;
      unescaped_.append(run, p_);
      if (!ReadEscape()) return false;
      run = p_;
    } else if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                          static_cast<size_t>(end_ - p_));
      if (n == 0) return false;
      p_ += n;
    } else {
      return false;  // a control character: JSON requires it escaped
    }
  }
}

// Advances over bytes that stand for themselves in a string, 8 at a time when it can:
// this is where most of the body's bytes are.
void JsonCursor::SkipPlainBytes() {
  if constexpr (std::endian::native == std::endian::little) {
    while (end_ - p_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      if (const uint64_t special = NonPlainBytes(w); special != 0) {
        p_ += std::countr_zero(special) / 8;
        return;
      }
      p_ += 8;
    }
  }
  while (p_ != end_ && kPlainStringByte[static_cast<unsigned char>(*p_)]) ++p_;
}

// The escape at p_ (a backslash), appended to unescaped_ as UTF-8.
bool JsonCursor::ReadEscape() {
  if (end_ - p_ < 2) return false;
  const char c = p_[1];
  p_ += 2;
  switch (c) {
    case '"':
    case '\\':
    case '/':
      unescaped_.push_back(c);
      return true;
    case 'b':
      unescaped_.push_back('\b');
      return true;
    case 'f':
      unescaped_.push_back('\f');
      return true;
    case 'n':
      unescaped_.push_back('\n');
      return true;
    case 'r':
      unescaped_.push_back('\r');
      return true;
    case 't':
      unescaped_.push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  uint32_t cp;
  if (!ReadHex4(&cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
  if (cp >= 0xD800 && cp <= 0xDBFF) {              // must pair with a low one
    uint32_t low;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
    p_ += 2;
    if (!ReadHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(cp, &unescaped_);
  return true;
}

bool JsonCursor::ReadHex4(uint32_t* cp) {
  if (end_ - p_ < 4) return false;
  *cp = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = *p_++;
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    *cp = *cp << 4 | digit;
  }
  return true;
}

bool JsonCursor::ReadLiteral(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() ||
      std::memcmp(p_, word.data(), word.size()) != 0) {
    return false;
  }
  p_ += word.size();
  return true;
}

// As nlohmann reads numbers: integers without fraction or exponent are int64 (negative)
// or uint64, everything else a double. Both from_chars and nlohmann's strtod round to
// the nearest double, so the values are the same. Integers past 64 bits (nlohmann falls
// back to a double) and doubles out of range (nlohmann: an error if infinite, strtod's
// answer if tiny) are refused: rare, and the general path reproduces nlohmann exactly.
bool JsonCursor::ReadNumber(json* out) {
  const char* const start = p_;
  auto digits = [&] {
    const char* from = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != from;
  };
  const bool negative = *p_ == '-';
  if (negative) ++p_;
  if (p_ == end_) return false;
  if (*p_ == '0') {
    ++p_;
  } else if (!digits()) {
    return false;
  }
  bool integer = true;
  if (p_ != end_ && *p_ == '.') {
    ++p_;
    if (!digits()) return false;
    integer = false;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (!digits()) return false;
    integer = false;
  }
  if (integer && negative) {
    json::number_integer_t v;
    if (std::from_chars(start, p_, v).ec != std::errc()) return false;
    *out = v;
  } else if (integer) {
    json::number_unsigned_t v;
    if (std::from_chars(start, p_, v).ec != std::errc()) return false;
    *out = v;
  } else {
    json::number_float_t v;
    if (std::from_chars(start, p_, v).ec != std::errc() || !std::isfinite(v)) return false;
    *out = v;
  }
  return true;
}

bool JsonCursor::ReadValue(uint32_t level, json* out) {
  switch (*p_) {
    case '{': {
      if (!Open('{', level)) return false;
      *out = json::object();
      auto& obj = out->get_ref<json::object_t&>();
      return ReadMembers([&](std::string_view key) {
        if (key.size() > max_string_bytes_) return false;
        // Of repeated keys the last wins, as in nlohmann's DOM parser.
        return ReadValue(level + 1, &obj[std::string(key)]);
      });
    }
    case '[': {
      if (!Open('[', level)) return false;
      // Elements wait on the stack of pending_ (nested arrays above them) so that the
      // array is allocated once, at its final size.
      const size_t first = pending_.size();
      const bool ok = ReadElements([&] {
        json element;
        if (!ReadValue(level + 1, &element)) return false;
        pending_.push_back(std::move(element));
        return true;
      });
      if (!ok) return false;
      const auto begin = pending_.begin() + static_cast<std::ptrdiff_t>(first);
      *out = json::array_t(std::make_move_iterator(begin), std::make_move_iterator(pending_.end()));
      pending_.erase(begin, pending_.end());
      return true;
    }
    case '"': {
      std::string_view s;
      if (!ReadString(&s) || s.size() > max_string_bytes_) return false;
      *out = std::string(s);
      return true;
    }
    case 't':
      *out = true;
      return ReadLiteral("true");
    case 'f':
      *out = false;
      return ReadLiteral("false");
    case 'n':
      *out = nullptr;
      return ReadLiteral("null");
    default:
      return (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) && ReadNumber(out);
  }
}

}  // namespace event_parser_internal
}  // namespace herald
