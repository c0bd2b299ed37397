#include "engine/rules/expr.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "tests/rules/expr_test_util.h"

#include "engine/core/duration.h"
#include "engine/core/time_format.h"

namespace herald::rules {
namespace {

using namespace expr_test;  // NOLINT: test fixtures

TEST_CASE("literals") {
  CHECK(Eval("42").int_value() == 42);
  CHECK(Eval("42").is_int());
  CHECK(Eval("500.5").number_value() == 500.5);
  CHECK_FALSE(Eval("500.5").is_int());
  CHECK(Eval("\"double\"").string_value() == "double");
  CHECK(Eval("'single'").string_value() == "single");
  CHECK(Eval(R"("q\" s\' b\\ n\n t\t sl\/ u\u00e9 \ud83d\ude00")").string_value() ==
        "q\" s' b\\ n\n t\t sl/ u\u00e9 \U0001F600");
  CHECK(Eval(R"('it\'s "fine"')").string_value() == "it's \"fine\"");
  CHECK(Eval("\"caf\xc3\xa9\"").string_value() == "caf\xc3\xa9");  // UTF-8 as is
  CHECK(Eval("true").IsTrue());
  CHECK(Eval("false").kind() == Kind::kBool);
  CHECK_FALSE(Eval("false").IsTrue());
  CHECK(Eval("null").is_null());
  CHECK(Eval("30m").duration_value() == 30 * kMinute);
  CHECK(Eval("1d12h").duration_value() == 36 * kHour);
  CHECK(Eval("45s").kind() == Kind::kDuration);
  CHECK(Eval("2026-03-01T09:00:00Z").time_value() == T("2026-03-01T09:00:00Z"));
  CHECK(Eval("2026-03-01T10:00:00.5+01:00").time_value() == T("2026-03-01T09:00:00.5Z"));
  CHECK(Eval("now").time_value() == T("2026-03-05T12:00:00Z"));
  Value list = Eval("[1, 'a', null, [true], 2d]");
  REQUIRE(list.kind() == Kind::kList);
  CHECK(list.ToString() == "[1, \"a\", null, [true], 2d]");
  CHECK(Eval("[]").list_value().empty());
  CHECK(Eval("[1, 2,]").list_value().size() == 2);  // trailing comma
  CHECK(Eval("[status, count + 1]").ToString() == "[\"documents_requested\", 4]");
  CHECK(Eval("99999999999999999999").number_value() == doctest::Approx(1e20));  // beyond int64
}

TEST_CASE("fields: state, event, recipient; missing is null") {
  CHECK(Eval("status").string_value() == "documents_requested");
  CHECK(Eval("state.status").string_value() == "documents_requested");
  CHECK(Eval("household.size").int_value() == 4);
  CHECK(Eval("event.type").string_value() == "case.status_changed");
  CHECK(Eval("event.data.urgent").kind() == Kind::kBool);
  CHECK(Eval("recipient.locale").string_value() == "es");
  CHECK(Eval("state.event").string_value() == "a state field named event");
  CHECK(Eval("household").kind() == Kind::kObject);
  CHECK(Eval("household").object_value().at("size") == 4);
  CHECK(Eval("tags.1").string_value() == "medicaid");  // all-digit names index arrays
  CHECK(Eval("event.data.items.0").int_value() == 10);

  for (const char* missing :
       {"nope", "household.nope", "household.size.deeper", "status.length", "tags.2", "tags.x",
        "event.data.nope", "recipient.email", "nothing", "nothing.below", "event.nope.nope"}) {
    CAPTURE(missing);
    CHECK(Eval(missing).is_null());
  }
  CHECK(True("nope == null"));
  CHECK_FALSE(True("nope != null"));
  CHECK(True("status != null"));

  EvalContext empty;  // no documents at all
  CHECK(Eval("status", empty).is_null());
  CHECK(Eval("event.type", empty).is_null());
  CHECK(Eval("recipient.locale", empty).is_null());
  json not_object = json::array({1, 2});
  EvalContext odd{&not_object, &not_object, &not_object, 0};
  CHECK(Eval("status", odd).is_null());
}

TEST_CASE("comparison operators") {
  CHECK(True("count == 3"));
  CHECK(True("count != 4"));
  CHECK(True("count < 4"));
  CHECK(True("count <= 3"));
  CHECK(True("count > 2"));
  CHECK(True("count >= 3"));
  CHECK_FALSE(True("count < 3"));
  CHECK_FALSE(True("count > 3"));
  CHECK(True("'abc' < 'abd'"));
  CHECK(True("'Z' < 'a'"));       // code point order
  CHECK(True("'z' < '\u00e9'"));  // UTF-8 bytes compare unsigned
  CHECK(True("1d < 25h"));
  CHECK(True("2d == 48h"));
  CHECK(True("2w == 14d"));
  CHECK(True("true == true"));
  CHECK(True("null == null"));
  CHECK(True("[1, 'a'] == [1, 'a']"));
  CHECK_FALSE(True("[1, 'a'] == ['a', 1]"));
  CHECK(True("household == household"));
  CHECK(True("2026-03-01T09:00:00Z < 2026-03-01T09:00:01Z"));
}

TEST_CASE("numbers compare by value, exactly") {
  CHECK(True("1 == 1.0"));
  CHECK(True("1.0 == 1"));
  CHECK(True("benefit_amount < 500.5"));
  CHECK(True("benefit_amount == 420.75"));
  CHECK(True("count < 3.5"));
  CHECK(True("3.5 > count"));
  CHECK(True("-1 < -0.5"));
  CHECK(True("[1, 2] == [1.0, 2.0]"));
  // 2^53 + 1 is not representable as a double: no rounding on the way to compare.
  CHECK_FALSE(True("9007199254740993 == 9007199254740992.0"));
  CHECK(True("9007199254740993 > 9007199254740992.0"));
  CHECK(True("9007199254740992 == 9007199254740992.0"));
  CHECK(True("9223372036854775807 < 9223372036854775808.0"));
  CHECK(True("-9223372036854775807 - 1 == -9223372036854775808.0"));  // int64 min, exactly -2^63
  // 9223372036854775807.0 is the double 2^63: larger than any int64, though converting
  // the int to a double would round it up to the same value.
  CHECK(True("9223372036854775807 < 9223372036854775807.0"));
}

TEST_CASE("type mismatches: == false, != true, ordering false") {
  for (const char* pair :
       {"'1', 1", "1, true", "'true', true", "null, 0", "null, ''", "null, false", "3d, 3",
        "[1], 1", "household, 'x'", "now, 5", "'x', 2d", "status, 3"}) {
    CAPTURE(pair);
    const std::string p(pair);
    const size_t comma = p.find(", ");
    const std::string a = p.substr(0, comma);
    const std::string b = p.substr(comma + 2);
    CHECK_FALSE(True(a + " == " + b));
    CHECK(True(a + " != " + b));
    CHECK_FALSE(True(a + " < " + b));
    CHECK_FALSE(True(a + " <= " + b));
    CHECK_FALSE(True(a + " > " + b));
    CHECK_FALSE(True(a + " >= " + b));
  }
  // Ordering is only for numbers, strings, times and durations.
  CHECK_FALSE(True("true > false"));
  CHECK_FALSE(True("null <= null"));
  CHECK_FALSE(True("[1] <= [1]"));
  CHECK_FALSE(True("nope < 3"));
  CHECK_FALSE(True("nope >= 3"));
  CHECK_FALSE(True("not_a_time < now"));  // a string that is not RFC 3339
  CHECK_FALSE(True("not_a_time >= now"));
}

TEST_CASE("in and not in") {
  CHECK(True("status in ['approved', 'documents_requested']"));
  CHECK_FALSE(True("status in ['approved', 'denied']"));
  CHECK(True("status not in ['approved', 'denied']"));
  CHECK_FALSE(True("status not in ['documents_requested']"));
  CHECK(True("'snap' in tags"));  // a list from the state
  CHECK(True("'wic' not in tags"));
  CHECK(True("20 in event.data.items"));
  CHECK(True("20.0 in event.data.items"));
  CHECK(True("1 in [1.0]"));
  CHECK(True("null in [1, null]"));
  CHECK(True("nope in [null]"));
  CHECK(True("interview_at in [2026-03-12T15:30:00Z]"));  // coerced per element
  CHECK(True("[1] in [[1], [2]]"));
  CHECK_FALSE(True("'x' in []"));
  // The right side must be a list: anything else holds nothing.
  CHECK_FALSE(True("'doc' in status"));
  CHECK_FALSE(True("'size' in household"));
  CHECK_FALSE(True("1 in nope"));
  CHECK(True("1 not in nope"));  // not in is exactly not (in)
  CHECK(True("[status, count] == ['documents_requested', 3]"));
  CHECK(True("count in [1, count, 5]"));
}

TEST_CASE("logic: only true is true") {
  CHECK(True("true and true"));
  CHECK_FALSE(True("true and false"));
  CHECK(True("false or true"));
  CHECK_FALSE(True("false or false"));
  CHECK(True("not false"));
  CHECK_FALSE(True("not true"));
  CHECK(True("true && true"));
  CHECK(True("false || true"));
  CHECK(True("!false"));
  CHECK(True("!!true"));
  CHECK(True("a_missing_flag || !another_missing_flag"));
  CHECK(True("true&&!false"));
  // null and non-booleans are not true; `not` of them is true.
  CHECK_FALSE(True("nope"));
  CHECK_FALSE(True("1"));
  CHECK_FALSE(True("'true'"));
  CHECK_FALSE(True("tags"));
  CHECK(True("not nope"));
  CHECK(True("not 1"));
  CHECK_FALSE(True("1 and true"));
  CHECK(Eval("1 or 2").kind() == Kind::kBool);
  CHECK_FALSE(Eval("1 or 2").IsTrue());
  CHECK(Eval("nope and true").kind() == Kind::kBool);
  CHECK(True("flags.priority"));
  CHECK_FALSE(True("flags.paper"));
}

TEST_CASE("precedence: or < and < not < comparison < additive < unary") {
  CHECK(True("true or false and false"));  // or(true, and(false, false))
  CHECK_FALSE(True("(true or false) and false"));
  CHECK(True("not false and true"));  // and(not false, true)
  CHECK(True("not true or true"));    // or(not true, true)
  CHECK_FALSE(True("not (true or true)"));
  CHECK(True("not count == 4"));  // not (count == 4)
  CHECK(True("! count == 4"));    // ! is the same operator as not
  CHECK(True("1 + 2 == 3"));
  CHECK(True("3 == 1 + 2"));
  CHECK(True("count - 1 in [2]"));
  CHECK(Eval("1 - 2 - 3").int_value() == -4);  // left to right
  CHECK(Eval("1 - (2 - 3)").int_value() == 2);
  CHECK(Eval("-2 + 5").int_value() == 3);
  CHECK(Eval("- -2").int_value() == 2);
  CHECK(Eval("-(1 + 2)").int_value() == -3);
  CHECK(True("-1d < 1s"));
  CHECK(True("1 < 2 and 2 < 3"));
  CHECK(True("false and nope or true"));
  CHECK(True("household.size >= 3 && benefit_amount < 500.5 || flags.priority"));
  CHECK(True("false && false || true"));
  CHECK_FALSE(True("false && (false || true)"));
}

TEST_CASE("arithmetic: numbers") {
  CHECK(Eval("count + 2").int_value() == 5);
  CHECK(Eval("count + 2").is_int());
  CHECK(Eval("benefit_amount - 20.75").number_value() == 400);
  CHECK(Eval("0.25 + 0.5").number_value() == 0.75);
  CHECK(Eval("-count").int_value() == -3);
  CHECK(Eval("-benefit_amount").number_value() == -420.75);
  // Beyond int64 the result is a decimal, not a wrapped-around integer.
  Value big = Eval("9223372036854775807 + 1");
  CHECK_FALSE(big.is_int());
  CHECK(big.number_value() == doctest::Approx(9223372036854775808.0));
  CHECK(Eval("-9223372036854775807 - 2").number_value() < 0);
  CHECK(Eval("count + 'x'").is_null());
  CHECK(Eval("count + nope").is_null());
  CHECK(Eval("count + true").is_null());
  CHECK(Eval("count + 1d").is_null());
  CHECK(Eval("'a' + 'b'").is_null());  // no string concatenation
  CHECK(Eval("-'a'").is_null());
  CHECK(Eval("-nope").is_null());
}

TEST_CASE("arithmetic: times and durations, with RFC 3339 strings coerced") {
  Sample s;
  CHECK(Eval("interview_at - 2d").time_value() == T("2026-03-10T15:30:00Z"));
  CHECK(MustParse("interview_at - 2d").Time(s.ctx) == T("2026-03-10T15:30:00Z"));
  CHECK(MustParse("interview_at").Time(s.ctx) == T("2026-03-12T15:30:00Z"));  // the string
  CHECK(Eval("2d + interview_at").time_value() == T("2026-03-14T15:30:00Z"));
  CHECK(Eval("event.occurred_at + 1d12h").time_value() == T("2026-03-02T21:00:00Z"));
  CHECK(Eval("now + 1h").time_value() == T("2026-03-05T13:00:00Z"));
  CHECK(Eval("now - 30m - 30m").time_value() == T("2026-03-05T11:00:00Z"));
  CHECK(Eval("'2026-03-01T09:00:00+01:00' + 1h").time_value() == T("2026-03-01T09:00:00Z"));
  CHECK(Eval("2026-03-01T09:00:00Z + 45s").time_value() == T("2026-03-01T09:00:45Z"));
  CHECK(Eval("2d - 12h").duration_value() == 36 * kHour);
  CHECK(Eval("1d + 1d").duration_value() == 2 * kDay);
  CHECK(Eval("-2d").duration_value() == -2 * kDay);
  CHECK(Eval("now + -1d").time_value() == T("2026-03-04T12:00:00Z"));
  CHECK(Eval("now - 1d - -1d").time_value() == s.ctx.now);
  // time - time is a duration, strings included.
  CHECK(Eval("interview_at - submitted_at").duration_value() == *ParseDuration("1w4d6h30m"));
  CHECK(True("interview_at - submitted_at > 10d"));
  CHECK(True("now - event.occurred_at == 4d3h"));
  // What does not make sense is null.
  CHECK(Eval("now + now").is_null());
  CHECK(Eval("1d - now").is_null());
  CHECK(Eval("not_a_time + 1d").is_null());
  CHECK(Eval("nope - 2d").is_null());
  CHECK(Eval("status - 2d").is_null());
  CHECK(Eval("now + 1").is_null());
  CHECK(MustParse("nope - 2d").Time(s.ctx) == std::nullopt);
  CHECK(MustParse("status").Time(s.ctx) == std::nullopt);
  CHECK(MustParse("count").Time(s.ctx) == std::nullopt);

  // Overflow is null, never a wrapped-around instant.
  EvalContext late = s.ctx;
  late.now = std::numeric_limits<Micros>::max() - 1;
  CHECK(Eval("now + 1d", late).is_null());
  CHECK(Eval("now - 1d", late).kind() == Kind::kTime);
  late.now = std::numeric_limits<Micros>::min() + 1;
  CHECK(Eval("now - 1d", late).is_null());
  CHECK(Eval("now - 2026-01-01T00:00:00Z", late).is_null());
  CHECK(Eval("-(now - now - now)", late).is_null());
}

TEST_CASE("times compare with RFC 3339 strings, not with other strings") {
  CHECK(True("interview_at > now"));
  CHECK(True("now < interview_at"));
  CHECK_FALSE(True("submitted_at > now"));
  CHECK(True("interview_at == 2026-03-12T15:30:00Z"));
  CHECK(True("2026-03-12T16:30:00+01:00 == interview_at"));  // same instant, other offset
  CHECK(True("'2026-03-12T16:30:00+01:00' == 2026-03-12T15:30:00Z"));
  CHECK(True("event.occurred_at <= now"));
  CHECK(True("interview_at - 2d > now"));
  CHECK_FALSE(True("not_a_time == now"));
  CHECK(True("not_a_time != now"));
  CHECK_FALSE(True("nope > now"));
  CHECK_FALSE(True("nope < now"));
  // Two strings stay strings: compared as text, even when both look like times.
  CHECK_FALSE(True("'2026-03-12T16:30:00+01:00' == '2026-03-12T15:30:00Z'"));
  // Durations are not coerced from strings.
  CHECK_FALSE(True("'2d' == 2d"));
}

TEST_CASE("the examples from the campaign spec") {
  Sample s;
  auto when = [&](std::string_view text) { return MustParse(text).Truthy(s.ctx); };

  CHECK_FALSE(when(R"(status in ["approved", "denied"])"));
  CHECK(when(R"(status == "documents_requested")"));
  CHECK(MustParse("interview_at - 2d").Time(s.ctx) == T("2026-03-10T15:30:00Z"));
  CHECK(when("interview_at > now"));
  CHECK(when(R"(recipient.locale == "es" and not (event.data.urgent == true))"));
  CHECK(when("household.size >= 3 && benefit_amount < 500.5 || flags.priority"));

  s.state["status"] = "approved";
  CHECK(when(R"(status in ["approved", "denied"])"));
  CHECK_FALSE(when(R"(status == "documents_requested")"));
  s.event["data"]["urgent"] = true;
  CHECK_FALSE(when(R"(recipient.locale == "es" and not (event.data.urgent == true))"));
  s.event["data"].erase("urgent");  // missing: null == true is false, so not(...) holds
  CHECK(when(R"(recipient.locale == "es" and not (event.data.urgent == true))"));
  s.recipient["locale"] = "en";
  CHECK_FALSE(when(R"(recipient.locale == "es" and not (event.data.urgent == true))"));

  s.state["household"]["size"] = 2;
  CHECK(when("household.size >= 3 && benefit_amount < 500.5 || flags.priority"));
  s.state["flags"]["priority"] = false;
  CHECK_FALSE(when("household.size >= 3 && benefit_amount < 500.5 || flags.priority"));
  s.state.erase("household");
  s.state.erase("flags");
  CHECK_FALSE(when("household.size >= 3 && benefit_amount < 500.5 || flags.priority"));

  s.ctx.now = T("2026-03-12T15:30:00Z");
  CHECK_FALSE(when("interview_at > now"));
  s.state.erase("interview_at");
  CHECK_FALSE(when("interview_at > now"));
  CHECK(MustParse("interview_at - 2d").Time(s.ctx) == std::nullopt);
}

}  // namespace
}  // namespace herald::rules
