#include "templates/mime/mime_encoding.h"

#include <random>
#include <string>

#include <doctest/doctest.h>

#include "engine/core/validate.h"

#include "tests/templates/mime/mime_test_util.h"

namespace herald {
namespace {

using testing::Base64Decode;
using testing::DecodeRfc2047;
using testing::SplitCrlf;

void CheckQpShape(const std::string& qp) {
  for (size_t i = 0; i < qp.size(); ++i) {
    const auto c = static_cast<unsigned char>(qp[i]);
    REQUIRE(c < 0x80);
    if (c == '\r') REQUIRE((i + 1 < qp.size() && qp[i + 1] == '\n'));
    if (c == '\n') REQUIRE((i > 0 && qp[i - 1] == '\r'));
  }
  for (const std::string& line : SplitCrlf(qp)) {
    CAPTURE(line);
    CHECK(line.size() <= 76);
    if (!line.empty()) {
      CHECK(line.back() != ' ');
      CHECK(line.back() != '\t');
      CHECK(line.front() != '.');
      CHECK(line.rfind("From ", 0) != 0);
    }
  }
}

TEST_CASE("NormalizeCrlf turns every kind of line break into CRLF") {
  CHECK(NormalizeCrlf("a\nb\r\nc\rd\n\n") == "a\r\nb\r\nc\r\nd\r\n\r\n");
  CHECK(NormalizeCrlf("\r\r\n") == "\r\n\r\n");
  CHECK(NormalizeCrlf("none") == "none");
}

TEST_CASE("quoted-printable escapes what it must and keeps lines short") {
  CHECK(EncodeQuotedPrintable("plain text") == "plain text");
  CHECK(EncodeQuotedPrintable("a=b") == "a=3Db");
  CHECK(EncodeQuotedPrintable("trailing \nspace ") == "trailing=20\r\nspace=20");
  CHECK(EncodeQuotedPrintable("tab\there") == "tab=09here");
  CHECK(EncodeQuotedPrintable("café") == "caf=C3=A9");
  CHECK(EncodeQuotedPrintable(".\n.hidden\nFrom me\nFromage") ==
        "=2E\r\n=2Ehidden\r\n=46rom me\r\nFromage");
  CHECK(EncodeQuotedPrintable("ends with break\n") == "ends with break\r\n");

  const std::string long_line(200, 'x');
  const std::string qp = EncodeQuotedPrintable(long_line);
  CheckQpShape(qp);
  CHECK(SplitCrlf(qp).size() == 3);
  CHECK(DecodeQuotedPrintable(qp) == long_line);

  // A soft break never lands inside a character's escapes.
  std::string chinese;
  for (int i = 0; i < 40; ++i) chinese += "中";
  const std::string qp_zh = EncodeQuotedPrintable(chinese);
  CheckQpShape(qp_zh);
  for (const std::string& line : SplitCrlf(qp_zh)) {
    std::string body = line;
    if (!body.empty() && body.back() == '=') body.pop_back();
    CHECK(body.size() % 9 == 0);  // whole "=E4=B8=AD" triplets only
  }
  CHECK(DecodeQuotedPrintable(qp_zh) == chinese);

  // A '.' that lands at the start of a continuation line is escaped too.
  const std::string dots = std::string(75, 'a') + ".after";
  const std::string qp_dots = EncodeQuotedPrintable(dots);
  CheckQpShape(qp_dots);
  CHECK(DecodeQuotedPrintable(qp_dots) == dots);
}

TEST_CASE("quoted-printable round trip on random text") {
  std::mt19937 rng(42);
  const std::vector<std::string> alphabet = {"a",  "Z",    " ",     "\t", "=",  ".",
                                             "\n", "\r\n", "From ", "é",  "中", "😀",
                                             "ب",  "ệ",    "\x01",  "~",  "-",  "\r"};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    const std::string qp = EncodeQuotedPrintable(text);
    CAPTURE(text);
    CheckQpShape(qp);
    CHECK(DecodeQuotedPrintable(qp) == NormalizeCrlf(text));
  }
}

TEST_CASE("quoted-printable decoder rejects malformed escapes") {
  CHECK_FALSE(DecodeQuotedPrintable("=G1"));
  CHECK_FALSE(DecodeQuotedPrintable("ab=4"));
  CHECK(DecodeQuotedPrintable("soft=\r\nbreak") == "softbreak");
  CHECK(DecodeQuotedPrintable("soft=\nbreak") == "softbreak");
  CHECK(DecodeQuotedPrintable("x  \r\ny") == "x\r\ny");
  CHECK(DecodeQuotedPrintable("=e9") == "\xE9");
}

TEST_CASE("base64") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Decode(Base64Encode("\xFF\x00\x10 binary")) == "\xFF\x00\x10 binary");
}

