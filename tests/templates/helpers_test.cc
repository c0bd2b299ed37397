// The template helpers: dates, times, numbers and plurals per locale (ICU 72 output).
#include <doctest/doctest.h>

#include "templates/render.h"
#include "tests/templates/template_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::Input;
using testing::Parts;

// 2026-03-12T15:30:00Z is Thursday 12 March 2026, 10:30 in Chicago (CDT, UTC-5: daylight
// saving time started on 8 March). 2026-03-16 is a Monday.
const json kData = {{"at", "2026-03-12T15:30:00Z"},
                    {"day", "2026-03-16"},
                    {"n", 1234567.5},
                    {"small", 291},
                    {"count", 3}};

// Renders `tpl` as the subject (the SMS turns no-break spaces into spaces).
std::string Fmt(const std::string& tpl, const std::string& locale, const json& data = kData,
                const std::string& tz = "America/Chicago") {
  Result<RenderedEmail> e = RenderEmail(Parts(tpl, "s", "b\n", locale), Input(data, locale, tz));
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  return e->subject;
}

// The error of rendering `tpl` as the SMS.
std::string SmsError(const std::string& tpl, const json& data, const std::string& locale = "en") {
  Result<RenderedSms> s = RenderSms(Parts("s", tpl, "b\n", locale), Input(data, locale));
  REQUIRE_FALSE(s.ok());
  return s.status().message();
}

struct Expected {
  const char* locale;
  const char* date;
  const char* date_full;
  const char* time;
  const char* datetime;
  const char* datetime_full;
  const char* number;
  const char* small;
};

TEST_CASE("date and time helpers format in the locale and the recipient's time zone") {
  const Expected cases[] = {
      {"en", "March 16, 2026", "Monday, March 16, 2026", "10:30\u202fAM",
       "March 12, 2026 at 10:30\u202fAM", "Thursday, March 12, 2026 at 10:30\u202fAM",
       "1,234,567.5", "291"},
      {"es", "16 de marzo de 2026", "lunes, 16 de marzo de 2026", "10:30",
       "12 de marzo de 2026, 10:30", "jueves, 12 de marzo de 2026, 10:30", "1.234.567,5", "291"},
      {"zh-Hans", "2026年3月16日", "2026年3月16日星期一", "10:30", "2026年3月12日 10:30",
       "2026年3月12日星期四 10:30", "1,234,567.5", "291"},
      {"vi", "16 tháng 3, 2026", "Thứ Hai, 16 tháng 3, 2026", "10:30", "lúc 10:30 12 tháng 3, 2026",
       "lúc 10:30 Thứ Năm, 12 tháng 3, 2026", "1.234.567,5", "291"},
      {"ar", "١٦ مارس ٢٠٢٦", "الاثنين، ١٦ مارس ٢٠٢٦", "١٠:٣٠ ص", "١٢ مارس ٢٠٢٦ في ١٠:٣٠ ص",
       "الخميس، ١٢ مارس ٢٠٢٦ في ١٠:٣٠ ص", "١٬٢٣٤٬٥٦٧٫٥", "٢٩١"},
  };
  for (const Expected& c : cases) {
    CAPTURE(c.locale);
    CHECK(Fmt("{{#date}}{{day}}{{/date}}", c.locale) == c.date);
    CHECK(Fmt("{{#date_full}}{{day}}{{/date_full}}", c.locale) == c.date_full);
    CHECK(Fmt("{{#time}}{{at}}{{/time}}", c.locale) == c.time);
    CHECK(Fmt("{{#datetime}}{{at}}{{/datetime}}", c.locale) == c.datetime);
    CHECK(Fmt("{{#datetime_full}}{{at}}{{/datetime_full}}", c.locale) == c.datetime_full);
    CHECK(Fmt("{{#number}}{{n}}{{/number}}", c.locale) == c.number);
    CHECK(Fmt("{{#number}}{{small}}{{/number}}", c.locale) == c.small);
  }
}

