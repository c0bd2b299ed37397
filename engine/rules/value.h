// Value: what a campaign expression computes (see docs/expressions.md).
//
// A Value is one of: null, bool, number, string, list, object, time (an instant, Micros
// since the epoch UTC) or duration (Micros). Numbers keep int64 exactness when they are
// whole and fit, and are doubles otherwise. A Value owns its data (lists and objects are
// shared, immutable, reference-counted), so it is cheap to copy and safe to hand to
// another thread by value; a const Value may be read from several threads at once.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"

namespace herald::rules {

class Value {
 public:
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kNumber,
    kString,
    kList,
    kObject,
    kTime,
    kDuration,
  };

  Value() = default;  // null

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  // A number held as a double. NaN and infinities are not numbers of the language:
  // they become null.
  static Value Double(double d);
  static Value String(std::string s);
  static Value List(std::vector<Value> items);
  // `object` must be a JSON object; anything else gives null.
  static Value Object(nlohmann::json object);
  static Value Time(Micros t);
  static Value Duration(Micros d);

  // JSON to Value, copying: null, booleans, strings, arrays (element by element) and
  // objects map to their kinds; integers to exact numbers (unsigned ones above INT64_MAX
  // to doubles); other numbers to doubles. Strings stay strings: an RFC 3339 string
  // becomes a time only where the language coerces it (see docs/expressions.md).
  static Value FromJson(const nlohmann::json& j);

  Kind kind() const;
  bool is_null() const { return kind() == Kind::kNull; }
  // True only for the boolean true: the language's notion of a condition holding.
  bool IsTrue() const;

  // Accessors. Each returns its kind's payload, and a zero/empty value when the Value is
  // of another kind (never undefined behaviour, never an exception).
  bool bool_value() const;
  bool is_int() const { return std::holds_alternative<int64_t>(data_); }  // exact integer
  int64_t int_value() const;  // the integer; a double number truncated toward zero
  double number_value() const;
  const std::string& string_value() const;
  const std::vector<Value>& list_value() const;
  const nlohmann::json& object_value() const;
  Micros time_value() const;
  Micros duration_value() const;

  // The time this Value denotes: a time, or a string that parses as RFC 3339
  // (ParseRfc3339). nullopt for anything else. This is the language's only coercion.
  std::optional<Micros> AsTime() const;

  // Value to JSON: times as RFC 3339 strings (FormatRfc3339), durations as strings in
  // FormatDuration form ("1d12h"), everything else as itself.
  nlohmann::json ToJson() const;

  // The value as an expression would write it: null, true, 42, 0.5, "text" (JSON
  // escaped), 2026-03-01T09:00:00Z, 1d12h, [1, "a"], {"k":1}. For messages and tests.
  std::string ToString() const;

 private:
  struct TimeRep {
    Micros t;
  };
  struct DurationRep {
    Micros d;
  };
  using ListRep = std::shared_ptr<const std::vector<Value>>;
  using ObjectRep = std::shared_ptr<const nlohmann::json>;

  std::variant<std::monostate, bool, int64_t, double, std::string, ListRep, ObjectRep, TimeRep,
               DurationRep>
      data_;
};

std::string_view KindName(Value::Kind kind);  // "null", "bool", "number", ... "duration"

// The language's `==`, symmetric:
// - numbers compare by value, exactly (1 == 1.0; 2^53 + 1 != 2^53 as a double);
// - strings, booleans, times and durations compare by value; null == null;
// - a time and a string: equal when the string parses as RFC 3339 to the same instant;
// - lists: same length and elementwise equal; objects: equal as JSON;
// - any other pair of kinds (including null against anything else) is not equal.
// `!=` is exactly `not ==`.
bool Equal(const Value& a, const Value& b);

// The language's ordering for < <= > >=: numbers by value, strings by code point
// (bytewise UTF-8), times and durations by value, a time against a string that parses
// as RFC 3339 as two times. Every other pair, and anything with null, is unordered:
// nullopt, which makes all four operators false.
std::optional<std::strong_ordering> Compare(const Value& a, const Value& b);

}  // namespace herald::rules
