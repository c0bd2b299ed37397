// Fuzzes the campaign expression language (engine/rules/expr.h): parsing, error
// positions, static type hints and evaluation.
//
// Input: the expression text, optionally followed by a NUL byte and a JSON object used
// as the case state (and as the event's data); without one, a fixed sample case.
//
// Properties, besides "no crash, no sanitizer report, no exception":
// - a parse error points inside the text, and CaretLine shows it as two lines of valid
//   UTF-8;
// - a parsed expression keeps its text, parses again to the same fields, and each field's
//   ToString parses back to exactly that field;
// - evaluation is deterministic; Truthy and Time agree with Evaluate; the value's kind
//   is one MayYield allows (MayYieldTime when it denotes a time); an expression that does
//   not use `now` gives the same value at another `now`, and one that reads no field the
//   same value on an empty case; the value converts to JSON that dumps (valid UTF-8).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/time_format.h"
#include "engine/rules/expr.h"
#include "engine/rules/value.h"
#include "tests/fuzz/fuzz_util.h"

namespace herald::rules {
namespace {

using nlohmann::json;

constexpr Micros kNow = 1'772'712'000'000'000;  // 2026-03-05T12:00:00Z
constexpr Micros kLater = kNow + 86'400'000'000LL * 400;

// The sample case of tests/rules/expr_test_util.h, plus values at the edges of the
// number and time types.
const json& SampleState() {
  static const json state = json::parse(R"({
    "status": "documents_requested",
    "interview_at": "2026-03-12T15:30:00Z",
    "submitted_at": "2026-03-01T09:00:00+01:00",
    "not_a_time": "next tuesday",
    "household": {"size": 4, "members": ["ana", "luis"]},
    "benefit_amount": 420.75,
    "count": 3,
    "big": 9223372036854775807,
    "small": -9223372036854775808,
    "huge": 18446744073709551615,
    "tiny": 5e-324,
    "max_double": 1.7976931348623157e308,
    "far_future": "9999-12-31T23:59:59Z",
    "far_past": "0001-01-01T00:00:00Z",
    "flags": {"priority": true, "paper": false},
    "tags": ["snap", "medicaid"],
    "nothing": null,
    "event": "a state field named event"
  })");
  return state;
}

const json& SampleEvent() {
  static const json event = json::parse(R"({
    "id": "evt-1", "case_id": "C-9", "type": "case.status_changed",
    "occurred_at": "2026-03-01T09:00:00Z",
    "data": {"status": "documents_requested", "urgent": false, "items": [10, 20]}
  })");
  return event;
}

const json& SampleRecipient() {
  static const json recipient =
      json::parse(R"({"locale": "es", "timezone": "America/New_York", "channels": ["sms"]})");
  return recipient;
}

void CheckError(std::string_view text, const ExprError& e) {
  HERALD_FUZZ_CHECK(e.offset <= text.size());
  HERALD_FUZZ_CHECK(!e.message.empty() && fuzz::IsValidUtf8(e.message));
  const TextPosition pos = PositionAt(text, e.offset);
  HERALD_FUZZ_CHECK(pos.line >= 1 && pos.column >= 1);
  const std::string caret = CaretLine(text, e.offset);
  fuzz::FailureContext() = e.message + "\n" + caret;
  HERALD_FUZZ_CHECK(std::count(caret.begin(), caret.end(), '\n') == 1);
  HERALD_FUZZ_CHECK(fuzz::IsValidUtf8(caret));
}

void CheckFields(const Expression& e) {
  const std::vector<FieldRef>& fields = e.Fields();
  HERALD_FUZZ_CHECK(e.FieldPaths().size() == fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string path = fields[i].ToString();
    HERALD_FUZZ_CHECK(e.FieldPaths()[i] == path);
    auto again = Expression::Parse(path);
    HERALD_FUZZ_CHECK(std::holds_alternative<Expression>(again));
    const std::vector<FieldRef>& one = std::get<Expression>(again).Fields();
    HERALD_FUZZ_CHECK(one.size() == 1 && one[0] == fields[i]);
  }
}

void CheckValue(const Expression& e, const EvalContext& ctx) {
  const Value v = e.Evaluate(ctx);
  HERALD_FUZZ_CHECK(e.Evaluate(ctx).ToString() == v.ToString());
  HERALD_FUZZ_CHECK(e.Truthy(ctx) == v.IsTrue());
  HERALD_FUZZ_CHECK(e.Time(ctx) == v.AsTime());
  HERALD_FUZZ_CHECK(e.MayYield(v.kind()));
  if (v.AsTime()) HERALD_FUZZ_CHECK(e.MayYieldTime());
  (void)v.ToJson().dump();  // throws on ill-formed UTF-8
  HERALD_FUZZ_CHECK(fuzz::IsValidUtf8(v.ToString()));

  if (!e.UsesNow()) {
    EvalContext later = ctx;
    later.now = kLater;
    HERALD_FUZZ_CHECK(e.Evaluate(later).ToString() == v.ToString());
  }
  if (e.Fields().empty()) {
    const EvalContext empty{nullptr, nullptr, nullptr, ctx.now};
    HERALD_FUZZ_CHECK(e.Evaluate(empty).ToString() == v.ToString());
  }
}

void Fuzz(std::string_view input) {
  const std::vector<std::string_view> fields = fuzz::SplitFields(input);
  const std::string_view text = fields[0];
  auto parsed = Expression::Parse(text);
  if (const auto* error = std::get_if<ExprError>(&parsed)) {
    CheckError(text, *error);
    return;
  }
  const Expression& e = std::get<Expression>(parsed);
  HERALD_FUZZ_CHECK(e.text() == text);
  auto again = Expression::Parse(text);
  HERALD_FUZZ_CHECK(std::holds_alternative<Expression>(again) &&
                    std::get<Expression>(again).Fields() == e.Fields() &&
                    std::get<Expression>(again).UsesNow() == e.UsesNow());
  CheckFields(e);

  CheckValue(e, EvalContext{&SampleState(), &SampleEvent(), &SampleRecipient(), kNow});
  if (fields.size() > 1) {
    const json state = json::parse(fields[1], nullptr, false);
    if (state.is_object()) {
      json event = SampleEvent();
      event["data"] = state;
      CheckValue(e, EvalContext{&state, &event, &state, kNow});
    }
  }
}

}  // namespace
}  // namespace herald::rules

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  herald::rules::Fuzz(herald::fuzz::AsText(data, size));
  return 0;
}
