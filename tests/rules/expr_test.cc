#include "engine/rules/expr.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "engine/core/duration.h"
#include "engine/core/time_format.h"

namespace herald::rules {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kWeek = 7 * kDay;

using Kind = Value::Kind;
using nlohmann::json;

Micros T(std::string_view rfc3339) {
  std::optional<Micros> t = ParseRfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

Expression MustParse(std::string_view text) {
  auto r = Expression::Parse(text);
  if (const auto* e = std::get_if<ExprError>(&r)) {
    FAIL("parse failed at ", e->offset, ": ", e->message, " in: ", std::string(text));
  }
  return std::get<Expression>(std::move(r));
}

ExprError MustFail(std::string_view text) {
  auto r = Expression::Parse(text);
  REQUIRE_MESSAGE(std::holds_alternative<ExprError>(r), "parsed: ", std::string(text));
  return std::get<ExprError>(std::move(r));
}

// A case in the middle of a SNAP recertification.
struct Sample {
  Sample() = default;
  Sample(const Sample&) = delete;  // ctx points into this Sample

  json state = json::parse(R"({
    "status": "documents_requested",
    "interview_at": "2026-03-12T15:30:00Z",
    "submitted_at": "2026-03-01T09:00:00Z",
    "not_a_time": "next tuesday",
    "household": {"size": 4, "members": ["ana", "luis"]},
    "benefit_amount": 420.75,
    "count": 3,
    "flags": {"priority": true, "paper": false},
    "tags": ["snap", "medicaid"],
    "nothing": null,
    "event": "a state field named event"
  })");
  json event = json::parse(R"({
    "id": "evt-1", "case_id": "C-9", "type": "case.status_changed",
    "occurred_at": "2026-03-01T09:00:00Z",
    "data": {"status": "documents_requested", "urgent": false, "items": [10, 20]}
  })");
  json recipient = json::parse(R"({"locale": "es", "timezone": "America/New_York"})");
  EvalContext ctx{&state, &event, &recipient, T("2026-03-05T12:00:00Z")};
};

Value Eval(std::string_view text, const EvalContext& ctx) {
  return MustParse(text).Evaluate(ctx);
}

Value Eval(std::string_view text) {
  Sample s;
  return Eval(text, s.ctx);
}

bool True(std::string_view text) {
  Sample s;
  return MustParse(text).Truthy(s.ctx);
}

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