TEST_CASE("SanitizeHeaderText replaces controls by one space") {
  CHECK(SanitizeHeaderText("a\r\nBcc: x@y.z") == "a Bcc: x@y.z");
  CHECK(SanitizeHeaderText("\r\n\tlead and trail\n") == "lead and trail");
  CHECK(SanitizeHeaderText("u\xE2\x80\xA8v\xC2\x85w\x7Fx") == "u v w x");
  CHECK(SanitizeHeaderText("bad \xC3 byte") == "bad   byte");
  CHECK(SanitizeHeaderText("keeps  two spaces") == "keeps  two spaces");
  CHECK(SanitizeHeaderText("\r\n") == "");
}

TEST_CASE("encoded-words split between characters and stay within 75 characters") {
  for (const std::string text :
       {"退税申请需要补充材料，请在三十天内上传您的身份证明和收入证明文件。",
        "طلبك قيد المراجعة. يرجى تحميل المستندات المطلوبة قبل نهاية الشهر",
        "Hồ sơ của bạn cần bổ sung giấy tờ trước ngày 30 tháng 6 năm 2026",
        "emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"}) {
    CAPTURE(text);
    const std::vector<std::string> words = EncodeWords(text, 60, 75);
    REQUIRE(words.size() >= 2);
    std::string joined;
    for (size_t i = 0; i < words.size(); ++i) {
      CHECK(words[i].size() <= (i == 0 ? 60u : 75u));
      CHECK(words[i].rfind("=?UTF-8?B?", 0) == 0);
      // Each word decodes to whole, well-formed characters on its own.
      CHECK_FALSE(FindInvalidUtf8(DecodeRfc2047(words[i])));
      joined += (i ? " " : "") + words[i];
    }
    CHECK(DecodeRfc2047(joined) == text);
  }
  // Too little room for the first character: an empty first word, the text follows.
  const std::vector<std::string> words = EncodeWords("中文", 15, 75);
  REQUIRE(words.size() == 2);
  CHECK(words[0].empty());
  CHECK(DecodeRfc2047(words[1]) == "中文");
  CHECK(EncodeWords("", 60, 75).empty());
}

TEST_CASE("FoldHeader folds at spaces before 76 characters") {
  CHECK(FoldHeader("Subject", {"Hello", "world"}) == "Subject: Hello world\r\n");
  CHECK(FoldHeader("Subject", {}) == "Subject:\r\n");
  std::vector<std::string> words(30, "word");
  const std::string folded = FoldHeader("Subject", words);
  for (const std::string& line : SplitCrlf(folded)) CHECK(line.size() <= 76);
  CHECK(testing::RawHeader(folded + "\r\n", "Subject") ==
        "word word word word word word word word word word word word word word word word word "
        "word word word word word word word word word word word word word");
  // Never a fold before an empty token (a line of only whitespace).
  const std::string spaced = FoldHeader("X", {std::string(70, 'a'), "", "b"});
  CHECK(spaced.find("\r\n \r\n") == std::string::npos);
}

TEST_CASE("UnstructuredTokens keeps plain ASCII and encodes the rest") {
  CHECK(UnstructuredTokens("Subject", "Your case C-9") ==
        std::vector<std::string>{"Your", "case", "C-9"});
  CHECK(UnstructuredTokens("Subject", "  \r\n ").empty());
  const auto encoded = UnstructuredTokens("Subject", "Caf\xC3\xA9 ouvert");
  REQUIRE(encoded.size() == 1);
  CHECK(DecodeRfc2047(encoded[0]) == "Café ouvert");
  // Something that looks like an encoded-word is encoded, so it reads back literally.
  const auto tricky = UnstructuredTokens("Subject", "=?UTF-8?B?SGk=?=");
  REQUIRE(tricky.size() == 1);
  CHECK(DecodeRfc2047(tricky[0]) == "=?UTF-8?B?SGk=?=");
  // A word longer than a line is encoded (encoded-words can be split), not left long.
  const auto long_word = UnstructuredTokens("Subject", std::string(120, 'x'));
  CHECK(long_word.size() >= 2);
}

TEST_CASE("FormatRfc5322Date") {
  CHECK(FormatRfc5322Date(1'767'225'600'000'000) == "Thu, 01 Jan 2026 00:00:00 +0000");
  CHECK(FormatRfc5322Date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(FormatRfc5322Date(1'767'225'600'999'999, -300) == "Wed, 31 Dec 2025 19:00:00 -0500");
  CHECK(FormatRfc5322Date(1'709'208'000'000'000, 330) == "Thu, 29 Feb 2024 17:30:00 +0530");
  CHECK(FormatRfc5322Date(-1, 0) == "Wed, 31 Dec 1969 23:59:59 +0000");
  CHECK(FormatRfc5322Date(0, 5000) == "Thu, 01 Jan 1970 00:00:00 +0000");  // out of range: UTC
}

}  // namespace
}  // namespace herald
