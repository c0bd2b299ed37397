#include "engine/schedule/send_window.h"

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

using testing::Utc;

using testing::Load;

QuietHours Quiet(const char* start, const char* end) {
  Result<QuietHours> q = ParseQuietHours(start, end);
  REQUIRE_MESSAGE(q.ok(), start, "-", end);
  return *q;
}

// NextAllowedSend, in and out as RFC 3339 (UTC).
std::string Next(const char* due, const QuietHours& q, const Zone& zone) {
  return FormatRfc3339(NextAllowedSend(Utc(due), q, zone));
}

TEST_CASE("ParseQuietHours") {
  Result<QuietHours> q = ParseQuietHours("21:00", "08:00");
  REQUIRE(q.ok());
  CHECK(q->start_minute == 21 * 60);
  CHECK(q->end_minute == 8 * 60);
  CHECK(Quiet("00:00", "23:59").end_minute == 1439);
  CHECK(Quiet("22:00", "24:00").end_minute == 0);  // "until midnight"
  for (const char* bad : {"", "9:00", "21:0", "21:60", "24:00", "25:00", "21-00", "21:00 ",
                          " 21:00", "ab:cd", "+1:00", "21:00:00"}) {
    CAPTURE(bad);
    Result<QuietHours> r = ParseQuietHours(bad, "08:00");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("start") != std::string::npos);
  }
  Result<QuietHours> r = ParseQuietHours("21:00", "24:01");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("end") != std::string::npos);
}

TEST_CASE("start == end means no quiet hours; invalid fields mean none either") {
  const Zone ny = Load("America/New_York");
  for (QuietHours q : {Quiet("21:00", "21:00"), Quiet("00:00", "00:00"), QuietHours{-5, 480},
                       QuietHours{1260, 1440}}) {
    for (const char* due : {"2026-01-15T02:00:00Z", "2026-01-15T12:00:00Z"}) {
      CHECK(Next(due, q, ny) == FormatRfc3339(Utc(due)));
      CHECK_FALSE(IsQuiet(Utc(due), q, ny));
    }
  }
}

TEST_CASE("Boundaries: start inclusive, end exclusive (New York, EST)") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  // 2026-01-15 20:59:59.999999 EST is allowed; 21:00:00 is quiet until 08:00 EST (13:00Z).
  CHECK(Next("2026-01-16T01:59:59.999999Z", q, ny) == "2026-01-16T01:59:59.999999Z");
  CHECK(IsQuiet(Utc("2026-01-16T02:00:00Z"), q, ny));
  CHECK(Next("2026-01-16T02:00:00Z", q, ny) == "2026-01-16T13:00:00Z");
  CHECK(Next("2026-01-16T05:00:00Z", q, ny) == "2026-01-16T13:00:00Z");  // local midnight
  CHECK(Next("2026-01-16T12:59:59.999999Z", q, ny) == "2026-01-16T13:00:00Z");
  CHECK_FALSE(IsQuiet(Utc("2026-01-16T13:00:00Z"), q, ny));
  CHECK(Next("2026-01-16T13:00:00Z", q, ny) == "2026-01-16T13:00:00Z");
  CHECK(Next("2026-01-16T18:00:00Z", q, ny) == "2026-01-16T18:00:00Z");
}

TEST_CASE("Spring-forward night 2026-03-07/08 in New York, quiet 21:00-08:00") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  // The night is 23 hours long; every quiet instant ends at 08:00 EDT = 12:00Z.
  CHECK(Next("2026-03-08T02:00:00Z", q, ny) == "2026-03-08T12:00:00Z");  // 21:00 EST
  CHECK(Next("2026-03-08T04:30:00Z", q, ny) == "2026-03-08T12:00:00Z");  // 23:30 EST
  CHECK(Next("2026-03-08T06:59:59Z", q, ny) == "2026-03-08T12:00:00Z");  // 01:59:59 EST
  CHECK(Next("2026-03-08T07:00:00Z", q, ny) == "2026-03-08T12:00:00Z");  // 03:00 EDT
  CHECK(Next("2026-03-08T11:59:59Z", q, ny) == "2026-03-08T12:00:00Z");
  CHECK(Next("2026-03-08T12:00:00Z", q, ny) == "2026-03-08T12:00:00Z");
  CHECK(Next("2026-03-08T01:59:00Z", q, ny) == "2026-03-08T01:59:00Z");  // 20:59 EST
}

