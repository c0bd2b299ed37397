#include "engine/core/duration.h"

#include <string>

namespace herald {
namespace {

// Local names: engine/schedule/local_time.h has its own herald::kMicrosPer* constants.
constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kWeek = 7 * kDay;
static_assert(kMaxDuration == 36'500 * kDay);

struct Unit {
  char letter;
  Micros micros;
};

// Largest first: a group's unit must come after every unit used before it.
constexpr Unit kUnits[] = {
    {'w', kWeek}, {'d', kDay}, {'h', kHour}, {'m', kMinute}, {'s', kSecond},
};
constexpr int kUnitCount = sizeof(kUnits) / sizeof(kUnits[0]);

int UnitIndex(char c) {
  for (int i = 0; i < kUnitCount; ++i) {
    if (kUnits[i].letter == c) return i;
  }
  return -1;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string Quote(std::string_view text) {
  return "'" + std::string(text) + "'";
}

Status NotADuration(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(Quote(text) + " is not a duration" + std::string(why));
}

constexpr std::string_view kUseUnits = " (use s, m, h, d, w)";

}  // namespace

Result<Micros> ParseDurationOrError(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration (use e.g. 30m, 12h, 3d)");
  Micros total = 0;
  int next_unit = 0;  // index of the largest unit still allowed
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) return NotADuration(text, kUseUnits);
    // The digits, saturating at a value already past kMaxDuration in any unit.
    Micros n = 0;
    while (i < text.size() && IsDigit(text[i])) {
      if (n <= kMaxDuration) n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == text.size()) {
      return NotADuration(text, ": a number needs a unit (s, m, h, d, w)");
    }
    if (text[i] == '.' || text[i] == ',') {
      return NotADuration(text, ": use whole numbers, e.g. 1h30m");
    }
    if (text[i] == 'y' || text[i] == 'M' || text.substr(i, 2) == "mo") {
      return NotADuration(text, ": months and years vary in length; use d or w");
    }
    if (text.substr(i, 2) == "ms" || text.substr(i, 2) == "us") {
      return NotADuration(text, ": the smallest unit is s");
    }
    int unit = UnitIndex(text[i]);
    if (unit < 0) return NotADuration(text, kUseUnits);
    if (unit < next_unit) {
      return NotADuration(text, ": write units from largest to smallest, each once (e.g. 1h30m)");
    }
    next_unit = unit + 1;
    ++i;
    // n <= kMaxDuration + 9 here and kMaxDuration * kWeek would overflow, so
    // compare in units first.
    if (n > kMaxDuration / kUnits[unit].micros) {
      return NotADuration(text, ": too long (the limit is 36500d)");
    }
    total += n * kUnits[unit].micros;
    if (total > kMaxDuration) return NotADuration(text, ": too long (the limit is 36500d)");
  }
  if (total == 0) return NotADuration(text, ": must be greater than zero");
  return total;
}

std::optional<Micros> ParseDuration(std::string_view text) {
  Result<Micros> r = ParseDurationOrError(text);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::string FormatDuration(Micros d) {
  if (d == 0) return "0s";
  std::string out;
  // Work in unsigned so that the most negative Micros has a magnitude.
  uint64_t rest = static_cast<uint64_t>(d);
  if (d < 0) {
    out = "-";
    rest = 0 - rest;
  }
  const auto week = static_cast<uint64_t>(kWeek);
  int first = rest % week == 0 ? 0 : 1;  // weeks only for a whole number of weeks
  for (int u = first; u < kUnitCount; ++u) {
    const auto unit = static_cast<uint64_t>(kUnits[u].micros);
    uint64_t n = rest / unit;
    rest %= unit;
    if (kUnits[u].letter == 's') {
      if (n == 0 && rest == 0) break;
      out += std::to_string(n);
      if (rest != 0) {
        std::string frac = std::to_string(rest);
        frac.insert(0, 6 - frac.size(), '0');
        while (frac.back() == '0') frac.pop_back();
        out += "." + frac;
      }
      out += 's';
      break;
    }
    if (n != 0) out += std::to_string(n) + kUnits[u].letter;
  }
  return out;
}

}  // namespace herald
