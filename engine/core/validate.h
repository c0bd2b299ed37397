// Validators for client-supplied strings: UTF-8, email addresses, phone numbers,
// locales and time zones.
//
// Every function is a pure predicate on its argument, safe on hostile input of any
// length, never throws, and is thread-safe (the ICU and libphonenumber calls they make
// are documented as thread-safe).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace herald {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is ill-formed
// (overlong, surrogate, past U+10FFFF, truncated; Unicode's table 3-7, which rules these
// out by restricting the second byte). Inline: MIME encoding calls it once per non-ASCII
// character. `i` must be < s.size().
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Byte offset of the first byte of the first ill-formed UTF-8 sequence in `s`, or
// nullopt when all of `s` is well-formed (Unicode 15, table 3-7). Overlong forms,
// UTF-16 surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray continuation
// bytes and sequences cut off by the end of `s` are all ill-formed. NUL is well-formed.
std::optional<size_t> FindInvalidUtf8(std::string_view s);

// True when `s` contains a control character (C0 U+0000..U+001F, DEL, C1
// U+0080..U+009F) or a Unicode line/paragraph separator (U+2028, U+2029): characters
// that must never reach an identifier, a protocol header or a log line. `s` should be
// well-formed UTF-8; an ill-formed sequence counts as a control.
bool ContainsControl(std::string_view s);

// A pragmatic addr-spec check, safe to put in a mail header:
//   local-part '@' domain, at most 254 bytes in all, exactly one '@';
// - local-part: 1..64 bytes of RFC 5322 atext (letters, digits and !#$%&'*+-/=?^_`{|}~)
//   and '.', no leading, trailing or doubled dot; quoted local parts are not accepted;
// - domain: 1..253 bytes, at least two labels separated by '.', each label 1..63 bytes
//   of letters, digits and '-' not starting or ending with '-'; no trailing dot, no
//   address literals ([192.0.2.1]);
// - non-ASCII UTF-8 is allowed in both parts (SMTPUTF8 local parts, IDN domains) as long
//   as it is well-formed and not a control, space, format or separator character.
// Whitespace, controls, CR, LF, '"', '<', '>', ',', ';', '(', ')', '[', ']', '\\' and
// ':' are therefore always rejected.
bool IsValidEmail(std::string_view s);

// True for an E.164 number: '+', then 2..15 ASCII digits, the first 1-9, nothing else
// (no spaces or punctuation), that libphonenumber also considers a possible number for
// its country calling code (right length for the country; not a full validity check).
bool IsE164Phone(std::string_view s);

// True for a well-formed BCP 47 language tag that names a language, by ICU's strict
// parser: "en", "es-MX", "zh-Hans-CN", "sr-Latn-RS". Rejected: "", anything with
// characters other than ASCII letters, digits and '-' (so "en_US"), empty subtags,
// tags ICU only parses in part, and tags that name no language ("und", "x-private").
bool IsValidLocale(std::string_view s);

// True for a time zone id in ICU's copy of the IANA database (canonical ids and their
// aliases: "America/New_York", "US/Eastern", "UTC"). Case-sensitive; custom offsets
// ("GMT+05:00") and unknown ids are rejected.
bool IsKnownTimezone(std::string_view s);

}  // namespace herald
