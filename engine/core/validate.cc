#include "engine/core/validate.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/stringpiece.h>
#include <unicode/timezone.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace herald {
namespace {

// Decodes one well-formed UTF-8 sequence at s[*pos], advancing *pos past it. Returns
// false (and leaves *pos alone) when the sequence at *pos is ill-formed. The ranges are
// Unicode's table 3-7, which rules out overlongs, surrogates and values past U+10FFFF
// by restricting the second byte.
bool DecodeUtf8(std::string_view s, size_t* pos, char32_t* cp) {
  const size_t i = *pos;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    *pos = i + 1;
    return true;
  }
  const size_t len = Utf8SequenceLength(s, i);
  if (len == 0) return false;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  char32_t v = (b0 & (0xFF >> (len + 1)));
  v = (v << 6) | (b1 & 0x3F);
  for (size_t k = 2; k < len; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = v;
  *pos = i + len;
  return true;
}

// Space, control, format (bidi marks, zero-width joiners, BOM) and separator
// characters: invisible or line-breaking, so never acceptable inside an address.
bool IsInvisibleOrSpace(char32_t cp) {
  return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & (U_GC_Z_MASK | U_GC_CC_MASK | U_GC_CF_MASK)) !=
         0;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext, ASCII part.
bool IsAtext(char c) {
  if (IsAsciiAlnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

// Checks one non-ASCII character at s[*pos] for an email address and skips it.
bool SkipAddressNonAscii(std::string_view s, size_t* pos) {
  char32_t cp;
  return DecodeUtf8(s, pos, &cp) && !IsInvisibleOrSpace(cp);
}

bool IsValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  size_t i = 0;
  char prev = 0;
  while (i < local.size()) {
    const char c = local[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (!SkipAddressNonAscii(local, &i)) return false;
      prev = 'x';
      continue;
    }
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = c;
    ++i;
  }
  return true;
}

bool IsValidDomainLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  size_t i = 0;
  while (i < label.size()) {
    const char c = label[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (!SkipAddressNonAscii(label, &i)) return false;
      continue;
    }
    if (!IsAsciiAlnum(c) && c != '-') return false;
    ++i;
  }
  return true;
}

bool IsValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsValidDomainLabel(label)) return false;  // also rejects "..", leading/trailing dot
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

}  // namespace

std::optional<size_t> FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Fast path: eight ASCII bytes at a time (most of any JSON body).
    if (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    if (!DecodeUtf8(s, &i, &cp)) return i;
  }
  return std::nullopt;
}

bool ContainsControl(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7F) return true;
      ++i;
      continue;
    }
    char32_t cp;
    if (!DecodeUtf8(s, &i, &cp)) return true;
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) return true;
  }
  return false;
}

bool IsValidEmail(std::string_view s) {
  if (s.size() < 3 || s.size() > 254) return false;
  const size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  // Each part checks its own characters (and UTF-8 well-formedness) byte by byte.
  return IsValidLocalPart(s.substr(0, at)) && IsValidDomain(s.substr(at + 1));
}

bool IsE164Phone(std::string_view s) {
  // The syntax check comes first: libphonenumber's parser is lenient (it accepts
  // spaces, punctuation, letters and extensions), and E.164 storage must be exact.
  if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(std::string(s), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return false;
  }
  return util->IsPossibleNumber(number);
}

bool IsValidLocale(std::string_view s) {
  // RFC 5646 only requires 35 characters of support; extensions make real tags a bit
  // longer. Anything past 128 is not a locale a template could be chosen by.
  if (s.empty() || s.size() > 128 || s.front() == '-' || s.back() == '-') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '-') {
      if (prev == '-') return false;
    } else if (!IsAsciiAlnum(c)) {
      return false;  // ICU also takes '_' as a separator; BCP 47 does not
    }
    prev = c;
  }
  UErrorCode status = U_ZERO_ERROR;
  // forLanguageTag fails unless it parsed the whole tag (strict, unlike uloc_*).
  const icu::Locale locale = icu::Locale::forLanguageTag(
      icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), status);
  if (U_FAILURE(status) || locale.isBogus()) return false;
  return locale.getLanguage()[0] != '\0';  // "und", "x-foo": no language to pick by
}

bool IsKnownTimezone(std::string_view s) {
  // The longest IANA id is about 30 characters; ids use only these characters.
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '/' && c != '_' && c != '-' && c != '+') return false;
  }
  const icu::UnicodeString id =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString canonical;
  UBool is_system_id = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, is_system_id, status);
  return U_SUCCESS(status) && is_system_id;
}

}  // namespace herald
