// Walks the source of a scalar and its decoded value in step: each decoded byte is matched
// to the source byte(s) it came from. Any disagreement means the walk misread the source
// (a construct it does not model), and the scalar's own position is used instead: a
// position that is coarse but never wrong.
#include "engine/rules/scalar_position.h"

#include <optional>

namespace herald {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

enum class Style { kPlain, kSingle, kDouble };

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}
bool IsBreak(char c) {
  return c == '\n' || c == '\r';
}

// Byte offset of 0-based (line, column) as yaml-cpp counts them: lines end at "\n",
// "\r\n" or "\r"; columns are bytes; a leading byte order mark is not counted.
std::optional<size_t> OffsetOf(std::string_view source, int line, int column) {
  if (line < 0 || column < 0) return std::nullopt;
  size_t pos = source.starts_with(kBom) ? kBom.size() : 0;
  for (int l = 0; l < line; ++l) {
    while (pos < source.size() && !IsBreak(source[pos])) ++pos;
    if (pos == source.size()) return std::nullopt;
    pos += (source[pos] == '\r' && pos + 1 < source.size() && source[pos + 1] == '\n') ? 2 : 1;
  }
  pos += static_cast<size_t>(column);
  if (pos > source.size()) return std::nullopt;
  return pos;
}

// The inverse of OffsetOf.
YAML::Mark MarkOf(std::string_view source, size_t offset) {
  YAML::Mark mark;
  size_t line_start = source.starts_with(kBom) ? kBom.size() : 0;
  int line = 0;
  for (size_t i = line_start; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n' ||
        (source[i] == '\r' && (i + 1 >= source.size() || source[i + 1] != '\n'))) {
      ++line;
      line_start = i + 1;
    }
  }
  mark.pos = static_cast<int>(offset);
  mark.line = line;
  mark.column = static_cast<int>(offset - line_start);
  return mark;
}

size_t Utf8Length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// A double-quoted escape at the start of `s` (which starts with '\\'): how many source
// bytes it takes and how many bytes it decodes to. nullopt for an escape yaml-cpp would
// have refused (the scalar would not have parsed) or one this walk does not know.
std::optional<std::pair<size_t, size_t>> EscapeLengths(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  size_t hex_digits = 0;
  switch (s[1]) {
    case 'x':
      hex_digits = 2;
      break;
    case 'u':
      hex_digits = 4;
      break;
    case 'U':
      hex_digits = 8;
      break;
    case 'N':
    case '_':
      return std::pair<size_t, size_t>{2, 2};  // U+0085, U+00A0
    case 'L':
    case 'P':
      return std::pair<size_t, size_t>{2, 3};  // U+2028, U+2029
    case '0':
    case 'a':
    case 'b':
    case 't':
    case '\t':
    case 'n':
    case 'v':
    case 'f':
    case 'r':
    case 'e':
    case ' ':
    case '"':
    case '/':
    case '\\':
      return std::pair<size_t, size_t>{2, 1};
    default:
      return std::nullopt;
  }
  if (s.size() < 2 + hex_digits) return std::nullopt;
  uint32_t cp = 0;
  for (size_t i = 2; i < 2 + hex_digits; ++i) {
    char c = s[i];
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return std::nullopt;
    cp = cp * 16 + static_cast<uint32_t>(v);
  }
  return std::pair<size_t, size_t>{2 + hex_digits, Utf8Length(cp)};
}

// Past a line break at `pos` and the white space after it, including further empty lines.
// Counts the line breaks crossed.
size_t SkipFold(std::string_view source, size_t pos, size_t* breaks) {
  *breaks = 0;
  while (pos < source.size()) {
    if (source[pos] == '\r') {
      ++*breaks;
      pos += (pos + 1 < source.size() && source[pos + 1] == '\n') ? 2 : 1;
    } else if (source[pos] == '\n') {
      ++*breaks;
      ++pos;
    } else if (IsBlank(source[pos])) {
      ++pos;
    } else {
      break;
    }
  }
  return pos;
}

// The source offset of decoded byte `offset`, starting at `s` (the first content byte).
std::optional<size_t> Walk(std::string_view source, size_t s, Style style, std::string_view value,
                           size_t offset) {
  size_t d = 0;
  while (d < offset) {
    if (s >= source.size() || d >= value.size()) return std::nullopt;
    const char c = source[s];
    if (style == Style::kDouble && c == '\\') {
      if (s + 1 < source.size() && IsBreak(source[s + 1])) {  // an escaped line break
        size_t breaks;
        s = SkipFold(source, s + 1, &breaks);
        continue;
      }
      auto lengths = EscapeLengths(source.substr(s));
      if (!lengths) return std::nullopt;
      if (d + lengths->second > offset) return s;  // inside what the escape decodes to
      s += lengths->first;
      d += lengths->second;
      continue;
    }
    if (style == Style::kDouble && c == '"') return std::nullopt;  // the closing quote
    if (style == Style::kSingle && c == '\'') {
      if (s + 1 >= source.size() || source[s + 1] != '\'') return std::nullopt;  // closing
      if (value[d] != '\'') return std::nullopt;
      s += 2;
      ++d;
      continue;
    }
    if (IsBlank(c) || IsBreak(c)) {
      size_t e = s;
      while (e < source.size() && IsBlank(source[e])) ++e;
      if (e < source.size() && IsBreak(source[e])) {
        // Folding: trailing blanks go, one line break becomes a space, n > 1 become n - 1
        // line feeds, and the next line's indentation goes.
        size_t breaks;
        const size_t next = SkipFold(source, e, &breaks);
        const size_t produced = breaks == 1 ? 1 : breaks - 1;
        const char fill = breaks == 1 ? ' ' : '\n';
        for (size_t k = 0; k < produced && d + k < value.size(); ++k) {
          if (value[d + k] != fill) return std::nullopt;
        }
        if (d + produced > offset) return s;
        s = next;
        d += produced;
        continue;
      }
    }
    if (value[d] != c) return std::nullopt;
    ++s;
    ++d;
  }
  return s;
}

}  // namespace

YAML::Mark ScalarTextMark(std::string_view source, const YAML::Mark& scalar_mark,
                          std::string_view value, size_t offset) {
  const std::optional<size_t> start = OffsetOf(source, scalar_mark.line, scalar_mark.column);
  if (!start || *start >= source.size()) return scalar_mark;
  Style style;
  switch (source[*start]) {
    case '\'':
      style = Style::kSingle;
      break;
    case '"':
      style = Style::kDouble;
      break;
    // Block scalars: their indentation rules are not modelled; the indicator's position
    // is reported. Tags and anchors: the value starts further on.
    case '|':
    case '>':
    case '!':
    case '&':
      return scalar_mark;
    default:
      style = Style::kPlain;
      break;
  }
  const size_t content = *start + (style == Style::kPlain ? 0 : 1);
  const std::optional<size_t> at = Walk(source, content, style, value, offset);
  if (!at) return scalar_mark;
  return MarkOf(source, *at);
}

}  // namespace herald
