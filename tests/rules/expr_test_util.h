// Shared fixtures of the expression tests: a sample case, parse/evaluate shorthands.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "engine/core/duration.h"
#include "engine/core/time_format.h"
#include "engine/rules/expr.h"

namespace herald::rules::expr_test {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kWeek = 7 * kDay;

using Kind = Value::Kind;
using nlohmann::json;

inline Micros T(std::string_view rfc3339) {
  std::optional<Micros> t = ParseRfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

inline Expression MustParse(std::string_view text) {
  auto r = Expression::Parse(text);
  if (const auto* e = std::get_if<ExprError>(&r)) {
    FAIL("parse failed at ", e->offset, ": ", e->message, " in: ", std::string(text));
  }
  return std::get<Expression>(std::move(r));
}

inline ExprError MustFail(std::string_view text) {
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

inline Value Eval(std::string_view text, const EvalContext& ctx) {
  return MustParse(text).Evaluate(ctx);
}

inline Value Eval(std::string_view text) {
  Sample s;
  return Eval(text, s.ctx);
}

inline bool True(std::string_view text) {
  Sample s;
  return MustParse(text).Truthy(s.ctx);
}

}  // namespace herald::rules::expr_test
