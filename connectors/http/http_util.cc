#include "connectors/http/http_util.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/core/redact.h"
#include "engine/core/validate.h"

namespace herald::http {

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string FormDecodeOne(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> CheckHttpUrl(std::string_view url, bool allow_query) {
  size_t scheme_len = 0;
  if (StartsWithNoCase(url, "https://")) {
    scheme_len = 8;
  } else if (StartsWithNoCase(url, "http://")) {
    scheme_len = 7;
  } else {
    return "must be an http:// or https:// URL";
  }
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return "must not contain spaces or control characters";
  }
  if (FindInvalidUtf8(url) || ContainsControl(url)) return "must be UTF-8 without controls";
  if (url.find('#') != std::string_view::npos) return "must not contain a fragment ('#')";
  std::string_view rest = url.substr(scheme_len);
  size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return "must not contain user info (user:password@); use the connector's options";
  }
  if (authority.empty() || authority.front() == ':') return "must name a host";
  if (!allow_query && url.find('?') != std::string_view::npos) {
    return "must not contain a query string ('?')";
  }
  // A port, when given, is 1-65535.
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = authority.substr(colon + 1);
    int n = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || n < 1 || n > 65535) {
      return "has an invalid port";
    }
  }
  return std::nullopt;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2 + 8);
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(k);
    out += '=';
    out += PercentEncode(v);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FormDecode(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(FormDecodeOne(pair), "");
      } else {
        out.emplace_back(FormDecodeOne(pair.substr(0, eq)), FormDecodeOne(pair.substr(eq + 1)));
      }
    }
    pos = amp + 1;
  }
  return out;
}

std::optional<Micros> ParseRetryAfter(std::string_view value, Micros now) {
  constexpr Micros kMax = Micros{24} * 3600 * 1'000'000;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kMax;
    int64_t seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return std::min<Micros>(seconds * 1'000'000, kMax);
  }
  std::string copy(value);
  time_t t = curl_getdate(copy.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  Micros at = static_cast<Micros>(t) * 1'000'000;
  if (at <= now) return Micros{0};
  return std::min<Micros>(at - now, kMax);
}

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool IsSafeHeaderValue(std::string_view s) {
  if (FindInvalidUtf8(s)) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  // C1 controls and Unicode separators (checked without the tab, which ContainsControl
  // counts as a control).
  std::string no_tabs(s);
  std::replace(no_tabs.begin(), no_tabs.end(), '\t', ' ');
  if (ContainsControl(no_tabs)) return false;
  if (!s.empty() &&
      (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t')) {
    return false;
  }
  return true;
}

std::string SanitizeGatewayText(std::string_view text, size_t max_bytes) {
  // 1. Controls and ill-formed UTF-8 become spaces (whitespace collapsed).
  std::string clean;
  clean.reserve(std::min(text.size(), size_t{4096}));
  std::string_view rest = text.substr(0, 4096);
  while (!rest.empty()) {
    std::optional<size_t> bad = FindInvalidUtf8(rest);
    std::string_view good = rest.substr(0, bad.value_or(rest.size()));
    // Walk code points of the well-formed part.
    size_t i = 0;
    while (i < good.size()) {
      unsigned char u = static_cast<unsigned char>(good[i]);
      size_t len = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
      std::string_view cp = good.substr(i, len);
      if (ContainsControl(cp) || cp == " ") {
        if (!clean.empty() && clean.back() != ' ') clean += ' ';
      } else {
        clean.append(cp);
      }
      i += len;
    }
    if (!bad) break;
    if (!clean.empty() && clean.back() != ' ') clean += ' ';
    rest = rest.substr(*bad + 1);
  }
  // 2. Personal data out: addresses and numbers, then any long digit run.
  std::string redacted = RedactPersonalData(clean);
  std::string out;
  out.reserve(redacted.size());
  for (size_t i = 0; i < redacted.size();) {
    if (std::isdigit(static_cast<unsigned char>(redacted[i]))) {
      size_t j = i;
      while (j < redacted.size() && std::isdigit(static_cast<unsigned char>(redacted[j]))) ++j;
      if (j - i >= 7) {
        if (!out.empty() && out.back() == '+') out.pop_back();
        out += "[phone]";
      } else {
        out.append(redacted, i, j - i);
      }
      i = j;
    } else {
      out += redacted[i++];
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t start = out.find_first_not_of(' ');
  out.erase(0, start == std::string::npos ? out.size() : start);
  // 3. Cut on a character boundary.
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

std::string SanitizeGatewayId(std::string_view id, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(id.size(), max_bytes));
  for (char c : id) {
    if (out.size() >= max_bytes) break;
    if (c >= 0x21 && c <= 0x7e) out += c;
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 0xf];
  }
  return out;
}

}  // namespace herald::http
