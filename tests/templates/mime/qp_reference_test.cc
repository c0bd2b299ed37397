// The quoted-printable encoder against the straightforward one it replaced (kept here as
// the reference): byte-identical output on random text, so stored and sent emails do not
// change with the faster encoder.
#include <random>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "engine/core/validate.h"
#include "templates/mime/mime_encoding.h"

namespace herald {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr size_t kMaxLine = 76;

size_t ReferenceUtf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
  if (len == 0 || s.size() - i < len) return 0;
  if (len > 1 && FindInvalidUtf8(s.substr(i, len))) return 0;
  return len;
}

void ReferenceEscape(unsigned char b, std::string& out) {
  out += '=';
  out += kHex[b >> 4];
  out += kHex[b & 0x0F];
}

void ReferenceQpLine(std::string_view line, std::string& out) {
  size_t col = 0;
  size_t p = 0;
  std::string unit;
  while (p < line.size()) {
    size_t len = 1;
    for (int attempt = 0; attempt < 2; ++attempt) {
      unit.clear();
      const auto c = static_cast<unsigned char>(line[p]);
      len = 1;
      if (c >= 0x80) {
        len = ReferenceUtf8Length(line, p);
        if (len == 0) len = 1;
        for (size_t k = 0; k < len; ++k)
          ReferenceEscape(static_cast<unsigned char>(line[p + k]), unit);
      } else if (c == '=' || c < 0x20 || c == 0x7F) {
        ReferenceEscape(c, unit);
      } else if (c == ' ' && p + 1 == line.size()) {
        ReferenceEscape(c, unit);
      } else if (col == 0 && (c == '.' || (c == 'F' && line.substr(p, 5) == "From "))) {
        ReferenceEscape(c, unit);
      } else {
        unit += static_cast<char>(c);
      }
      const bool last = p + len == line.size();
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

std::string ReferenceQp(std::string_view text) {
  const std::string norm = NormalizeCrlf(text);
  const std::string_view s = norm;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t eol = s.find(kCrlf, i);
    if (eol == std::string_view::npos) {
      ReferenceQpLine(s.substr(i), out);
      break;
    }
    ReferenceQpLine(s.substr(i, eol - i), out);
    out += kCrlf;
    i = eol + 2;
  }
  return out;
}

std::string ReferenceNormalizeCrlf(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += kCrlf;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += kCrlf;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Random text from pieces that exercise every rule: line breaks of each kind, spaces
// and tabs at line ends, '=', '.', "From ", long words, multi-byte characters, and
// ill-formed bytes.
std::string RandomText(std::mt19937& rng) {
  static const char* const kPieces[] = {"a",
                                        "word ",
                                        " ",
                                        "\t",
                                        "\n",
                                        "\r\n",
                                        "\r",
                                        "=",
                                        ".",
                                        "From ",
                                        "F",
                                        "é",
                                        "日本",
                                        "😀",
                                        "ı",
                                        "\xFF",
                                        "\xC3",
                                        "\xE0\x80\x80",
                                        "\xED\xA0\x80",
                                        "\xF4\x90\x80\x80",
                                        "x",
                                        "0123456789",
                                        "abcdefghijklmnopqrstuvwxyz",
                                        "\x7F",
                                        "\x01",
                                        "~",
                                        "-- "};
  std::uniform_int_distribution<size_t> pick(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> count(0, 400);
  std::string s;
  for (int k = count(rng); k > 0; --k) s += kPieces[pick(rng)];
  return s;
}

TEST_CASE("EncodeQuotedPrintable is byte-identical to the reference encoder") {
  std::mt19937 rng(20261123);
  for (int i = 0; i < 4000; ++i) {
    const std::string text = RandomText(rng);
    CAPTURE(text);
    REQUIRE(EncodeQuotedPrintable(text) == ReferenceQp(text));
    REQUIRE(NormalizeCrlf(text) == ReferenceNormalizeCrlf(text));
  }
  // Long runs of one kind, across many soft breaks.
  for (const std::string& text : {std::string(1000, 'a'), std::string(1000, '.'),
                                  std::string(999, ' '), std::string(500, '='), [] {
                                    std::string s;
                                    for (int i = 0; i < 300; ++i) s += "日";
                                    return s;
                                  }()}) {
    CHECK(EncodeQuotedPrintable(text) == ReferenceQp(text));
  }
  CHECK(EncodeQuotedPrintable("").empty());
}

}  // namespace
}  // namespace herald