TEST_CASE("a timestamp's date is the recipient's local date; a calendar date never moves") {
  // 03:30Z on the 13th is still the 12th in Chicago, and already the 13th in Tokyo.
  json data = {{"at", "2026-03-13T03:30:00Z"}, {"day", "2026-03-16"}};
  CHECK(Fmt("{{#date}}{{at}}{{/date}}", "en", data) == "March 12, 2026");
  CHECK(Fmt("{{#date}}{{at}}{{/date}}", "en", data, "Asia/Tokyo") == "March 13, 2026");
  CHECK(Fmt("{{#date}}{{day}}{{/date}}", "en", data, "Pacific/Kiritimati") == "March 16, 2026");
  CHECK(Fmt("{{#date}}{{day}}{{/date}}", "en", data, "Pacific/Pago_Pago") == "March 16, 2026");
  // Offsets in the value are honoured.
  CHECK(Fmt("{{#time}}{{at}}{{/time}}", "en", {{"at", "2026-03-12T10:30:00-05:00"}}) ==
        "10:30\u202fAM");
  // Text around the value inside the helper is an error, not ignored.
  CHECK(Contains(SmsError("{{#date}}on {{day}}{{/date}}", data), "is not a timestamp"));
}

TEST_CASE("dates use the Gregorian calendar whatever the locale's default") {
  CHECK(Fmt("{{#date}}{{day}}{{/date}}", "ar-SA") == "١٦ مارس ٢٠٢٦");
  CHECK(Fmt("{{#date}}{{day}}{{/date}}", "th") == "16 มีนาคม ค.ศ. 2026");  // not 2569
}

TEST_CASE("numbers: rounding, negatives, exponents, small numbers") {
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "en", {{"v", 2.3456789}}) == "2.345679");
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "en", {{"v", -1500}}) == "-1,500");
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "en", {{"v", "1.5e3"}}) == "1,500");
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "es", {{"v", 1234}}) ==
        "1234");  // es groups from 10 000
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "es", {{"v", 12345}}) == "12.345");
  CHECK(Fmt("{{#number}}{{v}}{{/number}}", "en", {{"v", "007"}}) == "7");
}

TEST_CASE("plural forms follow the locale's plural rules") {
  const std::string en = "{{#plural}}{{n}} =0{no days} one{# day} other{# days}{{/plural}}";
  CHECK(Fmt(en, "en", {{"n", 0}}) == "no days");
  CHECK(Fmt(en, "en", {{"n", 1}}) == "1 day");
  CHECK(Fmt(en, "en", {{"n", 2}}) == "2 days");
  CHECK(Fmt(en, "en", {{"n", 1.5}}) == "1.5 days");
  CHECK(Fmt(en, "en", {{"n", 1000}}) == "1,000 days");

  const std::string es = "{{#plural}}{{n}} one{# día} other{# días}{{/plural}}";
  CHECK(Fmt(es, "es", {{"n", 1}}) == "1 día");
  CHECK(Fmt(es, "es", {{"n", 5}}) == "5 días");

  // Chinese and Vietnamese have only "other".
  CHECK(Fmt("{{#plural}}{{n}} other{# 天}{{/plural}}", "zh-Hans", {{"n", 1}}) == "1 天");
  CHECK(Fmt("{{#plural}}{{n}} one{# cái} other{# ngày}{{/plural}}", "vi", {{"n", 1}}) == "1 ngày");

  // Arabic: zero, one, two, few (3-10), many (11-99), other (100, ...).
  const std::string ar =
      "{{#plural}}{{n}} zero{لا أيام} one{يوم واحد} two{يومان} few{# أيام} many{# يومًا} "
      "other{# يوم}{{/plural}}";
  CHECK(Fmt(ar, "ar", {{"n", 0}}) == "لا أيام");
  CHECK(Fmt(ar, "ar", {{"n", 1}}) == "يوم واحد");
  CHECK(Fmt(ar, "ar", {{"n", 2}}) == "يومان");
  CHECK(Fmt(ar, "ar", {{"n", 3}}) == "٣ أيام");
  CHECK(Fmt(ar, "ar", {{"n", 11}}) == "١١ يومًا");
  CHECK(Fmt(ar, "ar", {{"n", 100}}) == "١٠٠ يوم");
}