TEST_CASE("Fall-back night 2026-10-31/11-01 in New York, quiet 21:00-08:00") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  // The night is 25 hours long; every quiet instant ends at 08:00 EST = 13:00Z.
  CHECK(Next("2026-11-01T01:00:00Z", q, ny) == "2026-11-01T13:00:00Z");  // 21:00 EDT
  CHECK(Next("2026-11-01T03:00:00Z", q, ny) == "2026-11-01T13:00:00Z");  // 23:00 EDT
  CHECK(Next("2026-11-01T05:30:00Z", q, ny) == "2026-11-01T13:00:00Z");  // 01:30 EDT
  CHECK(Next("2026-11-01T06:30:00Z", q, ny) == "2026-11-01T13:00:00Z");  // 01:30 EST
  CHECK(Next("2026-11-01T07:30:00Z", q, ny) == "2026-11-01T13:00:00Z");  // 02:30 EST
  CHECK(Next("2026-11-01T12:59:59Z", q, ny) == "2026-11-01T13:00:00Z");
  CHECK(Next("2026-11-01T13:00:00Z", q, ny) == "2026-11-01T13:00:00Z");
}

TEST_CASE("A quiet end skipped by spring-forward resolves to the end of the gap") {
  const Zone ny = Load("America/New_York");
  // 22:00-02:30: 02:30 does not exist on 2026-03-08; at 03:00 EDT (07:00Z) the recipient's
  // clock is already past it.
  const QuietHours q = Quiet("22:00", "02:30");
  CHECK(Next("2026-03-08T04:00:00Z", q, ny) == "2026-03-08T07:00:00Z");  // 23:00 EST
  CHECK(Next("2026-03-08T06:59:59Z", q, ny) == "2026-03-08T07:00:00Z");  // 01:59:59 EST
  CHECK_FALSE(IsQuiet(Utc("2026-03-08T07:00:00Z"), q, ny));
  // The night before and after are ordinary: 02:30 EST, then 02:30 EDT.
  CHECK(Next("2026-03-07T04:00:00Z", q, ny) == "2026-03-07T07:30:00Z");
  CHECK(Next("2026-03-09T03:00:00Z", q, ny) == "2026-03-09T06:30:00Z");

  // A window that lies inside the gap never happens that night.
  const QuietHours inside = Quiet("02:10", "02:40");
  CHECK(Next("2026-03-08T06:50:00Z", inside, ny) == "2026-03-08T06:50:00Z");  // 01:50 EST
  CHECK(Next("2026-03-08T07:00:00Z", inside, ny) == "2026-03-08T07:00:00Z");  // 03:00 EDT
  CHECK(Next("2026-03-09T06:15:00Z", inside, ny) == "2026-03-09T06:40:00Z");  // next night
}

TEST_CASE("A quiet end inside the repeated hour: quiet is read on the wall clock") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("22:00", "01:30");
  // First 01:30 (EDT) ends the quiet period...
  CHECK(Next("2026-11-01T03:00:00Z", q, ny) == "2026-11-01T05:30:00Z");
  CHECK(Next("2026-11-01T05:45:00Z", q, ny) == "2026-11-01T05:45:00Z");  // 01:45 EDT
  // ...but at 06:00Z the clock shows 01:00 EST, inside 22:00-01:30 again, until 01:30 EST.
  CHECK(IsQuiet(Utc("2026-11-01T06:00:00Z"), q, ny));
  CHECK(Next("2026-11-01T06:10:00Z", q, ny) == "2026-11-01T06:30:00Z");

  // And a backward jump can leave quiet hours: 01:30-03:00, the clock goes from 01:59:59
  // EDT (quiet) to 01:00 EST (not quiet).
  const QuietHours day = Quiet("01:30", "03:00");
  CHECK(Next("2026-11-01T05:45:00Z", day, ny) == "2026-11-01T06:00:00Z");
  CHECK(Next("2026-11-01T06:40:00Z", day, ny) == "2026-11-01T08:00:00Z");  // 01:40 EST
}

