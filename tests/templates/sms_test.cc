// CountSms (GSM-7 / UCS-2, units, segments) and RewriteUrls.
#include <doctest/doctest.h>

#include "templates/sms.h"

namespace herald {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("GSM-7: 160 septets in one SMS, then segments of 153") {
  CHECK(CountSms("") == SmsInfo{"GSM-7", 0, 0});
  CHECK(CountSms("Hello") == SmsInfo{"GSM-7", 5, 1});
  CHECK(CountSms(Repeat("a", 160)) == SmsInfo{"GSM-7", 160, 1});
  CHECK(CountSms(Repeat("a", 161)) == SmsInfo{"GSM-7", 161, 2});
  CHECK(CountSms(Repeat("a", 306)) == SmsInfo{"GSM-7", 306, 2});
  CHECK(CountSms(Repeat("a", 307)) == SmsInfo{"GSM-7", 307, 3});
  CHECK(CountSms(Repeat("a", 459)) == SmsInfo{"GSM-7", 459, 3});
  CHECK(CountSms(Repeat("a", 460)) == SmsInfo{"GSM-7", 460, 4});
}

TEST_CASE("GSM-7 extension characters count two septets and are never split") {
  for (const char* c : {"^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"}) {
    CAPTURE(c);
    CHECK(CountSms(c) == SmsInfo{"GSM-7", 2, 1});
  }
  CHECK(CountSms(Repeat("[", 80)) == SmsInfo{"GSM-7", 160, 1});
  CHECK(CountSms(Repeat("[", 81)) == SmsInfo{"GSM-7", 162, 2});
  CHECK(CountSms(Repeat("a", 159) + "€") == SmsInfo{"GSM-7", 161, 2});
  // 152 + 2 would be 154 > 153: the escape pair starts segment 2 (152 | 2 + 151 | 1).
  CHECK(CountSms(Repeat("a", 152) + "€" + Repeat("a", 152)) == SmsInfo{"GSM-7", 306, 3});
  // The same length with the pair inside a segment fits two.
  CHECK(CountSms(Repeat("a", 151) + "€" + Repeat("a", 153)) == SmsInfo{"GSM-7", 306, 2});
}

TEST_CASE("the GSM 03.38 basic set is GSM-7; anything else makes the text UCS-2") {
  CHECK(CountSms("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\r\n").encoding ==
        "GSM-7");
  CHECK(CountSms("¿Dónde está?").encoding == "UCS-2");  // ó and á are not in GSM-7
  CHECK(CountSms("Envíe").encoding == "UCS-2");
  CHECK(CountSms("ç").encoding == "UCS-2");  // only the capital Ç is
  CHECK(CountSms("`").encoding == "UCS-2");
  CHECK(CountSms("\t").encoding == "UCS-2");
  CHECK(CountSms("α").encoding == "UCS-2");     // lower-case Greek is not; Δ is
  CHECK(CountSms("\xff").encoding == "UCS-2");  // ill-formed: U+FFFD
  CHECK(CountSms(std::string("a\0b", 3)).encoding == "UCS-2");
}

TEST_CASE("UCS-2: 70 units in one SMS, then segments of 67") {
  CHECK(CountSms(Repeat("á", 70)) == SmsInfo{"UCS-2", 70, 1});
  CHECK(CountSms(Repeat("á", 71)) == SmsInfo{"UCS-2", 71, 2});
  CHECK(CountSms(Repeat("á", 134)) == SmsInfo{"UCS-2", 134, 2});
  CHECK(CountSms(Repeat("á", 135)) == SmsInfo{"UCS-2", 135, 3});
  CHECK(CountSms(Repeat("中", 70)) == SmsInfo{"UCS-2", 70, 1});
  CHECK(CountSms(Repeat("ب", 71)) == SmsInfo{"UCS-2", 71, 2});
  // A GSM text with one emoji: every character counts one unit, the emoji two.
  CHECK(CountSms("Hi 😀") == SmsInfo{"UCS-2", 5, 1});
  CHECK(CountSms(Repeat("a", 68) + "😀") == SmsInfo{"UCS-2", 70, 1});
  CHECK(CountSms(Repeat("a", 69) + "😀") == SmsInfo{"UCS-2", 71, 2});
  // A surrogate pair is never split: 66 | 2 + 65 | 1.
  CHECK(CountSms(Repeat("á", 66) + "😀" + Repeat("á", 66)) == SmsInfo{"UCS-2", 134, 3});
  CHECK(CountSms(Repeat("á", 65) + "😀" + Repeat("á", 67)) == SmsInfo{"UCS-2", 134, 2});
}

TEST_CASE("RewriteUrls finds http(s) URLs in text and leaves the punctuation around them") {
  auto mark = [](std::string_view url) { return "<" + std::string(url) + ">"; };
  CHECK(RewriteUrls("Go to https://x.org/a?b=1&c=2.", mark) == "Go to <https://x.org/a?b=1&c=2>.");
  CHECK(RewriteUrls("(see https://x.org/wiki/A_(b)), then", mark) ==
        "(see <https://x.org/wiki/A_(b)>), then");
  CHECK(RewriteUrls("https://x.org/a) and HTTP://Y.ORG!", mark) ==
        "<https://x.org/a>) and <HTTP://Y.ORG>!");
  CHECK(RewriteUrls("a:https://x.org, b", mark) == "a:<https://x.org>, b");
  CHECK(RewriteUrls("xhttps://x.org https:// http://例え.jp ftp://x.org", mark) ==
        "xhttps://x.org https:// http://例え.jp ftp://x.org");
  CHECK(RewriteUrls("访问https://x.org/a。谢谢", mark) == "访问<https://x.org/a>。谢谢");
  CHECK(RewriteUrls("no links here, just http and https", mark) ==
        "no links here, just http and https");
  CHECK(RewriteUrls("https://x.org", nullptr) == "https://x.org");
}

}  // namespace
}  // namespace herald
