#include "engine/core/redact.h"

#include <cctype>

namespace herald {
namespace {

bool IsLocalChar(unsigned char c) {
  return std::isalnum(c) || c >= 0x80 ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}
bool IsDomainChar(unsigned char c) {
  return std::isalnum(c) || c >= 0x80 || c == '-' || c == '.';
}
bool IsPhoneSeparator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

// If a phone number starts at `i`, returns its length; else 0.
size_t PhoneLengthAt(std::string_view s, size_t i) {
  const bool plus = s[i] == '+';
  if (!plus && !(s[i] == '(' || std::isdigit(static_cast<unsigned char>(s[i])))) return 0;
  // A digit run glued to a preceding word character is part of something else (an id).
  if (i > 0 && (std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_')) return 0;
  size_t j = plus ? i + 1 : i;
  size_t digits = 0, separators = 0, last_digit_end = 0;
  while (j < s.size()) {
    const char c = s[j];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
      last_digit_end = j + 1;
    } else if (IsPhoneSeparator(c) && j + 1 < s.size()) {
      // A separator counts only inside the number, not trailing after it.
      const char next = s[j + 1];
      if (std::isdigit(static_cast<unsigned char>(next)) || IsPhoneSeparator(next)) ++separators;
    } else {
      break;
    }
    ++j;
  }
  if (last_digit_end == 0 || digits < 7 || digits > 15) return 0;
  if (last_digit_end < s.size() && std::isalnum(static_cast<unsigned char>(s[last_digit_end]))) {
    return 0;
  }
  // Without '+', only a formatted national number ("(415) 555-0100") counts: a bare digit
  // run is a sequence number or a timestamp, and shorter groups are dates, times and ids.
  if (!plus && (separators == 0 || digits < 10)) return 0;
  return last_digit_end - i;
}

}  // namespace

std::string RedactPersonalData(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '@') {
      // Walk back over the local part already copied, forward over the domain.
      size_t local = 0;
      while (local < out.size() &&
             IsLocalChar(static_cast<unsigned char>(out[out.size() - 1 - local]))) {
        ++local;
      }
      size_t end = i + 1;
      bool dot = false;
      while (end < s.size() && IsDomainChar(static_cast<unsigned char>(s[end]))) {
        dot = dot || s[end] == '.';
        ++end;
      }
      if (local > 0 && end > i + 1 && dot) {
        out.resize(out.size() - local);
        out += "[email]";
        i = end;
        continue;
      }
    }
    if (const size_t len = PhoneLengthAt(s, i); len > 0) {
      out += "[phone]";
      i += len;
      continue;
    }
    out.push_back(s[i]);
    ++i;
  }
  return out;
}

}  // namespace herald