TEST_CASE("A same-day window: 12:00-13:00") {
  const QuietHours q = Quiet("12:00", "13:00");
  const Zone utc = Zone::Utc();
  CHECK(Next("2026-05-01T11:59:59Z", q, utc) == "2026-05-01T11:59:59Z");
  CHECK(Next("2026-05-01T12:00:00Z", q, utc) == "2026-05-01T13:00:00Z");
  CHECK(Next("2026-05-01T12:30:00Z", q, utc) == "2026-05-01T13:00:00Z");
  CHECK(Next("2026-05-01T13:00:00Z", q, utc) == "2026-05-01T13:00:00Z");
  CHECK(Next("2026-05-01T23:30:00Z", q, utc) == "2026-05-01T23:30:00Z");
  const Zone kolkata = Load("Asia/Kolkata");
  CHECK(Next("2026-05-01T06:45:00Z", q, kolkata) == "2026-05-01T07:30:00Z");  // 12:15 IST
}

TEST_CASE("Recipients in other zones, quiet 21:00-08:00") {
  const QuietHours q = Quiet("21:00", "08:00");
  SUBCASE("Asia/Kolkata +05:30") {
    const Zone z = Load("Asia/Kolkata");
    CHECK(Next("2026-06-01T16:00:00Z", q, z) == "2026-06-02T02:30:00Z");  // 21:30 IST
    CHECK(Next("2026-06-01T15:29:00Z", q, z) == "2026-06-01T15:29:00Z");  // 20:59 IST
  }
  SUBCASE("Australia/Lord_Howe: the 30-minute spring-forward night") {
    const Zone z = Load("Australia/Lord_Howe");
    // 2026-10-03 22:00 +10:30 -> 08:00 +11:00 on 2026-10-04 (a 10.5-hour wait).
    CHECK(Next("2026-10-03T11:30:00Z", q, z) == "2026-10-03T21:00:00Z");
    // A quiet end at 02:15 falls into the 02:00-02:30 gap: the gap's end, 02:30 +11:00.
    CHECK(Next("2026-10-03T11:30:00Z", Quiet("21:00", "02:15"), z) == "2026-10-03T15:30:00Z");
    // 2026-04-05: 01:30-02:00 repeats; 08:00 +10:30 is 21:30Z.
    CHECK(Next("2026-04-04T11:00:00Z", q, z) == "2026-04-04T21:30:00Z");
  }
  SUBCASE("Pacific/Chatham +12:45/+13:45") {
    const Zone z = Load("Pacific/Chatham");
    // 2026-04-04 22:00 +13:45 -> 08:00 +12:45 on 2026-04-05, through the fall-back.
    CHECK(Next("2026-04-04T08:15:00Z", q, z) == "2026-04-04T19:15:00Z");
    // 2026-09-26 22:00 +12:45 -> 08:00 +13:45 on 2026-09-27, through the spring-forward.
    CHECK(Next("2026-09-26T09:15:00Z", q, z) == "2026-09-26T18:15:00Z");
  }
  SUBCASE("America/St_Johns -03:30/-02:30") {
    const Zone z = Load("America/St_Johns");
    CHECK(Next("2026-03-08T01:30:00Z", q, z) == "2026-03-08T10:30:00Z");  // 22:00 -03:30
    CHECK(Next("2026-11-01T00:30:00Z", q, z) == "2026-11-01T11:30:00Z");  // 22:00 -02:30
  }
  SUBCASE("UTC") {
    const Zone z = Zone::Utc();
    CHECK(Next("2026-03-08T22:00:00Z", q, z) == "2026-03-09T08:00:00Z");
    CHECK(Next("2026-03-08T08:00:00Z", q, z) == "2026-03-08T08:00:00Z");
  }
}

