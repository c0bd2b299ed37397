#include "engine/core/time_format.h"

#include <cstdint>
#include <cstdio>

namespace herald {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian
// calendar. Exact for every year an int64 can hold the result of.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of DaysFromCivil (Hinnant's civil_from_days).
Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool IsLeapYear(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` ASCII digits at s[pos..pos+n); false if any is not a digit.
bool ReadDigits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<Micros> ParseRfc3339(std::string_view s) {
  // Fixed-width prefix: "YYYY-MM-DDTHH:MM:SS" is 19 bytes.
  unsigned year, month, day, hour, minute, second;
  if (!ReadDigits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !ReadDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadDigits(s, 11, 2, &hour) || s[13] != ':' || !ReadDigits(s, 14, 2, &minute) ||
      s[16] != ':' || !ReadDigits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  if (second == 60) second = 59;  // leap second: see the header

  size_t pos = 19;
  int64_t fraction_us = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t scale = 100'000;  // the first fraction digit is worth 100000 us
    while (pos < s.size() && IsDigit(s[pos])) {
      if (++digits > 9) return std::nullopt;
      fraction_us += (s[pos] - '0') * scale;  // digits past the 6th have scale 0: truncated
      scale /= 10;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
  }

  if (pos >= s.size()) return std::nullopt;
  int64_t offset_seconds = 0;
  const char zone = s[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    unsigned off_h, off_m;
    if (!ReadDigits(s, pos + 1, 2, &off_h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, &off_m)) {
      return std::nullopt;
    }
    if (off_h > 23 || off_m > 59) return std::nullopt;
    offset_seconds = static_cast<int64_t>(off_h * 3600 + off_m * 60) * (zone == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;  // trailing junk

  const int64_t local_seconds =
      DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  // Local time = UTC + offset, so UTC = local - offset.
  return (local_seconds - offset_seconds) * kMicrosPerSecond + fraction_us;
}

std::string FormatRfc3339(Micros t) {
  // Floor division, so instants before 1970 land on the right day and second.
  int64_t seconds = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --seconds;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const Civil c = CivilFromDays(days);
  const int hh = static_cast<int>(second_of_day / 3600);
  const int mm = static_cast<int>(second_of_day / 60 % 60);
  const int ss = static_cast<int>(second_of_day % 60);

  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(c.year), c.month, c.day, hh, mm, ss);
  if (micros != 0) {
    if (micros % 1000 == 0) {
      n += std::snprintf(buf + n, sizeof buf - n, ".%03lld", static_cast<long long>(micros / 1000));
    } else {
      n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(micros));
    }
  }
  buf[n++] = 'Z';
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace herald
