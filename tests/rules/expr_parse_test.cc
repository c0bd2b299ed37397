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
  // Ill-formed UTF-8 (found by tests/fuzz): each byte a '?' of its own, never glued to
  // the character before it, so the line stays valid UTF-8 and the caret in place.
  CHECK(CaretLine("not \x95in", 4) == "not ?in\n    ^");
  CHECK(CaretLine("a\xe2\x82 b", 4) == "a?? b\n    ^");

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

  // A first name made of digits, or starting with one, keeps "state." too: "0" would read
  // as a number and "2d" as a duration (found by tests/fuzz).
  CHECK(MustParse("state.0 == state.2d.x").FieldPaths() ==
        std::vector<std::string>{"state.0", "state.2d.x"});
  // So does a reserved word in another case: a bare "And" is refused ("write 'and'").
  CHECK(MustParse("state.And or state.NOW").FieldPaths() ==
        std::vector<std::string>{"state.And", "state.NOW"});

  const Expression e =
      MustParse("state.event.x or event.data.x or x or state.0 or state.2d or state.Event");
  const std::vector<FieldRef>& refs = e.Fields();
  REQUIRE(refs.size() == 6);
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