TEST_CASE("NextAllowedSend is the earliest quiet-free instant: exhaustive minute scan") {
  struct Case {
    const char* zone;
    const char* start;
    const char* end;
    const char* from;
  };
  const Case cases[] = {
      {"America/New_York", "21:00", "08:00", "2026-03-07T00:00:00Z"},
      {"America/New_York", "21:00", "08:00", "2026-10-31T00:00:00Z"},
      {"America/New_York", "22:00", "02:30", "2026-03-07T00:00:00Z"},
      {"America/New_York", "01:30", "03:00", "2026-10-31T00:00:00Z"},
      {"America/New_York", "22:00", "01:30", "2026-10-31T00:00:00Z"},
      {"Australia/Lord_Howe", "21:00", "02:15", "2026-10-03T00:00:00Z"},
      {"Australia/Lord_Howe", "01:40", "06:00", "2026-04-04T00:00:00Z"},
      {"Pacific/Chatham", "03:00", "03:30", "2026-04-04T00:00:00Z"},
      {"Pacific/Chatham", "21:00", "03:00", "2026-09-26T00:00:00Z"},
      {"America/St_Johns", "23:00", "02:30", "2026-03-07T00:00:00Z"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.zone);
    CAPTURE(c.start);
    CAPTURE(c.end);
    const Zone zone = Load(c.zone);
    const QuietHours q = Quiet(c.start, c.end);
    const Micros from = Utc(c.from);
    const Micros to = from + 3 * kMicrosPerDay;
    // quiet[i]: is minute i quiet. Transitions and quiet bounds are whole minutes, so the
    // earliest allowed instant from a minute-aligned due is itself minute-aligned.
    std::vector<bool> quiet;
    for (Micros t = from; t < to + 2 * kMicrosPerDay; t += kMicrosPerMinute) {
      quiet.push_back(IsQuiet(t, q, zone));
    }
    Micros previous = from;
    for (size_t i = 0; from + static_cast<Micros>(i) * kMicrosPerMinute < to; i += 7) {
      const Micros due = from + static_cast<Micros>(i) * kMicrosPerMinute;
      size_t j = i;
      while (quiet[j]) ++j;
      const Micros want = from + static_cast<Micros>(j) * kMicrosPerMinute;
      const Micros got = NextAllowedSend(due, q, zone);
      CAPTURE(FormatRfc3339(due));
      REQUIRE(FormatRfc3339(got) == FormatRfc3339(want));
      CHECK(NextAllowedSend(got, q, zone) == got);  // idempotent
      CHECK(got >= previous);                       // monotone
      previous = got;
    }
  }
}

TEST_CASE("NextAllowedSend outside the supported range returns due") {
  const QuietHours q = Quiet("00:00", "23:59");
  const Zone utc = Zone::Utc();
  CHECK(NextAllowedSend(std::numeric_limits<Micros>::max(), q, utc) ==
        std::numeric_limits<Micros>::max());
  CHECK(NextAllowedSend(std::numeric_limits<Micros>::min(), q, utc) ==
        std::numeric_limits<Micros>::min());
}

// --- PlanSendTime ---------------------------------------------------------------------

constexpr Micros kDay = kMicrosPerDay;

TEST_CASE("PlanSendTime without policies, or with only one") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  const FrequencyCap cap{1, kDay};
  const std::vector<Micros> sends = {Utc("2026-01-15T15:00:00Z")};
  const Micros due = Utc("2026-01-16T03:00:00Z");  // 22:00 EST on the 15th
  CHECK(PlanSendTime(due, nullptr, nullptr, sends, ny) == due);
  CHECK(FormatRfc3339(PlanSendTime(due, &q, nullptr, sends, ny)) == "2026-01-16T13:00:00Z");
  CHECK(FormatRfc3339(PlanSendTime(due, nullptr, &cap, sends, ny)) == "2026-01-16T15:00:00Z");
}

TEST_CASE("PlanSendTime: the cap pushes into quiet hours, which push on to 08:00") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  const FrequencyCap cap{1, kDay};
  // Sent 2026-01-14 22:00 EST (an urgent campaign ignores quiet hours); due 10:00 EST
  // on the 15th: the cap says 22:00 EST, quiet hours say 08:00 EST on the 16th.
  const std::vector<Micros> sends = {Utc("2026-01-15T03:00:00Z")};
  CHECK(FormatRfc3339(PlanSendTime(Utc("2026-01-15T15:00:00Z"), &q, &cap, sends, ny)) ==
        "2026-01-16T13:00:00Z");
}

TEST_CASE("PlanSendTime: quiet hours push past the cap window") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  const FrequencyCap cap{1, kDay};
  // Sent 2026-01-14 02:00 EST; due 01:00 EST on the 15th. The cap alone says 02:00 EST,
  // but that is quiet; 08:00 EST is beyond the cap window anyway.
  const std::vector<Micros> sends = {Utc("2026-01-14T07:00:00Z")};
  CHECK(FormatRfc3339(PlanSendTime(Utc("2026-01-15T06:00:00Z"), &q, &cap, sends, ny)) ==
        "2026-01-15T13:00:00Z");
}

