// A strict JSON reader for the event parser's fast path (event_parser_fast.cc).
//
// It is not a general JSON parser: it answers only "read this, as nlohmann would", and a
// false return means "not handled here", never an explanation. What it accepts is
// exactly RFC 8259 as nlohmann::json::parse reads it: the same whitespace, escapes,
// surrogate pairing and UTF-8 rules (Unicode table 3-7), numbers converted to the same
// json types and values, objects built the same way (of repeated keys, the last wins).
// Rarer forms that nlohmann accepts (a byte order mark, integers beyond 64 bits,
// doubles that underflow) it refuses, and the general path deals with them.
//
// Why not nlohmann's own parser (even through its SAX interface): it spends most of its
// time on per-byte bookkeeping (positions, the token text for error messages) that a
// body without errors never needs; reading into Events directly also skips the DOM of
// everything outside `data`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace herald {
namespace event_parser_internal {

// Reads one span of bytes (a body, or one NDJSON line) from the front. Value readers
// expect the cursor on the first byte of a value: after SkipSpace, with bytes left.
class JsonCursor {
 public:
  // Containers deeper than `max_level` and strings (and keys) inside data longer than
  // `max_string_bytes` are refused.
  JsonCursor(uint32_t max_level, uint64_t max_string_bytes)
      : max_level_(max_level), max_string_bytes_(max_string_bytes) {}

  void Reset(const char* begin, const char* end) {
    p_ = begin;
    end_ = end;
  }
  bool AtEnd() const { return p_ == end_; }
  char Peek() const { return *p_; }
  const char* position() const { return p_; }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // Skips whitespace, then consumes `c` if it is next.
  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // Consumes `bracket` ('{' or '[') opening a container at nesting level `level`.
  bool Open(char bracket, uint32_t level) {
    if (*p_ != bracket || level > max_level_) return false;
    ++p_;
    return true;
  }

  bool ReadNull() { return *p_ == 'n' && ReadLiteral("null"); }

  // A string, unescaped. *out points into the input when the string has no escapes
  // (the common case: no copy), else into a buffer that the next string reuses.
  bool ReadString(std::string_view* out);

  // Any value, into *out as nlohmann's DOM parser builds it; a container here is at
  // nesting level `level`.
  bool ReadValue(uint32_t level, nlohmann::json* out);

  // The members of the object whose '{' was just consumed, through the closing '}':
  // `member(key)` reads each value. The key may live in the string buffer, so `member`
  // must be done with it before it reads another string.
  template <typename Member>
  bool ReadMembers(Member member) {
    if (Consume('}')) return true;
    while (true) {
      std::string_view key;
      SkipSpace();
      if (p_ == end_ || !ReadString(&key) || !Consume(':')) return false;
      SkipSpace();
      if (p_ == end_ || !member(key)) return false;
      SkipSpace();
      if (p_ == end_) return false;
      const char c = *p_++;
      if (c == '}') return true;
      if (c != ',') return false;
    }
  }

  // The elements of the array whose '[' was just consumed, through the closing ']':
  // `element()` reads each one.
  template <typename Element>
  bool ReadElements(Element element) {
    if (Consume(']')) return true;
    while (true) {
      SkipSpace();
      if (p_ == end_ || !element()) return false;
      SkipSpace();
      if (p_ == end_) return false;
      const char c = *p_++;
      if (c == ']') return true;
      if (c != ',') return false;
    }
  }

 private:
  bool ReadLiteral(std::string_view word);
  void SkipPlainBytes();
  bool ReadEscape();
  bool ReadHex4(uint32_t* value);
  bool ReadNumber(nlohmann::json* out);

  const uint32_t max_level_;
  const uint64_t max_string_bytes_;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::string unescaped_;                // strings with escapes; reused to save allocations
  std::vector<nlohmann::json> pending_;  // elements of the arrays being read
};

}  // namespace event_parser_internal
}  // namespace herald
