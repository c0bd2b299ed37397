#include "engine/core/duration.h"

#include <limits>

#include <doctest/doctest.h>

namespace herald {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kWeek = 7 * kDay;

std::string ErrorOf(std::string_view text) {
  Result<Micros> r = ParseDurationOrError(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

TEST_CASE("ParseDuration reads single units") {
  CHECK(ParseDuration("45s") == 45 * kSecond);
  CHECK(ParseDuration("30m") == 30 * kMinute);
  CHECK(ParseDuration("12h") == 12 * kHour);
  CHECK(ParseDuration("3d") == 3 * kDay);
  CHECK(ParseDuration("2w") == 14 * kDay);
  CHECK(ParseDuration("1s") == 1'000'000);
  CHECK(ParseDuration("007m") == 7 * kMinute);  // leading zeros are harmless
}

TEST_CASE("ParseDuration combines units, largest first, each once") {
  CHECK(ParseDuration("1d12h") == 36 * kHour);
  CHECK(ParseDuration("1h30m") == 90 * kMinute);
  CHECK(ParseDuration("2w3d") == 17 * kDay);
  CHECK(ParseDuration("1w1d1h1m1s") == kWeek + kDay + kHour + kMinute + kSecond);
  CHECK(ParseDuration("90m") == 90 * kMinute);  // no carrying rule: 90m is fine
  CHECK(ParseDuration("0d1h") == kHour);        // a zero group is allowed

  CHECK(ErrorOf("30m1h") ==
        "'30m1h' is not a duration: write units from largest to smallest, each once (e.g. 1h30m)");
  CHECK_FALSE(ParseDuration("1d1d"));
  CHECK_FALSE(ParseDuration("1h1d"));
}

TEST_CASE("ParseDuration rejects everything else, saying why") {
  CHECK(ErrorOf("3x") == "'3x' is not a duration (use s, m, h, d, w)");
  CHECK(ErrorOf("") == "empty duration (use e.g. 30m, 12h, 3d)");
  CHECK(ErrorOf("30") == "'30' is not a duration: a number needs a unit (s, m, h, d, w)");
  CHECK(ErrorOf("1d12") == "'1d12' is not a duration: a number needs a unit (s, m, h, d, w)");
  CHECK(ErrorOf("1.5h") == "'1.5h' is not a duration: use whole numbers, e.g. 1h30m");
  CHECK(ErrorOf("0m") == "'0m' is not a duration: must be greater than zero");
  CHECK(ErrorOf("0d0h") == "'0d0h' is not a duration: must be greater than zero");
  CHECK(ErrorOf("1y") == "'1y' is not a duration: months and years vary in length; use d or w");
  CHECK(ErrorOf("2mo") == "'2mo' is not a duration: months and years vary in length; use d or w");
  CHECK(ErrorOf("2M") == "'2M' is not a duration: months and years vary in length; use d or w");
  CHECK(ErrorOf("500ms") == "'500ms' is not a duration: the smallest unit is s");
  for (const char* bad :
       {"d", "h3", "-1d", "+1d", " 1d", "1d ", "1 d", "1D", "3H", "1d,2h", "1dd", "1e3s", "１d"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDuration(bad));
  }
}

TEST_CASE("ParseDuration: limit and overflow") {
  CHECK(ParseDuration("36500d") == kMaxDuration);
  CHECK(ParseDuration("5214w2d") == kMaxDuration);
  CHECK(ErrorOf("36501d") == "'36501d' is not a duration: too long (the limit is 36500d)");
  CHECK(ErrorOf("36500d1s") == "'36500d1s' is not a duration: too long (the limit is 36500d)");
  // Digits far beyond int64 saturate instead of wrapping around.
  CHECK(ErrorOf("99999999999999999999999999999999s") ==
        "'99999999999999999999999999999999s' is not a duration: too long (the limit is 36500d)");
  CHECK_FALSE(ParseDuration("18446744073709551617w"));
  CHECK_FALSE(ParseDuration("9223372036854775807s"));
}

TEST_CASE("FormatDuration") {
  CHECK(FormatDuration(45 * kSecond) == "45s");
  CHECK(FormatDuration(30 * kMinute) == "30m");
  CHECK(FormatDuration(90 * kMinute) == "1h30m");
  CHECK(FormatDuration(36 * kHour) == "1d12h");
  CHECK(FormatDuration(3 * kDay) == "3d");
  CHECK(FormatDuration(14 * kDay) == "2w");
  CHECK(FormatDuration(10 * kDay) == "10d");  // weeks only when whole
  CHECK(FormatDuration(kDay + kSecond) == "1d1s");
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(-2 * kDay) == "-2d");
  CHECK(FormatDuration(kMinute + 500'000) == "1m0.5s");
  CHECK(FormatDuration(1) == "0.000001s");
  CHECK(FormatDuration(std::numeric_limits<Micros>::min()).starts_with("-"));
  CHECK(FormatDuration(std::numeric_limits<Micros>::max()).ends_with("s"));
}

TEST_CASE("FormatDuration output parses back") {
  for (const char* text : {"45s", "30m", "12h", "3d", "2w", "1d12h", "1h30m", "2w3d", "36500d",
                           "1w1d1h1m1s", "90m", "25h"}) {
    CAPTURE(text);
    std::optional<Micros> d = ParseDuration(text);
    REQUIRE(d);
    CHECK(ParseDuration(FormatDuration(*d)) == d);
  }
  CHECK(FormatDuration(*ParseDuration("90m")) == "1h30m");
  CHECK(FormatDuration(*ParseDuration("25h")) == "1d1h");
}

}  // namespace
}  // namespace herald
