#include "engine/core/time_format.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros k2026 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z

TEST_CASE("ParseRfc3339 accepts UTC forms") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("2026-01-01T00:00:00Z") == k2026);
  CHECK(ParseRfc3339("2026-01-01t00:00:00z") == k2026);  // lowercase t and z
  CHECK(ParseRfc3339("2026-01-01T00:00:00+00:00") == k2026);
  CHECK(ParseRfc3339("2026-01-01T00:00:00-00:00") == k2026);  // "unknown offset"
  CHECK(ParseRfc3339("1969-12-31T23:59:59Z") == -kSecond);
  CHECK(ParseRfc3339("2026-03-01T09:30:00Z") == 1'772'357'400 * kSecond);
}

TEST_CASE("ParseRfc3339 applies offsets") {
  CHECK(ParseRfc3339("2026-01-01T01:00:00+01:00") == k2026);
  CHECK(ParseRfc3339("2025-12-31T19:00:00-05:00") == k2026);
  CHECK(ParseRfc3339("2026-01-01T05:30:00+05:30") == k2026);
  CHECK(ParseRfc3339("2026-01-01T23:59:00+23:59") == k2026);
  CHECK(ParseRfc3339("2025-12-31T00:01:00-23:59") == k2026);
}

TEST_CASE("ParseRfc3339 fractions: 1..9 digits, truncated to microseconds") {
  CHECK(ParseRfc3339("2026-01-01T00:00:00.5Z") == k2026 + 500'000);
  CHECK(ParseRfc3339("2026-01-01T00:00:00.123Z") == k2026 + 123'000);
  CHECK(ParseRfc3339("2026-01-01T00:00:00.123456Z") == k2026 + 123'456);
  CHECK(ParseRfc3339("2026-01-01T00:00:00.1234567Z") == k2026 + 123'456);
  CHECK(ParseRfc3339("2026-01-01T00:00:00.123456999Z") == k2026 + 123'456);
  CHECK(ParseRfc3339("1969-12-31T23:59:59.5Z") == -500'000);
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:00.1234567890Z"));  // 10 digits
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:00.Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:00,5Z"));
}

TEST_CASE("ParseRfc3339 checks the calendar") {
  CHECK(ParseRfc3339("2024-02-29T00:00:00Z"));  // leap year
  CHECK(ParseRfc3339("2000-02-29T00:00:00Z"));  // divisible by 400
  CHECK_FALSE(ParseRfc3339("2026-02-29T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("1900-02-29T00:00:00Z"));  // divisible by 100
  CHECK(ParseRfc3339("2026-04-30T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-04-31T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-32T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-00-01T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-13-01T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-00T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T24:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:60:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:61Z"));
  CHECK(ParseRfc3339("0000-01-01T00:00:00Z") == -62'167'219'200 * kSecond);
  CHECK(ParseRfc3339("9999-12-31T23:59:59Z") == 253'402'300'799 * kSecond);
}

TEST_CASE("ParseRfc3339 reads a leap second as second 59") {
  CHECK(ParseRfc3339("2016-12-31T23:59:60Z") == ParseRfc3339("2016-12-31T23:59:59Z"));
  CHECK(ParseRfc3339("2016-12-31T23:59:60.5Z") == ParseRfc3339("2016-12-31T23:59:59.5Z"));
}

TEST_CASE("ParseRfc3339 rejects malformed input") {
  for (const char* bad : {
           "",
           "2026",
           "2026-01-01",
           "2026-01-01T00:00Z",
           "2026-01-01T00:00:00",
           "2026-01-01 00:00:00Z",        // space separator
           "2026-01-01T00:00:00Z ",       // trailing space
           " 2026-01-01T00:00:00Z",       // leading space
           "2026-01-01T00:00:00Zjunk",    // trailing junk
           "2026-01-01T00:00:00+01",      // offset without minutes
           "2026-01-01T00:00:00+0100",    // offset without colon
           "2026-01-01T00:00:00+24:00",   // offset hour range
           "2026-01-01T00:00:00+01:60",   // offset minute range
           "2026-01-01T00:00:00+01:00Z",  // both
           "2026-1-01T00:00:00Z",
           "2026-01-1T00:00:00Z",
           "20260101T000000Z",
           "+2026-01-01T00:00:00Z",
           "-001-01-01T00:00:00Z",
           "2026-01-01X00:00:00Z",
           "2026/01/01T00:00:00Z",
           "2026-01-01T00:00:0aZ",
           "２０２６-01-01T00:00:00Z",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRfc3339(bad));
  }
  CHECK_FALSE(ParseRfc3339(std::string_view("2026-01-01T00:00:00Z\0", 21)));
}

TEST_CASE("FormatRfc3339: canonical UTC, fraction only when nonzero") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(k2026) == "2026-01-01T00:00:00Z");
  CHECK(FormatRfc3339(k2026 + 123'000) == "2026-01-01T00:00:00.123Z");
  CHECK(FormatRfc3339(k2026 + 123'456) == "2026-01-01T00:00:00.123456Z");
  CHECK(FormatRfc3339(k2026 + 1) == "2026-01-01T00:00:00.000001Z");
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatRfc3339(-500'000) == "1969-12-31T23:59:59.500Z");
  CHECK(FormatRfc3339(*ParseRfc3339("2026-01-02T03:04:05.123456+02:00")) ==
        "2026-01-02T01:04:05.123456Z");
}

TEST_CASE("FormatRfc3339 and ParseRfc3339 round-trip") {
  const Micros samples[] = {0,
                            1,
                            -1,
                            k2026,
                            k2026 + 999'999,
                            951'782'400 * kSecond + 7,  // 2000-02-29
                            -62'167'219'200 * kSecond,  // 0000-01-01
                            253'402'300'799 * kSecond + 999'999};
  for (Micros t : samples) {
    CAPTURE(t);
    CHECK(ParseRfc3339(FormatRfc3339(t)) == t);
  }
  // Every day for ~800 years, at a varying time of day.
  for (Micros day = -200 * 366; day < 600 * 366; day += 13) {
    const Micros t = day * 86'400 * kSecond + (day % 86'400) * kSecond + day % 1000;
    const auto back = ParseRfc3339(FormatRfc3339(t));
    REQUIRE(back == t);
  }
}

}  // namespace
}  // namespace herald
