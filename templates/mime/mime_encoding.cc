#include "templates/mime/mime_encoding.h"

#include <cstdint>
#include <cstdio>

#include "engine/core/validate.h"

namespace herald {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr size_t kMaxLine = 76;  // RFC 2045 for QP lines, RFC 2047 for encoded-word lines

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is ill-formed.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
  if (len == 0 || s.size() - i < len) return 0;
  if (len > 1 && FindInvalidUtf8(s.substr(i, len))) return 0;
  return len;
}

void AppendEscape(unsigned char b, std::string& out) {
  out += '=';
  out += kHex[b >> 4];
  out += kHex[b & 0x0F];
}

// Quoted-printable of one line (no line break in it), soft-broken at 76 characters.
void EncodeQpLine(std::string_view line, std::string& out) {
  size_t col = 0;
  size_t p = 0;
  std::string unit;
  while (p < line.size()) {
    // Build the next unit (one character, escaped or not) for the current column;
    // redo it at column 0 after a soft break, where '.' and "From " are escaped.
    size_t len = 1;
    for (int attempt = 0; attempt < 2; ++attempt) {
      unit.clear();
      const auto c = static_cast<unsigned char>(line[p]);
      len = 1;
      if (c >= 0x80) {
        len = Utf8Length(line, p);
        if (len == 0) len = 1;  // a stray byte: escape it alone
        for (size_t k = 0; k < len; ++k)
          AppendEscape(static_cast<unsigned char>(line[p + k]), unit);
      } else if (c == '=' || c < 0x20 || c == 0x7F) {
        AppendEscape(c, unit);
      } else if (c == ' ' && p + 1 == line.size()) {
        AppendEscape(c, unit);  // whitespace before a line end would be dropped in transit
      } else if (col == 0 && (c == '.' || (c == 'F' && line.substr(p, 5) == "From "))) {
        AppendEscape(c, unit);
      } else {
        unit += static_cast<char>(c);
      }
      const bool last = p + len == line.size();
      // A soft break needs one column for its '='; the line's last unit does not.
      const size_t limit = last ? kMaxLine : kMaxLine - 1;
      if (col == 0 || col + unit.size() <= limit) break;
      out += "=\r\n";
      col = 0;
    }
    out += unit;
    col += unit.size();
    p += len;
  }
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
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += kCrlf;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += kCrlf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
  const std::string norm = NormalizeCrlf(text);
  const std::string_view s = norm;
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  size_t i = 0;
  while (i < s.size()) {
    const size_t eol = s.find(kCrlf, i);
    if (eol == std::string_view::npos) {
      EncodeQpLine(s.substr(i), out);
      break;
    }
    EncodeQpLine(s.substr(i, eol - i), out);
    out += kCrlf;
    i = eol + 2;
  }
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
    size_t len = Utf8Length(text, i);
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
    size_t len = Utf8Length(text, i);
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
