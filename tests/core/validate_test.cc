#include "engine/core/validate.h"

#include <string>

#include <doctest/doctest.h>

namespace herald {
namespace {

using namespace std::string_literals;

TEST_CASE("FindInvalidUtf8 accepts well-formed text") {
  CHECK_FALSE(FindInvalidUtf8(""));
  CHECK_FALSE(FindInvalidUtf8("plain ascii, long enough for the eight-byte fast path"));
  CHECK_FALSE(FindInvalidUtf8("\0nul is fine"s));
  CHECK_FALSE(FindInvalidUtf8("café"));
  CHECK_FALSE(FindInvalidUtf8("مرحبا بالعالم"));                      // Arabic
  CHECK_FALSE(FindInvalidUtf8("你好，世界"));                         // Chinese
  CHECK_FALSE(FindInvalidUtf8("emoji 😀 and 👩‍👩‍👧"));  // 4-byte sequences, ZWJ
  CHECK_FALSE(FindInvalidUtf8("\xF4\x8F\xBF\xBF"));                   // U+10FFFF
  CHECK_FALSE(FindInvalidUtf8("\xED\x9F\xBF"));  // U+D7FF, just below surrogates
  CHECK_FALSE(FindInvalidUtf8("\xEE\x80\x80"));  // U+E000, just above
}

TEST_CASE("FindInvalidUtf8 finds the first bad byte") {
  CHECK(FindInvalidUtf8("\x80") == 0);              // stray continuation
  CHECK(FindInvalidUtf8("abc\xC0\xAF") == 3);       // overlong '/'
  CHECK(FindInvalidUtf8("abc\xC1\xBF") == 3);       // overlong
  CHECK(FindInvalidUtf8("\xE0\x80\xAF") == 0);      // overlong 3-byte
  CHECK(FindInvalidUtf8("\xF0\x80\x80\xAF") == 0);  // overlong 4-byte
  CHECK(FindInvalidUtf8("ok \xED\xA0\x80") == 3);   // U+D800 surrogate
  CHECK(FindInvalidUtf8("\xED\xBF\xBF") == 0);      // U+DFFF surrogate
  CHECK(FindInvalidUtf8("\xF4\x90\x80\x80") == 0);  // U+110000
  CHECK(FindInvalidUtf8("\xF5\x80\x80\x80") == 0);  // F5 never valid
  CHECK(FindInvalidUtf8("\xFF") == 0);
  CHECK(FindInvalidUtf8("caf\xC3") == 3);                            // truncated at end
  CHECK(FindInvalidUtf8("caf\xC3x") == 3);                           // truncated mid-string
  CHECK(FindInvalidUtf8("\xF0\x9F\x98") == 0);                       // truncated emoji
  CHECK(FindInvalidUtf8("\xE4\xBD") == 0);                           // truncated CJK
  CHECK(FindInvalidUtf8("0123456789abcdef\xE4\xBD\xA0\xFE") == 19);  // after fast path
}

TEST_CASE("ContainsControl") {
  CHECK_FALSE(ContainsControl("case-42 ünïcode 😀"));
  CHECK(ContainsControl("a\nb"));
  CHECK(ContainsControl("a\rb"));
  CHECK(ContainsControl("a\tb"));
  CHECK(ContainsControl("\0"s));
  CHECK(ContainsControl("a\x7F"));
  CHECK(ContainsControl("a\xC2\x85"));      // U+0085 NEL
  CHECK(ContainsControl("a\xE2\x80\xA8"));  // U+2028
  CHECK(ContainsControl("a\xC3"));          // ill-formed
}

TEST_CASE("IsValidEmail accepts ordinary and internationalized addresses") {
  for (const char* ok :
       {"a@b.co", "jane.doe@example.org", "o'brien@example.ie", "user+tag@sub.example.co.uk",
        "x_y-z@my-host.example", "!#$%&'*+-/=?^_`{|}~@example.com", "josé@example.es",
        "用户@例子.广告", "user@bücher.de", "USER@EXAMPLE.COM", "a@1.2.3.4"}) {
    CAPTURE(ok);
    CHECK(IsValidEmail(ok));
  }
  const std::string local64(64, 'a');
  CHECK(IsValidEmail(local64 + "@example.com"));
  CHECK_FALSE(IsValidEmail(local64 + "a@example.com"));
  const std::string label63(63, 'b');
  CHECK(IsValidEmail("a@" + label63 + ".com"));
  CHECK_FALSE(IsValidEmail("a@" + label63 + "b.com"));
  // 254 bytes in all is the limit.
  const std::string domain = label63 + "." + label63 + "." + label63 + "." + std::string(58, 'c');
  REQUIRE(domain.size() == 250);
  CHECK(IsValidEmail("abc@" + domain));         // 254
  CHECK_FALSE(IsValidEmail("abcd@" + domain));  // 255
}

TEST_CASE("IsValidEmail rejects malformed and header-injection attempts") {
  for (const char* bad : {
           "",
           "@",
           "a@",
           "@b.com",
           "plainaddress",
           "a@b",
           "a@@b.com",
           "a@b@c.com",
           ".a@b.com",
           "a.@b.com",
           "a..b@c.com",
           "a@.b.com",
           "a@b.com.",
           "a@b..com",
           "a@-b.com",
           "a@b-.com",
           "a@b_c.com",
           "a b@c.com",
           "a@b .com",
           " a@b.com",
           "a@b.com ",
           "\"quoted\"@b.com",
           "<a@b.com>",
           "a@b.com>",
           "a,b@c.com",
           "a;b@c.com",
           "a@b.com,c@d.com",
           "a@b.com;c@d.com",
           "a(comment)@b.com",
           "a@[192.0.2.1]",
           "a\\b@c.com",
           "a:b@c.com",
           "victim@example.com\r\nBcc: all@example.com",
           "victim@example.com\nBcc: x@y.com",
           "a\r@b.com",
           "a@b.com\r",
           "a\t@b.com",
           "a\xC2\xA0@b.com",      // NBSP
           "a@b\xE2\x80\x8B.com",  // zero-width space
           "a\xE2\x80\xA8@b.com",  // line separator
           "a\xC2\x85@b.com",      // NEL
           "a\xC3@b.com",          // ill-formed UTF-8
       }) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidEmail(bad));
  }
  CHECK_FALSE(IsValidEmail("a\0b@c.com"s));
}

