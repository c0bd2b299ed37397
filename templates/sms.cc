#include "templates/sms.h"

#include <algorithm>
#include <array>

#include "templates/text_util.h"

namespace herald {
namespace {

using templates_internal::DecodeUtf8;

// GSM 03.38 default alphabet, as Unicode (the escape 0x1B is not a character).
constexpr std::array<char32_t, 127> kGsmBasic = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò',  U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å',
    U'å', U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ',  U'Σ', U'Θ',  U'Ξ', U'Æ', U'æ',  U'ß',
    U'É', U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')',  U'*', U'+', U',',  U'-',
    U'.', U'/', U'0', U'1', U'2', U'3', U'4', U'5', U'6',  U'7', U'8',  U'9', U':', U';',  U'<',
    U'=', U'>', U'?', U'¡', U'A', U'B', U'C', U'D', U'E',  U'F', U'G',  U'H', U'I', U'J',  U'K',
    U'L', U'M', U'N', U'O', U'P', U'Q', U'R', U'S', U'T',  U'U', U'V',  U'W', U'X', U'Y',  U'Z',
    U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'a', U'b', U'c',  U'd', U'e',  U'f', U'g', U'h',  U'i',
    U'j', U'k', U'l', U'm', U'n', U'o', U'p', U'q', U'r',  U's', U't',  U'u', U'v', U'w',  U'x',
    U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à'};
// The extension table: each is sent as ESC + one septet.
constexpr std::array<char32_t, 10> kGsmExtension = {U'\f', U'^', U'{', U'}', U'\\',
                                                    U'[',  U'~', U']', U'|', U'€'};

// Septets for `cp`: 1, 2, or 0 when it is not in GSM-7.
int GsmSeptets(char32_t cp) {
  // Printable ASCII is the common case: everything but ` and the extension characters.
  if (cp >= 0x20 && cp < 0x7F && cp != '`') {
    switch (cp) {
      case '^':
      case '{':
      case '}':
      case '\\':
      case '[':
      case '~':
      case ']':
      case '|':
        return 2;
      default:
        return 1;
    }
  }
  if (std::find(kGsmBasic.begin(), kGsmBasic.end(), cp) != kGsmBasic.end()) return 1;
  if (std::find(kGsmExtension.begin(), kGsmExtension.end(), cp) != kGsmExtension.end()) return 2;
  return 0;
}

// Segments for characters of the given costs: one when the total fits `single`, else
// greedy packing into segments of `multi` without splitting a character.
template <typename Costs>
int Segments(const Costs& costs, int total, int single, int multi) {
  if (total == 0) return 0;
  if (total <= single) return 1;
  int segments = 1, used = 0;
  for (int c : costs) {
    if (used + c > multi) {
      ++segments;
      used = 0;
    }
    used += c;
  }
  return segments;
}

bool IsUrlChar(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b <= 0x20 || b >= 0x7F) return false;
  return c != '<' && c != '>' && c != '"' && c != '`';
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Length of the URL at the start of `s` (which starts with a scheme), 0 if there is none.
size_t UrlLength(std::string_view s) {
  const size_t scheme = StartsWithIgnoreCase(s, "https://") ? 8 : 7;
  size_t n = scheme;
  while (n < s.size() && IsUrlChar(s[n])) ++n;
  // Trailing punctuation belongs to the sentence, unbalanced closers to the text around.
  while (n > scheme) {
    const char c = s[n - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'') {
      --n;
    } else if (c == ')' || c == ']') {
      const char open = c == ')' ? '(' : '[';
      std::string_view url = s.substr(0, n);
      if (std::count(url.begin(), url.end(), open) < std::count(url.begin(), url.end(), c)) {
        --n;
      } else {
        break;
      }
    } else {
      break;
    }
  }
  return n > scheme ? n : 0;
}

}  // namespace

SmsInfo CountSms(std::string_view utf8) {
  SmsInfo info;
  std::vector<int> costs;
  costs.reserve(utf8.size());
  bool gsm = true;
  int septets = 0;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t cp = DecodeUtf8(utf8, &i);
    const int s = GsmSeptets(cp);
    if (s == 0) {
      gsm = false;
      break;
    }
    costs.push_back(s);
    septets += s;
  }
  if (gsm) {
    info.encoding = "GSM-7";
    info.units = septets;
    info.segments = Segments(costs, septets, 160, 153);
    return info;
  }
  costs.clear();
  int units = 0;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t cp = DecodeUtf8(utf8, &i);
    const int u = cp >= 0x10000 ? 2 : 1;
    costs.push_back(u);
    units += u;
  }
  info.encoding = "UCS-2";
  info.units = units;
  info.segments = Segments(costs, units, 70, 67);
  return info;
}

std::string RewriteUrls(std::string_view text,
                        const std::function<std::string(std::string_view)>& rewrite) {
  if (!rewrite) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t h = text.find_first_of("hH", i);
    if (h == std::string_view::npos) break;
    std::string_view rest = text.substr(h);
    size_t len = 0;
    if ((h == 0 || !IsAlnum(text[h - 1])) &&
        (StartsWithIgnoreCase(rest, "http://") || StartsWithIgnoreCase(rest, "https://"))) {
      len = UrlLength(rest);
    }
    if (len == 0) {
      out.append(text.substr(i, h + 1 - i));
      i = h + 1;
      continue;
    }
    out.append(text.substr(i, h - i));
    out.append(rewrite(rest.substr(0, len)));
    i = h + len;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

}  // namespace herald
