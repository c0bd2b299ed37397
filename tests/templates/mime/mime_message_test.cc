#include "templates/mime/mime_message.h"

#include <string>

#include <doctest/doctest.h>

#include "templates/mime/mime_encoding.h"
#include "tests/templates/mime/mime_test_util.h"

namespace herald {
namespace {

using testing::DecodeRfc2047;
using testing::RawHeader;
using testing::SplitCrlf;
using testing::StrictParse;

MimeMessageSpec BasicSpec() {
  MimeMessageSpec spec;
  spec.from = {"notices@benefits.example.gov", "Benefits Office"};
  spec.to = {"jane.doe@example.org", "Jane Doe"};
  spec.subject = "Documents requested for case C-9";
  spec.text = "Hello Jane,\n\nPlease upload your documents.\n";
  spec.html = "<p>Hello Jane,</p>\n<p>Please upload your documents.</p>\n";
  spec.date = 1'767'225'600'000'000;
  spec.message_id = "msg-123";
  return spec;
}

std::string Build(const MimeMessageSpec& spec) {
  Result<std::string> r = BuildMimeMessage(spec);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

// CRLF only, 7-bit, no line over 78 (998 for a line holding only one long URL, which is
// never broken).
void CheckWireShape(const std::string& message) {
  for (size_t i = 0; i < message.size(); ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    REQUIRE(c < 0x80);
    if (c == '\r') REQUIRE((i + 1 < message.size() && message[i + 1] == '\n'));
    if (c == '\n') REQUIRE((i > 0 && message[i - 1] == '\r'));
  }
  REQUIRE(message.size() >= 2);
  CHECK(message.compare(message.size() - 2, 2, "\r\n") == 0);
  for (const std::string& line : SplitCrlf(message)) {
    CAPTURE(line);
    const bool lone_url = line.rfind(" <https://", 0) == 0 && line.back() == '>';
    CHECK(line.size() <= (lone_url ? 998u : 78u));
  }
}

// The parse is strict and clean: no exception, no defect.
nlohmann::json CleanParse(const std::string& message) {
  nlohmann::json parsed = StrictParse(message);
  INFO(parsed.dump(2));
  REQUIRE_FALSE(parsed.contains("error"));
  CHECK(parsed["defects"].empty());
  return parsed;
}

std::string NoSpaces(std::string s) {
  std::erase(s, ' ');
  return s;
}

std::string Lf(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

TEST_CASE("a basic message: headers, parts and a strict parse") {
  MimeMessageSpec spec = BasicSpec();
  spec.reply_to = MailAddress{"help@benefits.example.gov", ""};
  spec.unsubscribe_url = "https://herald.example.gov/u/abc123";
  spec.unsubscribe_mailto = "unsubscribe@benefits.example.gov";
  spec.extra_headers = {{"X-Herald-Message-Id", "msg-123"}, {"Content-Language", "en"}};
  const std::string m = Build(spec);
  CheckWireShape(m);

  CHECK(RawHeader(m, "Date") == "Thu, 01 Jan 2026 00:00:00 +0000");
  CHECK(RawHeader(m, "From") == "Benefits Office <notices@benefits.example.gov>");
  CHECK(RawHeader(m, "To") == "Jane Doe <jane.doe@example.org>");
  CHECK(RawHeader(m, "Reply-To") == "help@benefits.example.gov");
  CHECK(RawHeader(m, "Subject") == "Documents requested for case C-9");
  CHECK(RawHeader(m, "Message-ID") == "<msg-123@benefits.example.gov>");
  CHECK(RawHeader(m, "List-Unsubscribe") ==
        "<https://herald.example.gov/u/abc123>, <mailto:unsubscribe@benefits.example.gov>");
  CHECK(RawHeader(m, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click");
  CHECK(RawHeader(m, "X-Herald-Message-Id") == "msg-123");
  CHECK(RawHeader(m, "Content-Language") == "en");
  CHECK(RawHeader(m, "MIME-Version") == "1.0");
  CHECK(Build(spec) == m);  // deterministic

  const nlohmann::json p = CleanParse(m);
  CHECK(p["content_type"] == "multipart/alternative");
  CHECK(p["from"] ==
        nlohmann::json::parse(R"([["Benefits Office", "notices@benefits.example.gov"]])"));
  CHECK(p["to"] == nlohmann::json::parse(R"([["Jane Doe", "jane.doe@example.org"]])"));
  CHECK(p["headers"]["subject"][0] == spec.subject);
  REQUIRE(p["parts"].size() == 2);
  CHECK(p["parts"][0]["type"] == "text/plain");
  CHECK(p["parts"][1]["type"] == "text/html");
  for (const auto& part : p["parts"]) {
    CHECK(part["charset"] == "utf-8");
    CHECK(part["cte"] == "quoted-printable");
  }
  CHECK(Lf(p["parts"][0]["content"]) == spec.text);
  CHECK(Lf(p["parts"][1]["content"]) == spec.html);
}

TEST_CASE("non-ASCII subjects and names are RFC 2047 and decode back") {
  struct Case {
    const char* subject;
    const char* name;
  };
  const Case cases[] = {
      {"您的退税申请需要补充材料：请在三十天内上传身份证明、收入证明和住址证明文件，谢谢配合",
       "北京市社会保障局 政务服务中心"},
      {"طلبك قيد المراجعة: يرجى تحميل المستندات المطلوبة قبل نهاية الشهر الحالي لتجنب التأخير",
       "مكتب الخدمات الاجتماعية"},
      {"Hồ sơ của bạn cần bổ sung giấy tờ trước ngày 30 tháng 6 năm 2026, xin cảm ơn quý vị",
       "Văn phòng Trợ cấp Xã hội Thành phố Hồ Chí Minh"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.subject);
    MimeMessageSpec spec = BasicSpec();
    spec.subject = c.subject;
    spec.from.display_name = c.name;
    spec.to.display_name = c.name;
    const std::string m = Build(spec);
    CheckWireShape(m);
    const std::string raw_subject = *RawHeader(m, "Subject");
    CHECK(raw_subject.rfind("=?UTF-8?B?", 0) == 0);
    CHECK(DecodeRfc2047(raw_subject) == c.subject);
    const std::string raw_from = *RawHeader(m, "From");
    CHECK(DecodeRfc2047(raw_from) == std::string(c.name) + " <notices@benefits.example.gov>");
    // Every header line with an encoded-word stays within 76 characters (RFC 2047 2).
    for (const std::string& line : SplitCrlf(testing::HeaderBlock(m))) CHECK(line.size() <= 76);

    const nlohmann::json p = CleanParse(m);
    CHECK(p["headers"]["subject"][0] == c.subject);
    CHECK(p["from"][0][1] == "notices@benefits.example.gov");
    // Python keeps the folding space between two encoded-words in a display name, against
    // RFC 2047 6.2 (mail clients drop it, as DecodeRfc2047 above does); names long enough
    // to need two words therefore compare without spaces here.
    CHECK(NoSpaces(p["from"][0][0]) == NoSpaces(c.name));
    CHECK(NoSpaces(p["to"][0][0]) == NoSpaces(c.name));
  }

  // A name that fits one encoded-word reads back exactly, in Python too.
  MimeMessageSpec spec = BasicSpec();
  spec.to.display_name = "Nguyễn Thị Hồng Nhung";
  spec.from.display_name = "社会保障局";
  const nlohmann::json p = CleanParse(Build(spec));
  CHECK(p["to"][0][0] == "Nguyễn Thị Hồng Nhung");
  CHECK(p["from"][0][0] == "社会保障局");
}

TEST_CASE("display names with specials are quoted") {
  MimeMessageSpec spec = BasicSpec();
  spec.to.display_name = "Doe, Jane \"JD\" (applicant)";
  const std::string m = Build(spec);
  CHECK(RawHeader(m, "To") == R"x("Doe, Jane \"JD\" (applicant)" <jane.doe@example.org>)x");
  const nlohmann::json p = CleanParse(m);
  CHECK(p["to"][0][0] == "Doe, Jane \"JD\" (applicant)");
  CHECK(p["to"][0][1] == "jane.doe@example.org");
}

TEST_CASE("header injection: CR, LF and controls never start a header") {
  MimeMessageSpec spec = BasicSpec();
  spec.subject = "Hello\r\nBcc: victim@example.net\r\n\r\nInjected body";
  spec.to.display_name = "Jane\r\nBcc: victim@example.net";
  spec.from.display_name = "Office\nX-Evil: 1";
  spec.extra_headers = {{"X-Herald-Message-Id", "id\r\nBcc: victim@example.net"},
                        {"X-Note", "line\x0bone\xC2\x85two\xE2\x80\xA8three"}};
  const std::string m = Build(spec);
  CheckWireShape(m);
  for (const std::string& line : SplitCrlf(testing::HeaderBlock(m))) {
    CHECK(line.rfind("Bcc", 0) != 0);
    CHECK(line.rfind("X-Evil", 0) != 0);
  }
  CHECK(m.find("\r\n\r\n") > m.find("MIME-Version"));  // the header block ends where it should
  const nlohmann::json p = CleanParse(m);
  CHECK_FALSE(p["headers"].contains("bcc"));
  CHECK_FALSE(p["headers"].contains("x-evil"));
  CHECK(p["headers"]["subject"][0] == "Hello Bcc: victim@example.net Injected body");
  CHECK(p["to"].size() == 1);
  CHECK(p["to"][0][1] == "jane.doe@example.org");
  CHECK(p["headers"]["x-note"][0] == "line one two three");

  SUBCASE("invalid addresses are refused") {
    for (const char* bad : {"jane@example.org\r\nBcc: victim@example.net", "jane@example.org>",
                            "Jane <jane@example.org>", "jane@example.org, x@example.net", "",
                            "no-at-sign", "a@b@example.org"}) {
      CAPTURE(bad);
      MimeMessageSpec s = BasicSpec();
      s.to.address = bad;
      Result<std::string> r = BuildMimeMessage(s);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsInvalidArgument());
      CHECK(r.status().message() == "to.address: not a valid email address");
      s = BasicSpec();
      s.from.address = bad;
      CHECK(BuildMimeMessage(s).status().IsInvalidArgument());
      s = BasicSpec();
      s.reply_to = MailAddress{bad, ""};
      CHECK(BuildMimeMessage(s).status().IsInvalidArgument());
    }
  }
  SUBCASE("bad extra header names and URLs are refused") {
    for (const char* name : {"X-Foo\r\nBcc", "X Foo", "X:Foo", "", "Bcc", "subject", "content-type",
                             "List-Unsubscribe"}) {
      CAPTURE(name);
      MimeMessageSpec s = BasicSpec();
      s.extra_headers = {{name, "v"}};
      CHECK(BuildMimeMessage(s).status().IsInvalidArgument());
    }
    for (const char* url :
         {"http://herald.example.gov/u/1", "https://x.example/a\r\nBcc: y", "https://x.example/a b",
          "https://x.example/<a>", "javascript:x", "https://"}) {
      CAPTURE(url);
      MimeMessageSpec s = BasicSpec();
      s.unsubscribe_url = url;
      CHECK(BuildMimeMessage(s).status().IsInvalidArgument());
    }
    MimeMessageSpec s = BasicSpec();
    s.unsubscribe_url = "https://x.example/u";
    s.unsubscribe_mailto = "mailto:u@x.example?subject=un\r\nsubscribe";
    CHECK(BuildMimeMessage(s).status().IsInvalidArgument());
  }
  SUBCASE("ill-formed UTF-8 is refused") {
    MimeMessageSpec s = BasicSpec();
    s.subject = "bad \xC3";
    CHECK(BuildMimeMessage(s).status().message() == "subject: not valid UTF-8");
    s = BasicSpec();
    s.html = "\xFF";
    CHECK(BuildMimeMessage(s).status().message() == "html: not valid UTF-8");
  }
}

TEST_CASE("long lines and long headers stay within limits") {
  MimeMessageSpec spec = BasicSpec();
  std::string long_text;
  for (int i = 0; i < 50; ++i) long_text += "a long paragraph with words and = signs, ";
  long_text += "\n" + std::string(3000, 'x') + "\n.leading dot\nFrom the office\n";
  std::string long_html = "<p>" + std::string(2000, 'y') + "</p>\n<p>" + long_text + "</p>";
  spec.text = long_text;
  spec.html = long_html;
  std::string long_subject;
  for (int i = 0; i < 20; ++i) long_subject += "Important update about your case ";
  spec.subject = long_subject;
  spec.unsubscribe_url = "https://herald.example.gov/unsubscribe/" + std::string(120, 'k');
  const std::string m = Build(spec);
  CheckWireShape(m);
  const nlohmann::json p = CleanParse(m);
  CHECK(p["headers"]["subject"][0] == SanitizeHeaderText(long_subject));
  CHECK(Lf(p["parts"][0]["content"]) == long_text);
  CHECK(Lf(p["parts"][1]["content"]) == long_html);
  // The long unsubscribe URL gets a line of its own rather than being broken.
  CHECK(m.find("List-Unsubscribe:\r\n <" + spec.unsubscribe_url + ">\r\n") != std::string::npos);
  CHECK(RawHeader(m, "List-Unsubscribe") == "<" + spec.unsubscribe_url + ">");
}

TEST_CASE("the boundary cannot collide with the content") {
  MimeMessageSpec spec = BasicSpec();
  // Content that imitates boundaries, including this message's own boundary prefix.
  spec.text = "--=_herald_0000\n--=_herald_\n=_herald_ffff--\n--\n";
  spec.html = "<pre>\n--=_herald_0000--\n</pre>\n";
  const std::string m = Build(spec);
  const std::string ct = *RawHeader(m, "Content-Type");
  const size_t at = ct.find("boundary=\"");
  REQUIRE(at != std::string::npos);
  const std::string boundary = ct.substr(at + 10, ct.size() - at - 11);
  CHECK(boundary.rfind("=_herald_", 0) == 0);
  CHECK(boundary.size() == 9 + 24);
  // The delimiter appears exactly three times: two parts and the close.
  size_t count = 0;
  for (size_t pos = m.find("--" + boundary); pos != std::string::npos;
       pos = m.find("--" + boundary, pos + 1)) {
    ++count;
  }
  CHECK(count == 3);
  const nlohmann::json p = CleanParse(m);
  REQUIRE(p["parts"].size() == 2);
  CHECK(Lf(p["parts"][0]["content"]) == spec.text);
  CHECK(Lf(p["parts"][1]["content"]) == spec.html);

  // Other content: another boundary.
  MimeMessageSpec other = spec;
  other.text += "more";
  CHECK(*RawHeader(Build(other), "Content-Type") != ct);
}

TEST_CASE("a text-only message is a single part") {
  MimeMessageSpec spec = BasicSpec();
  spec.html.clear();
  spec.text = "No HTML here, no final line break";
  const std::string m = Build(spec);
  CheckWireShape(m);
  CHECK(RawHeader(m, "Content-Type") == "text/plain; charset=utf-8");
  const nlohmann::json p = CleanParse(m);
  CHECK(p["content_type"] == "text/plain");
  REQUIRE(p["parts"].size() == 1);
  CHECK(Lf(p["parts"][0]["content"]) == spec.text + "\n");
}

TEST_CASE("Message-ID: escaped id, domain from the sender or the spec") {
  MimeMessageSpec spec = BasicSpec();
  spec.message_id = "camp:rule/C 9@x..y.";
  CHECK(RawHeader(Build(spec), "Message-ID") ==
        "<camp=3Arule/C=209=40x.=2Ey=2E@benefits.example.gov>");
  spec.message_id_domain = "mail.herald.example";
  CHECK(RawHeader(Build(spec), "Message-ID") ==
        "<camp=3Arule/C=209=40x.=2Ey=2E@mail.herald.example>");
  CleanParse(Build(spec));
  spec.message_id_domain = "bad domain";
  CHECK(BuildMimeMessage(spec).status().IsInvalidArgument());
  spec = BasicSpec();
  spec.message_id.clear();
  CHECK(BuildMimeMessage(spec).status().IsInvalidArgument());
  // At most 200 bytes, so the Message-ID line stays under 998 even with every byte
  // escaped (a longer one made a 1,000+ character line; found by tests/fuzz).
  spec.message_id = std::string(200, '<');
  for (const std::string& line : SplitCrlf(Build(spec))) CHECK(line.size() <= 998);
  spec.message_id += '<';
  CHECK(BuildMimeMessage(spec).status().IsInvalidArgument());
}

TEST_CASE("an internationalised domain is written as its A-label") {
  MimeMessageSpec spec = BasicSpec();
  spec.to = {"jane@bücher.de", "Jane"};
  spec.from = {"amt@straße.example", "Amt"};
  const std::string m = Build(spec);
  CheckWireShape(m);
  CHECK(RawHeader(m, "To") == "Jane <jane@xn--bcher-kva.de>");
  CHECK(RawHeader(m, "From") == "Amt <amt@xn--strae-oqa.example>");
  CHECK(RawHeader(m, "Message-ID") == "<msg-123@xn--strae-oqa.example>");
  CleanParse(m);
}

}  // namespace
}  // namespace herald