TEST_CASE("values inside plural forms are text, never MessageFormat syntax") {
  const std::string tpl =
      "{{#plural}}{{n}} one{# visit at {{office}}} other{# visits at {{office}}}{{/plural}}";
  CHECK(Fmt(tpl, "en", {{"n", 2}, {"office", "Room {A} #1, it's '#' {0}"}}) ==
        "2 visits at Room {A} #1, it's '#' {0}");
}

TEST_CASE("helper output is escaped for the part it lands in") {
  MessageTemplate t = Parts("{{#date}}{{day}}{{/date}}", "s",
                            "Due **{{#date}}{{day}}{{/date}}**.\n\n"
                            "{{#plural}}{{count}} one{# *item*} other{# <b>items</b>}{{/plural}}\n",
                            "en");
  Result<RenderedEmail> e = RenderEmail(t, Input(kData));
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  CHECK(e->subject == "March 16, 2026");
  CHECK(Contains(e->html, "Due <strong>March 16, 2026</strong>."));
  CHECK(Contains(e->html, "3 &lt;b&gt;items&lt;/b&gt;"));
  CHECK(Contains(e->text, "Due **March 16, 2026**."));
  CHECK(Contains(e->text, "3 <b>items</b>"));
}

TEST_CASE("a value that is not a timestamp or a number is an error naming the variable") {
  CHECK(SmsError("{{#date}}{{d}}{{/date}}", {{"d", "next Tuesday"}}) ==
        "template 't' (en): sms: {{#date}}: the value of 'd' is not a timestamp (RFC 3339, such "
        "as 2026-03-12T15:30:00Z, or a date such as 2026-03-16)");
  CHECK(SmsError("{{#time}}{{d}}{{/time}}", {{"d", "2026-03-16"}}) ==
        "template 't' (en): sms: {{#time}}: the value of 'd' is a date without a time of day; "
        "use {{#date}}");
  CHECK(Contains(SmsError("{{#date}}{{d}}{{/date}}", {{"d", "2026-02-30"}}),
                 "the value of 'd' is not a valid calendar date"));
  CHECK(Contains(SmsError("{{#datetime}}{{d}}{{/datetime}}", {{"d", "2026-03-12 15:30:00Z"}}),
                 "the value of 'd' is not a timestamp"));
  CHECK(SmsError("{{#number}}{{v}}{{/number}}", {{"v", "12abc"}}) ==
        "template 't' (en): sms: {{#number}}: the value of 'v' is not a number (such as 1234 or "
        "12.5)");
  CHECK(Contains(SmsError("{{#number}}{{v}}{{/number}}", {{"v", "1,000"}}), "is not a number"));
  CHECK(Contains(SmsError("{{#number}}{{v}}{{/number}}", {{"v", true}}), "is not a number"));
  CHECK(Contains(SmsError("{{#plural}}{{v}} one{# a} other{# b}{{/plural}}", {{"v", "many"}}),
                 "sms: {{#plural}}: the value of 'v' is not a number"));
  // The value itself is never echoed: it may be personal data.
  CHECK_FALSE(Contains(SmsError("{{#date}}{{d}}{{/date}}", {{"d", "maria@example.org"}}), "maria"));
  // A missing variable inside a helper is reported as missing, once.
  CHECK(SmsError("{{#date}}{{d}}{{/date}}", json::object()) ==
        "template 't' (en): sms: missing variable 'd'");
  // Literal text written in the template is quoted.
  CHECK(Contains(SmsError("{{#date}}soon{{/date}}", json::object()),
                 "{{#date}}: 'soon' is not a timestamp"));
}

TEST_CASE("plural forms with variables are checked when rendered") {
  CHECK(Contains(SmsError("{{#plural}}{{n}} one{# {{x}}}{{/plural}}", {{"n", 1}, {"x", "a"}}),
                 "there is no 'other' form"));
}

}  // namespace
}  // namespace herald