TEST_CASE("PlanSendTime: cap and quiet hours alternate until both agree") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  const FrequencyCap cap{1, kDay};
  // Planned sends (all EST): 14th 22:00 (past), 16th 07:00, 18th 07:30.
  // Due 15th 10:00 -> cap: 17th 07:00 -> quiet: 17th 08:00 -> cap (the 18th 07:30 send is
  // under 24h away): 19th 07:30 -> quiet: 19th 08:00, which both accept.
  const std::vector<Micros> sends = {Utc("2026-01-15T03:00:00Z"), Utc("2026-01-16T12:00:00Z"),
                                     Utc("2026-01-18T12:30:00Z")};
  const Micros got = PlanSendTime(Utc("2026-01-15T15:00:00Z"), &q, &cap, sends, ny);
  CHECK(FormatRfc3339(got) == "2026-01-19T13:00:00Z");
  CHECK(NextSlotUnderCap(got, sends, cap) == got);
  CHECK(NextAllowedSend(got, q, ny) == got);
}

TEST_CASE("PlanSendTime across the spring-forward night") {
  const Zone ny = Load("America/New_York");
  const QuietHours q = Quiet("21:00", "08:00");
  const FrequencyCap cap{3, kDay};
  // Three sends on 2026-03-07 between 07:00 and 07:30 EST; due the same evening at 23:00.
  // The cap frees a slot at 07:00 EST + 24h = 08:00 EDT on the 8th (the 23-hour day), and
  // quiet hours end at 08:00 EDT too: both give 12:00Z.
  const std::vector<Micros> sends = {Utc("2026-03-07T12:00:00Z"), Utc("2026-03-07T12:15:00Z"),
                                     Utc("2026-03-07T12:30:00Z")};
  CHECK(FormatRfc3339(PlanSendTime(Utc("2026-03-08T04:00:00Z"), &q, &cap, sends, ny)) ==
        "2026-03-08T12:00:00Z");
  // Sends at 09:00-09:30 EST instead: the cap says 14:00Z = 10:00 EDT.
  const std::vector<Micros> later = {Utc("2026-03-07T14:00:00Z"), Utc("2026-03-07T14:15:00Z"),
                                     Utc("2026-03-07T14:30:00Z")};
  CHECK(FormatRfc3339(PlanSendTime(Utc("2026-03-08T04:00:00Z"), &q, &cap, later, ny)) ==
        "2026-03-08T14:00:00Z");
}

// A tiny deterministic generator: tests must not depend on a seed from the environment.
struct Lcg {
  uint64_t state;
  uint64_t Next(uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  }
};

// Direct reading of the cap definition: every window (w - per, w] that contains t holds
// fewer than max sends. The count only changes at w = s and w = s + per.
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

TEST_CASE("PlanSendTime is the earliest instant both policies allow: brute force") {
  const Zone ny = Load("America/New_York");
  const Micros base = Utc("2026-10-28T00:00:00Z");
  Lcg rng{42};
  for (int trial = 0; trial < 60; ++trial) {
    CAPTURE(trial);
    const QuietHours q{static_cast<int>(rng.Next(96)) * 15, static_cast<int>(rng.Next(96)) * 15};
    const FrequencyCap cap{1 + static_cast<int>(rng.Next(3)),
                           (1 + static_cast<Micros>(rng.Next(36))) * kMicrosPerHour};
    std::vector<Micros> sends;
    const int n = static_cast<int>(rng.Next(8));
    for (int i = 0; i < n; ++i) {
      sends.push_back(base + static_cast<Micros>(rng.Next(7 * 24 * 60)) * kMicrosPerMinute);
    }
    std::sort(sends.begin(), sends.end());
    const Micros due = base + static_cast<Micros>(rng.Next(7 * 24 * 60)) * kMicrosPerMinute;
    const Micros got = PlanSendTime(due, &q, &cap, sends, ny);

    Micros want = due;
    while (IsQuiet(want, q, ny) || !CapAllows(want, sends, cap)) want += kMicrosPerMinute;
    CAPTURE(FormatRfc3339(due));
    CHECK(FormatRfc3339(got) == FormatRfc3339(want));
  }
}

}  // namespace
}  // namespace herald
