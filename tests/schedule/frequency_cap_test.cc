#include "engine/schedule/frequency_cap.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "engine/core/time_format.h"
#include "tests/schedule/schedule_test_util.h"

namespace herald {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;

using testing::Utc;

std::string Slot(const char* due, const std::vector<Micros>& sends, FrequencyCap cap) {
  return FormatRfc3339(NextSlotUnderCap(Utc(due), sends, cap));
}

TEST_CASE("ValidateFrequencyCap") {
  CHECK(ValidateFrequencyCap({3, kDay}).ok());
  CHECK(ValidateFrequencyCap({1, 1}).ok());
  CHECK(ValidateFrequencyCap({0, kDay}).IsInvalidArgument());
  CHECK(ValidateFrequencyCap({-1, kDay}).IsInvalidArgument());
  CHECK(ValidateFrequencyCap({3, 0}).IsInvalidArgument());
  CHECK(ValidateFrequencyCap({3, -kDay}).IsInvalidArgument());
  // An invalid cap limits nothing.
  const std::vector<Micros> sends = {Utc("2026-01-01T09:00:00Z")};
  CHECK(Slot("2026-01-01T09:00:00Z", sends, {0, kDay}) == "2026-01-01T09:00:00Z");
  CHECK(Slot("2026-01-01T09:00:00Z", sends, {1, 0}) == "2026-01-01T09:00:00Z");
}

TEST_CASE("Under the cap the send goes when due") {
  const FrequencyCap cap{3, kDay};
  CHECK(Slot("2026-01-01T12:00:00Z", {}, cap) == "2026-01-01T12:00:00Z");
  const std::vector<Micros> two = {Utc("2026-01-01T09:00:00Z"), Utc("2026-01-01T10:00:00Z")};
  CHECK(Slot("2026-01-01T12:00:00Z", two, cap) == "2026-01-01T12:00:00Z");
  CHECK(Slot("2026-01-01T10:00:00Z", two, cap) == "2026-01-01T10:00:00Z");
}

TEST_CASE("At the cap the send waits for exactly the instant the oldest send leaves") {
  const FrequencyCap cap{3, kDay};
  const std::vector<Micros> sends = {Utc("2026-01-01T09:00:00Z"), Utc("2026-01-01T10:00:00Z"),
                                     Utc("2026-01-01T11:00:00Z")};
  CHECK(Slot("2026-01-01T12:00:00Z", sends, cap) == "2026-01-02T09:00:00Z");
  CHECK(Slot("2026-01-01T11:00:00Z", sends, cap) == "2026-01-02T09:00:00Z");
  CHECK(Slot("2026-01-02T08:59:59.999999Z", sends, cap) == "2026-01-02T09:00:00Z");
  // The window is (t - per, t]: at 09:00 on the 2nd the 09:00 send is out of it.
  CHECK(Slot("2026-01-02T09:00:00Z", sends, cap) == "2026-01-02T09:00:00Z");
  CHECK(Slot("2026-01-02T09:00:00.000001Z", sends, cap) == "2026-01-02T09:00:00.000001Z");
}

TEST_CASE("Sends long before due - per are ignored") {
  const FrequencyCap cap{2, kDay};
  std::vector<Micros> sends;
  for (Micros t = Utc("2020-01-01T00:00:00Z"); t < Utc("2020-02-01T00:00:00Z"); t += kHour) {
    sends.push_back(t);
  }
  CHECK(Slot("2026-01-01T12:00:00Z", sends, cap) == "2026-01-01T12:00:00Z");
  // Exactly per before due: out of the window (t - per, t].
  sends.push_back(Utc("2025-12-31T12:00:00Z"));
  sends.push_back(Utc("2025-12-31T12:00:00Z"));
  CHECK(Slot("2026-01-01T12:00:00Z", sends, cap) == "2026-01-01T12:00:00Z");
  CHECK(Slot("2026-01-01T11:59:59Z", sends, cap) == "2026-01-01T12:00:00Z");
}

TEST_CASE("max 1: one send per window") {
  const FrequencyCap cap{1, kDay};
  const std::vector<Micros> sends = {Utc("2026-01-01T10:00:00Z")};
  CHECK(Slot("2026-01-01T10:00:00Z", sends, cap) == "2026-01-02T10:00:00Z");
  CHECK(Slot("2026-01-01T23:00:00Z", sends, cap) == "2026-01-02T10:00:00Z");
  CHECK(Slot("2026-01-02T10:00:00Z", sends, cap) == "2026-01-02T10:00:00Z");
  // A send already planned for later counts too: nothing within 24h before it either...
  CHECK(Slot("2025-12-31T10:00:00.000001Z", sends, cap) == "2026-01-02T10:00:00Z");
  // ...but exactly 24h before it is fine.
  CHECK(Slot("2025-12-31T10:00:00Z", sends, cap) == "2025-12-31T10:00:00Z");
}

TEST_CASE("Sends already planned after due are honoured") {
  const FrequencyCap cap{3, kDay};
  // Two sends this morning, one planned for tomorrow 06:00: a send now would make four in
  // the window (tomorrow 06:00 - 24h, tomorrow 06:00].
  const std::vector<Micros> sends = {Utc("2026-01-01T09:00:00Z"), Utc("2026-01-01T10:00:00Z"),
                                     Utc("2026-01-02T06:00:00Z")};
  CHECK(Slot("2026-01-01T12:00:00Z", sends, cap) == "2026-01-02T09:00:00Z");
  // Before 06:00 yesterday the planned send is out of reach.
  CHECK(Slot("2026-01-01T05:00:00Z", sends, cap) == "2026-01-01T05:00:00Z");
}

TEST_CASE("Duplicates count separately; unsorted input is accepted") {
  const FrequencyCap cap{2, kHour};
  const std::vector<Micros> dup = {Utc("2026-01-01T10:00:00Z"), Utc("2026-01-01T10:00:00Z")};
  CHECK(Slot("2026-01-01T10:30:00Z", dup, cap) == "2026-01-01T11:00:00Z");
  const std::vector<Micros> unsorted = {Utc("2026-01-01T10:20:00Z"), Utc("2026-01-01T10:00:00Z"),
                                        Utc("2026-01-01T10:10:00Z")};
  CHECK(Slot("2026-01-01T10:30:00Z", unsorted, cap) == "2026-01-01T11:10:00Z");
}

TEST_CASE("Chains of full windows push the send along") {
  const FrequencyCap cap{2, kDay};
  // Pairs a day apart: each freed slot is inside the next pair's window.
  const std::vector<Micros> sends = {Utc("2026-01-01T08:00:00Z"), Utc("2026-01-01T09:00:00Z"),
                                     Utc("2026-01-02T08:30:00Z"), Utc("2026-01-02T09:30:00Z")};
  // Due 01T12:00 -> 02T08:00 (01T08:00 leaves) -> 02T09:00 (01T09:00 and 02T08:30 are both
  // within 24h of it) -> 03T08:30 (02T08:30 and 02T09:30 likewise).
  const Micros got = NextSlotUnderCap(Utc("2026-01-01T12:00:00Z"), sends, cap);
  CHECK(FormatRfc3339(got) == "2026-01-03T08:30:00Z");
}

TEST_CASE("Extreme values saturate instead of overflowing") {
  const Micros max = std::numeric_limits<Micros>::max();
  const Micros min = std::numeric_limits<Micros>::min();
  CHECK(NextSlotUnderCap(max - 5, std::vector<Micros>{max - 10}, {1, kDay}) == max);
  CHECK(NextSlotUnderCap(min, std::vector<Micros>{min, min + 1}, {2, max}) == min + max);
  CHECK(NextSlotUnderCap(0, std::vector<Micros>{min}, {1, kDay}) == 0);
}

// Direct reading of the definition (see the header), used as an oracle.
bool CapAllows(Micros t, const std::vector<Micros>& sends, const FrequencyCap& cap) {
  std::vector<Micros> ws = {t};
  for (Micros s : sends) {
    for (Micros w : {s, s + cap.per}) {
      if (w > t && w < t + cap.per) ws.push_back(w);
    }
  }
  for (Micros w : ws) {
    int n = 0;
    for (Micros s : sends) n += (w - cap.per < s && s <= w) ? 1 : 0;
    if (n >= cap.max) return false;
  }
  return true;
}

TEST_CASE("NextSlotUnderCap matches the definition: brute force") {
  uint64_t state = 7;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<Micros>((state >> 33) % bound);
  };
  const Micros base = Utc("2026-01-01T00:00:00Z");
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    const FrequencyCap cap{1 + static_cast<int>(next(4)), (1 + next(48)) * 30 * kMinute};
    std::vector<Micros> sends;
    const int n = static_cast<int>(next(10));
    for (int i = 0; i < n; ++i) sends.push_back(base + next(3 * 24 * 60) * kMinute);
    std::sort(sends.begin(), sends.end());
    const Micros due = base + next(3 * 24 * 60) * kMinute;
    Micros want = due;
    while (!CapAllows(want, sends, cap)) want += kMinute;
    const Micros got = NextSlotUnderCap(due, sends, cap);
    CAPTURE(FormatRfc3339(due));
    CHECK(FormatRfc3339(got) == FormatRfc3339(want));
    CHECK(NextSlotUnderCap(got, sends, cap) == got);  // idempotent
  }
}

}  // namespace
}  // namespace herald
