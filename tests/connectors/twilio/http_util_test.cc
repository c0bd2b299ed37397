// connectors/http helpers shared by the twilio and webhook connectors.
#include <doctest/doctest.h>

#include "connectors/http/http_util.h"

namespace herald::http {
namespace {

TEST_CASE("http: percent and form encoding") {
  CHECK(PercentEncode("a+b&c=d e%~._-") == "a%2Bb%26c%3Dd%20e%25~._-");
  CHECK(PercentEncode("é") == "%C3%A9");
  CHECK(FormEncode({{"To", "+1"}, {"Body", "x&y"}}) == "To=%2B1&Body=x%26y");
  auto decoded = FormDecode("To=%2B1&Body=a+b%26c&Empty=&Flag&%zz=1");
  REQUIRE(decoded.size() == 5);
  CHECK(decoded[0] == std::pair<std::string, std::string>{"To", "+1"});
  CHECK(decoded[1] == std::pair<std::string, std::string>{"Body", "a b&c"});
  CHECK(decoded[2] == std::pair<std::string, std::string>{"Empty", ""});
  CHECK(decoded[3] == std::pair<std::string, std::string>{"Flag", ""});
  CHECK(decoded[4] == std::pair<std::string, std::string>{"%zz", "1"});
  std::string round = "مرحبا + & = % \n";
  CHECK(FormDecode(FormEncode({{"k", round}}))[0].second == round);
}

TEST_CASE("http: Retry-After") {
  Micros now = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
  CHECK(ParseRetryAfter("120", now) == Micros{120'000'000});
  CHECK(ParseRetryAfter(" 0 ", now) == Micros{0});
  CHECK(ParseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now) == Micros{10'000'000});
  CHECK(ParseRetryAfter("Thursday, 01-Jan-26 00:00:10 GMT", now) == Micros{10'000'000});
  CHECK(ParseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now) == Micros{0});
  CHECK(ParseRetryAfter("99999999999", now) == Micros{86'400'000'000});
  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-5", now).has_value());
  CHECK_FALSE(ParseRetryAfter("later", now).has_value());
}

TEST_CASE("http: URL checks") {
  CHECK_FALSE(CheckHttpUrl("https://api.twilio.com", false).has_value());
  CHECK_FALSE(CheckHttpUrl("http://127.0.0.1:8080/hooks?x=1", true).has_value());
  CHECK_FALSE(CheckHttpUrl("http://[::1]:8080/hooks", true).has_value());
  CHECK(CheckHttpUrl("http://127.0.0.1:8080/hooks?x=1", false).has_value());
  CHECK(CheckHttpUrl("file:///etc/passwd", true).has_value());
  CHECK(CheckHttpUrl("http://", true).has_value());
  CHECK(CheckHttpUrl("http://:80/", true).has_value());
  CHECK(CheckHttpUrl("http://a.example/\r\nX: y", true).has_value());
  CHECK(CheckHttpUrl("http://a.example/#frag", true).has_value());
  CHECK(CheckHttpUrl("http://u:p@a.example/", true).has_value());
  CHECK(CheckHttpUrl("http://a.example:0/", true).has_value());
}

TEST_CASE("http: header syntax") {
  CHECK(IsHttpToken("X-Api-Key"));
  CHECK_FALSE(IsHttpToken("X Api"));
  CHECK_FALSE(IsHttpToken("X-Api:"));
  CHECK_FALSE(IsHttpToken(""));
  CHECK(IsSafeHeaderValue("Bearer abc.def"));
  CHECK(IsSafeHeaderValue(""));
  CHECK_FALSE(IsSafeHeaderValue("a\r\nX-Evil: 1"));
  CHECK_FALSE(IsSafeHeaderValue("a\nb"));
  CHECK_FALSE(IsSafeHeaderValue("a\rb"));
  CHECK_FALSE(IsSafeHeaderValue(std::string("a\0b", 3)));
  CHECK_FALSE(IsSafeHeaderValue(" padded"));
}

TEST_CASE("http: gateway texts lose personal data and controls") {
  CHECK(SanitizeGatewayText("The 'To' number +15005550001 is not a valid phone number.") ==
        "The 'To' number [phone] is not a valid phone number.");
  CHECK(SanitizeGatewayText("number 15005550001 bad") == "number [phone] bad");
  CHECK(SanitizeGatewayText("mail a.b@example.org failed") == "mail [email] failed");
  CHECK(SanitizeGatewayText("code 21211\r\n\tline") == "code 21211 line");
  CHECK(SanitizeGatewayText("bad \xff byte") == "bad byte");
  std::string cut = SanitizeGatewayText(std::string(300, 'x') + "é", 201);
  CHECK(cut.size() <= 201);
  CHECK(SanitizeGatewayText("ééé", 3) == "é");
}

TEST_CASE("http: gateway ids keep digits and lose everything invisible") {
  CHECK(SanitizeGatewayId("SM01234567890123456789012345678901") ==
        "SM01234567890123456789012345678901");
  CHECK(SanitizeGatewayId("a b\r\nc\xff") == "abc");
  CHECK(SanitizeGatewayId(std::string(300, 'x'), 128).size() == 128);
}

}  // namespace
}  // namespace herald::http