TEST_CASE("IsE164Phone") {
  for (const char* ok : {"+14155550100", "+442071838750", "+8613800138000", "+33612345678",
                         "+5215512345678", "+919876543210"}) {
    CAPTURE(ok);
    CHECK(IsE164Phone(ok));
  }
  for (const char* bad :
       {"", "+", "+1", "+12", "14155550100", "+1 415 555 0100", "+1-415-555-0100", "+1(415)5550100",
        "+1415555010012345", "+04155550100", "++14155550100", "+14155550100 ", " +14155550100",
        "+1415555O100", "+1415555010x1", "+999999999", "+123", "+１4155550100"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsE164Phone(bad));
  }
}

TEST_CASE("IsValidLocale") {
  for (const char* ok : {"en", "es-MX", "zh-Hans", "zh-Hans-CN", "sr-Latn-RS", "ar", "pt-BR",
                         "EN-us", "de-1996", "en-US-u-ca-gregory", "fil", "yue-Hant-HK"}) {
    CAPTURE(ok);
    CHECK(IsValidLocale(ok));
  }
  for (const char* bad : {"english!", "e", "en_US", "", "12", "en-", "-en", "en--US", "en-US-US",
                          "abcdefghi", "und", "x-private", "en US", "en-US\n", "ü", "en-a"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidLocale(bad));
  }
  CHECK_FALSE(IsValidLocale(std::string(200, 'a')));
}

TEST_CASE("IsKnownTimezone") {
  for (const char* ok : {"America/New_York", "Europe/London", "UTC", "Asia/Kolkata",
                         "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Eastern"}) {
    CAPTURE(ok);
    CHECK(IsKnownTimezone(ok));
  }
  for (const char* bad : {"Mars/Olympus", "EST5EDTX", "", "america/new_york", "utc", "GMT+05:00",
                          "America/New_York ", "../../etc/passwd", "America/New_York\n"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsKnownTimezone(bad));
  }
  CHECK_FALSE(IsKnownTimezone(std::string(100, 'A')));
}

}  // namespace
}  // namespace herald