TEST_CASE("parse errors: offsets and messages") {
  struct Case {
    std::string text;
    size_t offset;
    std::string message;
  };
  const Case cases[] = {
      {"", 0, "empty expression"},
      {"   ", 0, "empty expression"},
      {"- (2d", 5, "expected ')' to close '(' at column 3"},
      {"(status == \"x\"", 14, "expected ')' to close '(' at column 1"},
      {"(a == b c)", 8, "expected ')' to close '(' at column 1"},
      {"status => 3", 7, "unknown operator '=>'; did you mean '>='?"},
      {"status =< 3", 7, "unknown operator '=<'; did you mean '<='?"},
      {"status = 'a'", 7, "unknown operator '='; use '==' to compare"},
      {"status === 'a'", 7, "unknown operator '==='; use '=='"},
      {"status <> 'a'", 7, "unknown operator '<>'; use '!='"},
      {"a & b", 2, "unknown operator '&'; use 'and' or '&&'"},
      {"a | b", 2, "unknown operator '|'; use 'or' or '||'"},
      {"count * 2", 6, "unknown operator '*'; only + and - are supported"},
      {"status == \"abc", 10, "unterminated string"},
      {"status == 'it\\'s", 10, "unterminated string"},
      {"status == \"abc\\", 10, "unterminated string"},
      {"interview_at - 3x", 15, "'3x' is not a duration (use s, m, h, d, w)"},
      {"now + 1.5h", 6, "'1.5h' is not a duration: use whole numbers, e.g. 1h30m"},
      {"now - 30m1h", 6,
       "'30m1h' is not a duration: write units from largest to smallest, each once (e.g. 1h30m)"},
      {"now + 0d", 6, "'0d' is not a duration: must be greater than zero"},
      {"now + 2y", 6, "'2y' is not a duration: months and years vary in length; use d or w"},
      {"1.2.3", 0, "'1.2.3' is not a number"},
      {"a == ", 5, "expected a value after '==', found the end of the expression"},
      {"a and or b", 6, "expected a value after 'and', found 'or'"},
      {") a", 0, "expected a value, found ')'"},
      {"a == b == c", 7, "comparisons cannot be chained; combine them with 'and'"},
      {"a < b not in c", 6, "comparisons cannot be chained; combine them with 'and'"},
      {"a b", 2, "expected an operator or the end of the expression, found 'b'"},
      {"status == 'a' 'b'", 14, "expected an operator or the end of the expression, found ''b''"},
      {"a)", 1, "unmatched ')'"},
      {"a]", 1, "unmatched ']'"},
      {"[1, 2", 5, "expected ',' or ']' to close '[' at column 1"},
      {"[1 2]", 3, "expected ',' or ']' to close '[' at column 1"},
      {"[,]", 1, "expected a value after '[', found ','"},
      {"a.", 2, "expected a field name after '.'"},
      {"a..b", 2, "expected a field name after '.'"},
      {".5", 0, "write a digit before the point, e.g. 0.5"},
      {"event", 0, "'event' needs a field name, e.g. event.type"},
      {"recipient == 1", 0, "'recipient' needs a field name, e.g. recipient.locale"},
      {"true.x", 0, "'true' is a keyword and has no fields"},
      {"flag == True", 8,
       "'True' is not a keyword: write 'true' (or state.True for a state field of that name)"},
      {"Event.type", 0,
       "'Event' is not a keyword: write 'event' (or state.Event.type for a state field of that "
       "name)"},
      {"a AND b", 2, "'AND' is not an operator: write 'and'"},
      {"contains(tags, 'x')", 8,
       "'contains' is not a function: expressions have no function calls"},
      {"'a\\q'", 2, "unknown escape '\\q' in string (use \\\" \\' \\\\ \\n \\t \\uXXXX)"},
      {"'\\u12'", 1, "invalid \\u escape: expected 4 hex digits"},
      {"'\\ud800'", 1, "invalid \\u escape: unpaired surrogate"},
      {"'x\\udc00'", 2, "invalid \\u escape: unpaired surrogate"},
      {"'a\nb'", 2, "control character in string (write \\n or \\t)"},
      {"2026-03-01", 0,
       "'2026-03-01' is a date, not a time: write a full RFC 3339 time, e.g. 2026-03-01T09:00:00Z"},
      {"now > 2026-02-30T09:00:00Z", 6,
       "'2026-02-30T09:00:00Z' is not a valid RFC 3339 time (write e.g. 2026-03-01T09:00:00Z)"},
      {"now > 2026-03-01T09:00Z", 6,
       "'2026-03-01T09:00Z' is not a valid RFC 3339 time (write e.g. 2026-03-01T09:00:00Z)"},
      {"now > 2026-03-01T09:00:00", 6,
       "'2026-03-01T09:00:00' has no time zone: add Z for UTC or an offset like +01:00"},
      {"status == \xe2\x80\x9c"
       "approved\xe2\x80\x9d",
       10, "unexpected character '\xe2\x80\x9c' (U+201C); use straight quotes \" or '"},
      {"a ==\xc2\xa0"
       "1",
       4, "unexpected character U+00A0"},
      {"a == \xc3\xa9t\xc3\xa9", 5, "unexpected character '\xc3\xa9' (U+00E9)"},
      {"a # b", 2, "unexpected character '#'"},
      {"a == \"\xff\"", 6, "invalid UTF-8"},
      {"(a\n and b", 9, "expected ')' to close '(' at line 1, column 1"},
      // The first problem, left to right, wins over a lexical error further on.
      {"a == == \"unterminated", 5, "expected a value after '==', found '=='"},
      {"(a == 1 \"x", 8, "unterminated string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    ExprError e = MustFail(c.text);
    CHECK(e.message == c.message);
    CHECK(e.offset == c.offset);
  }
}

TEST_CASE("PositionAt and CaretLine count code points, not bytes") {
  // `"día" => 1`: the error is at byte 7 but column 7 (í is two bytes).
  const std::string text =
      "\"d\xc3\xad"
      "a\" => 1";
  ExprError e = MustFail(text);
  CHECK(e.offset == 7);
  CHECK(PositionAt(text, e.offset).line == 1);
  CHECK(PositionAt(text, e.offset).column == 7);
  CHECK(CaretLine(text, e.offset) == text + "\n      ^");

  CHECK(CaretLine("status == \"x", 10) == "status == \"x\n          ^");
  CHECK(CaretLine("a ==", 4) == "a ==\n    ^");  // the end
  CHECK(CaretLine("a ==", 99) == "a ==\n    ^");
  CHECK(CaretLine("", 0) == "\n^");
  CHECK(CaretLine("\xe4\xbd\xa0\xe5\xa5\xbd x", 7) == "\xe4\xbd\xa0\xe5\xa5\xbd x\n   ^");
  CHECK(CaretLine("a\t=> 1", 2) == "a\t=> 1\n \t^");  // tabs kept for alignment
  CHECK(CaretLine("a\x01=", 2) == "a?=\n  ^");        // controls shown as '?'

  // Several lines: the caret line shows only the line of the offset.
  const std::string multi = "status == 'x'\n  and b =>\n  or c";
  const size_t at = multi.find("=>");
  CHECK(PositionAt(multi, at).line == 2);
  CHECK(PositionAt(multi, at).column == 9);
  CHECK(CaretLine(multi, at) == "  and b =>\n        ^");
  CHECK(CaretLine("a\r\nb", 0) == "a\n^");

  // A long line is cut around the caret.
  const std::string long_line = std::string(200, 'a') + " => 1";
  const std::string caret = CaretLine(long_line, 201);
  const std::string shown = caret.substr(0, caret.find('\n'));
  const std::string marker = caret.substr(caret.find('\n') + 1);
  CHECK(shown.starts_with("..."));
  CHECK(shown.size() == 3 + 100);
  CHECK(shown.substr(marker.size() - 1, 2) == "=>");
  CHECK(marker == std::string(marker.size() - 1, ' ') + "^");
}

TEST_CASE("hostile input is an error, not a crash") {
  ExprError e = MustFail(std::string(100'000, '('));
  CHECK(e.offset == kMaxExpressionBytes);
  CHECK(e.message == "expression is too long: 100000 bytes (the limit is 4096)");
  e = MustFail("'" + std::string(1 << 20, 'x') + "'");
  CHECK(e.message == "expression is too long: 1048578 bytes (the limit is 4096)");
  CHECK(MustFail(std::string(1 << 20, '\xff')).offset == kMaxExpressionBytes);

  // Nesting is limited before recursing: the 65th level is the error.
  e = MustFail(std::string(100, '('));
  CHECK(e.offset == 64);
  CHECK(e.message == "expression nests too deeply (the limit is 64 levels)");
  e = MustFail(std::string(4000, '('));
  CHECK(e.offset == 64);
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  e = MustFail(nots + "true");
  CHECK(e.offset == 64 * 4);
  CHECK(e.message == "expression nests too deeply (the limit is 64 levels)");
  CHECK(MustFail(std::string(4000, '!') + "x").offset == 64);
  CHECK(MustFail(std::string(4000, '-') + "1").offset == 64);
  CHECK(MustFail(std::string(100, '[')).offset == 64);
  CHECK(MustFail("(((" + std::string(2000, '[') + "1").offset == 64);

  // 64 levels are fine.
  std::string deep = std::string(64, '(') + "true" + std::string(64, ')');
  CHECK(MustParse(deep).Truthy({}));
  std::string deep_not;
  for (int i = 0; i < 64; ++i) deep_not += "not ";
  CHECK(MustParse(deep_not + "true").Truthy({}));  // an even number of nots

  // Long flat chains are loops, not recursion.
  std::string chain = "x";
  while (chain.size() < 4000) chain += " and x";
  Sample s;
  s.state["x"] = true;
  CHECK(MustParse(chain).Truthy(s.ctx));
  std::string sum = "1";
  while (sum.size() < 4090) sum += "+1";
  CHECK(MustParse(sum).Evaluate({}).int_value() == 2046);
  std::string fields = "count";
  while (fields.size() < 4080) fields += "-count";
  const auto subtractions = static_cast<int64_t>((fields.size() - 5) / 6);
  CHECK(MustParse(fields).Evaluate(s.ctx).int_value() == 3 - 3 * subtractions);

  // List literals are bounded.
  std::string list = "[";
  for (int i = 0; i < 1000; ++i) list += "1,";
  CHECK(MustParse(list + "]").Evaluate({}).list_value().size() == 1000);
  e = MustFail(list + "1]");
  CHECK(e.offset == 2001);
  CHECK(e.message == "a list can have at most 1000 elements");

  // Noise never crashes the lexer or parser.
  for (unsigned seed = 1; seed < 2000; ++seed) {
    std::string noise;
    unsigned x = seed;
    for (int i = 0; i < 40; ++i) {
      x = x * 1103515245 + 12345;
      noise += "()[]!=<>&|+-.,'\"\\ an0d9tx_1e"[(x >> 16) % 28];
    }
    auto r = Expression::Parse(noise);
    if (auto* ok = std::get_if<Expression>(&r)) {
      ok->Evaluate(s.ctx);
    } else {
      CHECK(std::get<ExprError>(r).offset <= noise.size());
    }
  }
}

TEST_CASE("FieldPaths and Fields list what an expression reads") {
  using Root = FieldRef::Root;
  CHECK(MustParse("interview_at - 2d").FieldPaths() == std::vector<std::string>{"interview_at"});
  CHECK(MustParse(R"(recipient.locale == "es" and not (event.data.urgent == true))").FieldPaths() ==
        std::vector<std::string>{"recipient.locale", "event.data.urgent"});
  CHECK(MustParse("household.size >= 3 && benefit_amount < 500.5 || flags.priority").FieldPaths() ==
        std::vector<std::string>{"household.size", "benefit_amount", "flags.priority"});
  // Distinct, in order of first appearance; state.x is the same field as x.
  CHECK(MustParse("b == a or a == state.b or c in [a, b]").FieldPaths() ==
        std::vector<std::string>{"b", "a", "c"});
  CHECK(MustParse("state.event == 1 and event.id == 2").FieldPaths() ==
        std::vector<std::string>{"state.event", "event.id"});
  CHECK(MustParse("now > 2026-01-01T00:00:00Z").FieldPaths().empty());
  CHECK(MustParse("[1, 2]").FieldPaths().empty());

  const Expression e = MustParse("state.event.x or event.data.x or x");
  const std::vector<FieldRef>& refs = e.Fields();
  REQUIRE(refs.size() == 3);
  CHECK(refs[0].root == Root::kState);
  CHECK(refs[0].path == std::vector<std::string>{"event", "x"});
  CHECK(refs[1].root == Root::kEvent);
  CHECK(refs[1].path == std::vector<std::string>{"data", "x"});
  CHECK(refs[2] == FieldRef{Root::kState, {"x"}});
  // Every path string parses back to the same field.
  for (const FieldRef& ref : refs) {
    CHECK(MustParse(ref.ToString()).Fields() == std::vector<FieldRef>{ref});
  }

  CHECK(MustParse("interview_at > now").UsesNow());
  CHECK_FALSE(MustParse("interview_at - 2d").UsesNow());
}

TEST_CASE("MayYieldTime and MayYield: static type hints for the validator") {
  for (const char* at : {"interview_at - 2d", "interview_at", "now + 1h", "2d + interview_at",
                         "'2026-03-01T09:00:00Z'", "2026-03-01T09:00:00Z",
                         "2026-03-01T09:00:00Z - 1d", "event.occurred_at + 1d12h"}) {
    CAPTURE(at);
    CHECK(MustParse(at).MayYieldTime());
  }
  for (const char* not_at : {"status == \"x\"", "3d", "1 + 2", "'hello'", "'hello' + 1d", "true",
                             "interview_at - submitted_at", "-interview_at", "[interview_at]",
                             "null", "interview_at > now", "1d - now"}) {
    CAPTURE(not_at);
    CHECK_FALSE(MustParse(not_at).MayYieldTime());
  }
  CHECK(MustParse("status == 'x'").MayYield(Kind::kBool));
  CHECK(MustParse("flags.priority").MayYield(Kind::kBool));
  CHECK_FALSE(MustParse("interview_at - 2d").MayYield(Kind::kBool));
  CHECK_FALSE(MustParse("interview_at - 2d").MayYield(Kind::kString));
  CHECK(MustParse("interview_at - 2d").MayYield(Kind::kNull));
  CHECK(MustParse("interview_at - submitted_at").MayYield(Kind::kDuration));
  CHECK(MustParse("count + 1").MayYield(Kind::kNumber));
  CHECK_FALSE(MustParse("1 + 2").MayYield(Kind::kNull));  // folded: exactly a number
  CHECK_FALSE(Expression().MayYieldTime());
}

TEST_CASE("Expression: empty, copies, text, concurrent evaluation") {
  Expression empty;
  CHECK(empty.text().empty());
  CHECK(empty.Evaluate({}).is_null());
  CHECK_FALSE(empty.Truthy({}));
  CHECK(empty.FieldPaths().empty());

  Expression e = MustParse("  status == 'documents_requested' ");
  CHECK(e.text() == "  status == 'documents_requested' ");
  Expression copy = e;
  Sample s;
  CHECK(copy.Truthy(s.ctx));
  CHECK(copy.FieldPaths() == e.FieldPaths());

  Expression shared =
      MustParse("status in ['documents_requested'] and interview_at - 2d > now and 'snap' in tags");
  std::vector<std::thread> threads;
  std::atomic<int> trues{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Sample mine;
      for (int i = 0; i < 500; ++i) trues += shared.Truthy(mine.ctx) ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(trues == 2000);
}

TEST_CASE("Value: JSON in and out, display") {
  json j = json::parse(R"({"a": [1, 2.5, "x", null, true, {"b": 18446744073709551615}]})");
  Value v = Value::FromJson(j);
  CHECK(v.kind() == Kind::kObject);
  Value list = Value::FromJson(j["a"]);
  REQUIRE(list.list_value().size() == 6);
  CHECK(list.list_value()[0].is_int());
  CHECK(list.list_value()[1].number_value() == 2.5);
  CHECK(list.ToJson() == j["a"]);
  CHECK(Value::FromJson(json(18446744073709551615ull)).number_value() ==
        doctest::Approx(1.8446744073709552e19));
  CHECK(Value::Time(T("2026-03-01T09:00:00Z")).ToJson() == "2026-03-01T09:00:00Z");
  CHECK(Value::Duration(36 * kHour).ToJson() == "1d12h");
  CHECK(Value::Double(std::numeric_limits<double>::infinity()).is_null());
  CHECK(Value::Double(std::nan("")).is_null());
  CHECK(Value::Object(json::array()).is_null());
  CHECK(Value::String("a\"b").ToString() == "\"a\\\"b\"");
  CHECK(Value::Double(0.5).ToString() == "0.5");
  CHECK(Value::Null().ToString() == "null");
  CHECK(Value::Time(0).ToString() == "1970-01-01T00:00:00Z");
  // Accessors of another kind are empty, not undefined.
  CHECK(Value::Int(3).string_value().empty());
  CHECK(Value::String("x").list_value().empty());
  CHECK(Value::String("x").object_value().empty());
  CHECK(Value::Double(1e300).int_value() == std::numeric_limits<int64_t>::max());
  CHECK(Value::String("2026-03-01T09:00:00Z").AsTime() == T("2026-03-01T09:00:00Z"));
  CHECK(KindName(Kind::kDuration) == "duration");
}

}  // namespace
}  // namespace herald::rules
