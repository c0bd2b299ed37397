#include "templates/mime/mime_encoding.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "engine/core/validate.h"

namespace herald {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr size_t kMaxLine = 76;  // RFC 2045 for QP lines, RFC 2047 for encoded-word lines

inline char* WriteEscape(unsigned char b, char* w) {
  w[0] = '=';
  w[1] = kHex[b >> 4];
  w[2] = kHex[b & 0x0F];
  return w + 3;
}

// True when the eight bytes at `q` are all printable ASCII or space (0x20..0x7E) and none
// is '=': copied as they are inside a line (bit tricks from "Bit Twiddling Hacks": a byte
// below 0x20, above 0x7E, or equal to '=').
inline bool EightPlain(const char* q) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t v;
  std::memcpy(&v, q, 8);
  const uint64_t below = (v - kOnes * 0x20) & ~v & kHigh;
  const uint64_t above = ((v + kOnes * (127 - 0x7E)) | v) & kHigh;
  const uint64_t eq = v ^ (kOnes * '=');
  const uint64_t equals = (eq - kOnes) & ~eq & kHigh;
  return (below | above | equals) == 0;
}

// True when position `p` of `s` ends a line: the end of the text or a line break.
inline bool AtLineEnd(std::string_view s, size_t p) {
  return p == s.size() || s[p] == '\r' || s[p] == '\n';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Civil date from days since 1970-01-01 (Howard Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::string NormalizeCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  size_t i = 0;
  while (i < text.size()) {
    const size_t br = text.find_first_of("\r\n", i);
    if (br == std::string_view::npos) break;
    out.append(text.substr(i, br - i));
    out.append(kCrlf);
    i = br + (text[br] == '\r' && br + 1 < text.size() && text[br + 1] == '\n' ? 2 : 1);
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

// One pass over the text, line breaks normalised on the way, into a buffer sized for the
// worst case and trimmed at the end: the encoder runs over every email's HTML and text,
// and non-Latin text triples in size, so it must not build a string per character.
// Worst case: 3 output bytes per input byte (an escape; a line break is at most 2), plus
// a 3-byte soft break per 64 output bytes at least (a break only happens past column 63,
// as no unit is longer than 12).
std::string EncodeQuotedPrintable(std::string_view s) {
  const size_t n = s.size();
  std::string out;
  out.resize(3 * n + 3 * n / 16 + 16);
  char* const begin = out.data();
  char* w = begin;
  size_t col = 0;
  size_t p = 0;
  while (p < n) {
    // Fast path: printable ASCII inside a line (never its first column, where '.' and
    // "From " are special) and short of the soft-break limit, copied as it is.
    while (col > 0 && col < kMaxLine - 1 && p < n) {
      if (col + 8 <= kMaxLine - 1 && n - p >= 8 && EightPlain(s.data() + p) &&
          !(s[p + 7] == ' ' && AtLineEnd(s, p + 8))) {
        std::memcpy(w, s.data() + p, 8);
        w += 8;
        col += 8;
        p += 8;
        continue;
      }
      const auto b = static_cast<unsigned char>(s[p]);
      if (b < 0x20 || b > 0x7E || b == '=' || (b == ' ' && AtLineEnd(s, p + 1))) break;
      *w++ = static_cast<char>(b);
      ++col;
      ++p;
    }
    if (p == n) break;
    const auto c = static_cast<unsigned char>(s[p]);
    if (c == '\r' || c == '\n') {  // a hard line break: CRLF, LF or a lone CR
      *w++ = '\r';
      *w++ = '\n';
      col = 0;
      p += (c == '\r' && p + 1 < n && s[p + 1] == '\n') ? 2 : 1;
      continue;
    }
    // The next unit: one character, escaped or not.
    size_t len = 1;
    bool escape;
    if (c >= 0x80) {
      len = Utf8SequenceLength(s, p);
      if (len == 0) len = 1;  // a stray byte: escape it alone
      escape = true;
    } else if (c == '=' || c < 0x20 || c == 0x7F) {
      escape = true;
    } else if (c == ' ') {
      escape = AtLineEnd(s, p + 1);  // whitespace before a line end is dropped in transit
    } else {
      escape = false;
    }
    // A soft break needs one column for its '='; the line's last unit does not (checked
    // only near the limit: most units are far from it).
    const size_t end_col = col + (escape ? 3 * len : 1);
    if (col > 0 && end_col > kMaxLine - 1 && (end_col > kMaxLine || !AtLineEnd(s, p + len))) {
      w[0] = '=';
      w[1] = '\r';
      w[2] = '\n';
      w += 3;
      col = 0;
    }
    // At the start of an output line, '.' and the 'F' of "From " are escaped too.
    if (!escape && col == 0 && (c == '.' || (c == 'F' && s.substr(p, 5) == "From "))) {
      escape = true;
    }
    if (escape) {
      for (size_t k = 0; k < len; ++k) w = WriteEscape(static_cast<unsigned char>(s[p + k]), w);
      col += 3 * len;
    } else {
      *w++ = static_cast<char>(c);
      ++col;
    }
    p += len;
  }
  out.resize(static_cast<size_t>(w - begin));
  return out;
}

std::optional<std::string> DecodeQuotedPrintable(std::string_view qp) {
  std::string out;
  size_t i = 0;
  while (i < qp.size()) {
    size_t eol = qp.find('\n', i);
    const bool has_break = eol != std::string_view::npos;
    if (!has_break) eol = qp.size();
    std::string_view line = qp.substr(i, eol - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    bool soft = false;
    for (size_t k = 0; k < line.size(); ++k) {
      if (line[k] != '=') {
        out += line[k];
        continue;
      }
      if (k + 1 == line.size()) {
        soft = true;
        break;
      }
      const int hi = HexValue(line[k + 1]);
      const int lo = k + 2 < line.size() ? HexValue(line[k + 2]) : -1;  // "=A" at the end
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      k += 2;
    }
    if (has_break && !soft) out += kCrlf;
    i = eol + 1;
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string SanitizeHeaderText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool replacing = false;
  for (size_t i = 0; i < text.size();) {
    size_t len = Utf8SequenceLength(text, i);
    const bool bad = len == 0 || ContainsControl(text.substr(i, len));
    if (len == 0) len = 1;
    if (bad) {
      if (!replacing) out += ' ';
      replacing = true;
    } else {
      out.append(text.substr(i, len));
      replacing = false;
    }
    i += len;
  }
  const size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  const size_t last = out.find_last_not_of(' ');
  return out.substr(first, last - first + 1);
}

std::vector<std::string> EncodeWords(std::string_view text, size_t first_max, size_t max) {
  constexpr std::string_view kPrefix = "=?UTF-8?B?";
  constexpr size_t kOverhead = kPrefix.size() + 2;  // "=?UTF-8?B?" ... "?="
  // The most raw bytes a word of `limit` characters carries: whole base64 quanta only.
  const auto capacity = [&](size_t limit) -> size_t {
    return limit <= kOverhead ? 0 : (limit - kOverhead) / 4 * 3;
  };
  if (max > 75) max = 75;
  std::vector<std::string> words;
  size_t i = 0;
  size_t cap = capacity(first_max);
  std::string chunk;
  const auto flush = [&] {
    words.push_back(chunk.empty() ? std::string()
                                  : std::string(kPrefix) + Base64Encode(chunk) + "?=");
    chunk.clear();
    cap = capacity(max);
  };
  while (i < text.size()) {
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) len = 1;
    if (chunk.size() + len > cap) {
      flush();  // an empty first word when even one character did not fit
      continue;
    }
    chunk.append(text.substr(i, len));
    i += len;
  }
  if (!chunk.empty()) flush();
  return words;
}

bool IsPlainHeaderText(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return text.find("=?") == std::string_view::npos;
}

std::string FoldHeader(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out(name);
  out += ':';
  size_t col = out.size();
  for (const std::string& token : tokens) {
    if (!token.empty() && col + 1 + token.size() > kMaxLine) {
      out += kCrlf;
      col = 0;
    }
    out += ' ';
    out += token;
    col += 1 + token.size();
  }
  out += kCrlf;
  return out;
}

std::vector<std::string> UnstructuredTokens(std::string_view name, std::string_view value) {
  const std::string text = SanitizeHeaderText(value);
  if (text.empty()) return {};
  const size_t first_max = name.size() + 2 < kMaxLine ? kMaxLine - name.size() - 2 : 0;
  if (IsPlainHeaderText(text)) {
    std::vector<std::string> words;
    bool fits = true;
    size_t start = 0;
    while (true) {
      const size_t space = text.find(' ', start);
      words.emplace_back(text.substr(start, space == std::string::npos ? space : space - start));
      const size_t room = words.size() == 1 ? first_max : kMaxLine - 1;
      if (words.back().size() > room) fits = false;
      if (space == std::string::npos) break;
      start = space + 1;
    }
    if (fits) return words;
  }
  return EncodeWords(text, first_max, 75);
}

std::string FormatRfc5322Date(Micros t, int utc_offset_minutes) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (utc_offset_minutes <= -1440 || utc_offset_minutes >= 1440) utc_offset_minutes = 0;
  const int64_t seconds = FloorDiv(t, 1'000'000) + int64_t{utc_offset_minutes} * 60;
  const int64_t days = FloorDiv(seconds, 86'400);
  const int64_t secs_of_day = seconds - days * 86'400;
  int64_t year = 0;
  unsigned month = 1, day = 1;
  CivilFromDays(days, &year, &month, &day);
  const int64_t weekday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  const int offset = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d %c%02d%02d", kDays[weekday],
                day, kMonths[month - 1], static_cast<long long>(year),
                static_cast<int>(secs_of_day / 3600), static_cast<int>(secs_of_day / 60 % 60),
                static_cast<int>(secs_of_day % 60), utc_offset_minutes < 0 ? '-' : '+', offset / 60,
                offset % 60);
  return buf;
}

}  // namespace herald
