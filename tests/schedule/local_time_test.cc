#include "engine/schedule/local_time.h"

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "engine/core/time_format.h"
#include "tests/schedule/schedule_test_util.h"

namespace herald {
namespace {

using testing::Utc;

using testing::Load;

LocalDateTime Local(int y, int mo, int d, int h, int mi, int s = 0) {
  return LocalDateTime{y, mo, d, h, mi, s, 0};
}

std::string LocalAt(const char* rfc3339, const Zone& zone) {
  return FormatLocalDateTime(ToLocal(Utc(rfc3339), zone));
}

std::string Instant(const LocalDateTime& local, const Zone& zone, Resolve policy = {}) {
  return FormatRfc3339(FromLocal(local, zone, policy));
}

constexpr Resolve kLater{GapPolicy::kShiftForward, OverlapPolicy::kLater};
constexpr Resolve kTransition{GapPolicy::kTransition, OverlapPolicy::kEarlier};

TEST_CASE("Zone::Load: known ids, aliases, errors") {
  CHECK(Load("America/New_York").id() == "America/New_York");
  CHECK(Load("US/Eastern").id() == "US/Eastern");  // aliases load and keep their name
  CHECK(Load("UTC").UtcOffset(0) == 0);
  CHECK(Zone::Utc().id() == "UTC");

  for (const char* bad : {"", "America/New York", "Europe/Paris\n", "GMT+05:00", "../etc/passwd"}) {
    CAPTURE(bad);
    Result<Zone> z = Zone::Load(bad);
    REQUIRE_FALSE(z.ok());
    CHECK(z.status().IsInvalidArgument());
  }
  CHECK(Zone::Load(std::string(65, 'A')).status().IsInvalidArgument());
  for (const char* unknown : {"Mars/Olympus_Mons", "america/new_york", "GMT+5", "Etc/Unknown"}) {
    CAPTURE(unknown);
    Result<Zone> z = Zone::Load(unknown);
    REQUIRE_FALSE(z.ok());
    CHECK(z.status().IsNotFound());
  }
}

TEST_CASE("Zone: offsets and transitions in America/New_York, 2026") {
  const Zone ny = Load("America/New_York");
  CHECK(ny.UtcOffset(Utc("2026-03-08T06:59:59.999999Z")) == -5 * kMicrosPerHour);
  CHECK(ny.UtcOffset(Utc("2026-03-08T07:00:00Z")) == -4 * kMicrosPerHour);  // new offset at T
  CHECK(ny.UtcOffset(Utc("2026-11-01T05:59:59Z")) == -4 * kMicrosPerHour);
  CHECK(ny.UtcOffset(Utc("2026-11-01T06:00:00Z")) == -5 * kMicrosPerHour);

  CHECK(ny.NextTransition(Utc("2026-01-01T00:00:00Z")) == Utc("2026-03-08T07:00:00Z"));
  CHECK(ny.NextTransition(Utc("2026-03-08T06:59:59.999999Z")) == Utc("2026-03-08T07:00:00Z"));
  // Strictly after: a transition at `after` itself is not returned.
  CHECK(ny.NextTransition(Utc("2026-03-08T07:00:00Z")) == Utc("2026-11-01T06:00:00Z"));
  CHECK(ny.NextTransition(Utc("2026-03-08T07:00:00.000001Z")) == Utc("2026-11-01T06:00:00Z"));

  CHECK_FALSE(Zone::Utc().NextTransition(Utc("2026-01-01T00:00:00Z")).has_value());
  CHECK_FALSE(Load("Asia/Kolkata").NextTransition(Utc("2026-01-01T00:00:00Z")).has_value());
}

TEST_CASE("ToLocal across New York's spring-forward and fall-back") {
  const Zone ny = Load("America/New_York");
  CHECK(LocalAt("2026-03-08T06:59:59Z", ny) == "2026-03-08T01:59:59");
  CHECK(LocalAt("2026-03-08T07:00:00Z", ny) == "2026-03-08T03:00:00");  // 02:xx never shows
  CHECK(LocalAt("2026-03-08T12:00:00Z", ny) == "2026-03-08T08:00:00");
  CHECK(LocalAt("2026-11-01T05:30:00Z", ny) == "2026-11-01T01:30:00");  // EDT
  CHECK(LocalAt("2026-11-01T06:30:00Z", ny) == "2026-11-01T01:30:00");  // EST, again
  CHECK(LocalAt("2026-11-01T07:00:00Z", ny) == "2026-11-01T02:00:00");
  CHECK(LocalAt("2026-01-01T04:59:59.000042Z", ny) == "2025-12-31T23:59:59.000042");
}

TEST_CASE("FromLocal: the skipped hour of 2026-03-08 in New York") {
  const Zone ny = Load("America/New_York");
  CHECK(ClassifyLocal(Local(2026, 3, 8, 1, 59, 59), ny) == LocalTimeKind::kUnique);
  CHECK(ClassifyLocal(Local(2026, 3, 8, 2, 0), ny) == LocalTimeKind::kNonexistent);
  CHECK(ClassifyLocal(Local(2026, 3, 8, 2, 30), ny) == LocalTimeKind::kNonexistent);
  CHECK(ClassifyLocal(Local(2026, 3, 8, 2, 59, 59), ny) == LocalTimeKind::kNonexistent);
  CHECK(ClassifyLocal(Local(2026, 3, 8, 3, 0), ny) == LocalTimeKind::kUnique);

  // Shift forward by the gap: 02:30 "EST" is 03:30 EDT.
  CHECK(Instant(Local(2026, 3, 8, 2, 30), ny) == "2026-03-08T07:30:00Z");
  CHECK(LocalAt("2026-03-08T07:30:00Z", ny) == "2026-03-08T03:30:00");
  CHECK(Instant(Local(2026, 3, 8, 2, 0), ny) == "2026-03-08T07:00:00Z");
  // Transition: the first instant after the gap.
  CHECK(Instant(Local(2026, 3, 8, 2, 30), ny, kTransition) == "2026-03-08T07:00:00Z");
  CHECK(Instant(Local(2026, 3, 8, 2, 59, 59), ny, kTransition) == "2026-03-08T07:00:00Z");
  // Times around the gap are unaffected by the policy.
  CHECK(Instant(Local(2026, 3, 8, 1, 59, 59), ny, kTransition) == "2026-03-08T06:59:59Z");
  CHECK(Instant(Local(2026, 3, 8, 3, 0), ny) == "2026-03-08T07:00:00Z");
  CHECK(Instant(Local(2026, 3, 8, 3, 0), ny, kLater) == "2026-03-08T07:00:00Z");
}

TEST_CASE("FromLocal: the repeated hour of 2026-11-01 in New York") {
  const Zone ny = Load("America/New_York");
  CHECK(ClassifyLocal(Local(2026, 11, 1, 0, 59, 59), ny) == LocalTimeKind::kUnique);
  CHECK(ClassifyLocal(Local(2026, 11, 1, 1, 0), ny) == LocalTimeKind::kAmbiguous);
  CHECK(ClassifyLocal(Local(2026, 11, 1, 1, 30), ny) == LocalTimeKind::kAmbiguous);
  CHECK(ClassifyLocal(Local(2026, 11, 1, 1, 59, 59), ny) == LocalTimeKind::kAmbiguous);
  CHECK(ClassifyLocal(Local(2026, 11, 1, 2, 0), ny) == LocalTimeKind::kUnique);

  CHECK(Instant(Local(2026, 11, 1, 1, 30), ny) == "2026-11-01T05:30:00Z");          // 01:30 EDT
  CHECK(Instant(Local(2026, 11, 1, 1, 30), ny, kLater) == "2026-11-01T06:30:00Z");  // EST
  CHECK(Instant(Local(2026, 11, 1, 1, 0), ny) == "2026-11-01T05:00:00Z");
  CHECK(Instant(Local(2026, 11, 1, 1, 0), ny, kLater) == "2026-11-01T06:00:00Z");
  CHECK(Instant(Local(2026, 11, 1, 2, 0), ny) == "2026-11-01T07:00:00Z");
  CHECK(Instant(Local(2026, 11, 1, 2, 0), ny, kLater) == "2026-11-01T07:00:00Z");
  CHECK(Instant(Local(2026, 11, 1, 0, 59, 59), ny, kLater) == "2026-11-01T04:59:59Z");
}

TEST_CASE("ToLocal and FromLocal invert each other, minute by minute over both DST days") {
  const Zone ny = Load("America/New_York");
  for (const char* day : {"2026-03-07T12:00:00Z", "2026-10-31T12:00:00Z"}) {
    const Micros start = Utc(day);
    for (Micros t = start; t < start + 2 * kMicrosPerDay; t += kMicrosPerMinute) {
      const LocalDateTime local = ToLocal(t, ny);
      CAPTURE(FormatRfc3339(t));
      CAPTURE(FormatLocalDateTime(local));
      REQUIRE(IsValidLocalDateTime(local));
      REQUIRE(ClassifyLocal(local, ny) != LocalTimeKind::kNonexistent);
      const Micros earlier =
          FromLocal(local, ny, {GapPolicy::kShiftForward, OverlapPolicy::kEarlier});
      const Micros later = FromLocal(local, ny, kLater);
      CHECK((earlier == t || later == t));
      CHECK(ToLocal(earlier, ny) == local);
      CHECK(ToLocal(later, ny) == local);
      CHECK(later - earlier ==
            (ClassifyLocal(local, ny) == LocalTimeKind::kAmbiguous ? kMicrosPerHour : 0));
    }
  }
}

TEST_CASE("FromLocal normalizes out-of-range fields like timegm") {
  const Zone utc = Zone::Utc();
  CHECK(Instant(Local(2026, 1, 32, 0, 0), utc) == "2026-02-01T00:00:00Z");
  CHECK(Instant(Local(2026, 2, 29, 0, 0), utc) == "2026-03-01T00:00:00Z");
  CHECK(Instant(Local(2028, 2, 29, 0, 0), utc) == "2028-02-29T00:00:00Z");
  CHECK(Instant(Local(2026, 12, 31, 24, 0), utc) == "2027-01-01T00:00:00Z");
  CHECK(Instant(Local(2026, 13, 1, 0, 0), utc) == "2027-01-01T00:00:00Z");
  CHECK(Instant(Local(2026, 0, 1, 0, 0), utc) == "2025-12-01T00:00:00Z");
  CHECK(Instant(Local(2026, 3, 1, 0, -1), utc) == "2026-02-28T23:59:00Z");
  CHECK(Instant(Local(2026, 3, 0, 12, 0), utc) == "2026-02-28T12:00:00Z");
  // Absurd values stay defined (clamped), never overflow.
  const LocalDateTime absurd{2'000'000'000, 2'000'000'000, 2'000'000'000, 2'000'000'000, 0, 0, 0};
  CHECK(FromLocal(absurd, utc) <= kMaxSupportedInstant);
  CHECK(ToLocal(std::numeric_limits<Micros>::max(), utc).year == 9999);
  CHECK(ToLocal(std::numeric_limits<Micros>::min(), utc).year == 1);
}

TEST_CASE("IsValidLocalDateTime and FormatLocalDateTime") {
  CHECK(IsValidLocalDateTime(Local(2028, 2, 29, 23, 59, 59)));
  CHECK_FALSE(IsValidLocalDateTime(Local(2026, 2, 29, 0, 0)));
  CHECK_FALSE(IsValidLocalDateTime(Local(2026, 4, 31, 0, 0)));
  CHECK_FALSE(IsValidLocalDateTime(Local(2026, 1, 1, 24, 0)));
  CHECK_FALSE(IsValidLocalDateTime(Local(2026, 1, 1, 0, 60)));
  CHECK_FALSE(IsValidLocalDateTime(Local(0, 1, 1, 0, 0)));
  CHECK(FormatLocalDateTime(Local(2026, 3, 8, 2, 30)) == "2026-03-08T02:30:00");
  CHECK(FormatLocalDateTime({2026, 3, 8, 2, 30, 0, 7}) == "2026-03-08T02:30:00.000007");
}

TEST_CASE("Zones with half-hour and 45-minute offsets and DST steps") {
  SUBCASE("Asia/Kolkata +05:30, no DST") {
    const Zone z = Load("Asia/Kolkata");
    CHECK(LocalAt("2026-06-01T00:00:00Z", z) == "2026-06-01T05:30:00");
    CHECK(Instant(Local(2026, 3, 8, 2, 30), z) == "2026-03-07T21:00:00Z");
    CHECK(ClassifyLocal(Local(2026, 3, 8, 2, 30), z) == LocalTimeKind::kUnique);
  }
  SUBCASE("Australia/Lord_Howe: +10:30 standard, 30-minute DST") {
    const Zone z = Load("Australia/Lord_Howe");
    // DST ends 2026-04-05 02:00 +11:00 -> 01:30 +10:30: 01:30..01:59 happen twice.
    CHECK(z.NextTransition(Utc("2026-03-01T00:00:00Z")) == Utc("2026-04-04T15:00:00Z"));
    CHECK(ClassifyLocal(Local(2026, 4, 5, 1, 45), z) == LocalTimeKind::kAmbiguous);
    CHECK(Instant(Local(2026, 4, 5, 1, 45), z) == "2026-04-04T14:45:00Z");
    CHECK(Instant(Local(2026, 4, 5, 1, 45), z, kLater) == "2026-04-04T15:15:00Z");
    CHECK(ClassifyLocal(Local(2026, 4, 5, 1, 29), z) == LocalTimeKind::kUnique);
    // DST starts 2026-10-04 02:00 +10:30 -> 02:30 +11:00: 02:00..02:29 never happen.
    CHECK(ClassifyLocal(Local(2026, 10, 4, 2, 15), z) == LocalTimeKind::kNonexistent);
    CHECK(Instant(Local(2026, 10, 4, 2, 15), z) == "2026-10-03T15:45:00Z");  // 02:45 +11
    CHECK(Instant(Local(2026, 10, 4, 2, 15), z, kTransition) == "2026-10-03T15:30:00Z");
    CHECK(LocalAt("2026-10-03T15:30:00Z", z) == "2026-10-04T02:30:00");
    CHECK(ClassifyLocal(Local(2026, 10, 4, 2, 30), z) == LocalTimeKind::kUnique);
  }
  SUBCASE("Pacific/Chatham: +12:45 / +13:45") {
    const Zone z = Load("Pacific/Chatham");
    CHECK(LocalAt("2026-06-01T00:00:00Z", z) == "2026-06-01T12:45:00");
    CHECK(LocalAt("2026-01-01T00:00:00Z", z) == "2026-01-01T13:45:00");
    // 2026-04-05 03:45 +13:45 -> 02:45 +12:45.
    CHECK(Instant(Local(2026, 4, 5, 3, 0), z) == "2026-04-04T13:15:00Z");
    CHECK(Instant(Local(2026, 4, 5, 3, 0), z, kLater) == "2026-04-04T14:15:00Z");
    // 2026-09-27 02:45 +12:45 -> 03:45 +13:45.
    CHECK(ClassifyLocal(Local(2026, 9, 27, 3, 0), z) == LocalTimeKind::kNonexistent);
    CHECK(Instant(Local(2026, 9, 27, 3, 0), z) == "2026-09-26T14:15:00Z");  // 04:00 +13:45
    CHECK(Instant(Local(2026, 9, 27, 3, 0), z, kTransition) == "2026-09-26T14:00:00Z");
  }
  SUBCASE("America/St_Johns: -03:30 / -02:30") {
    const Zone z = Load("America/St_Johns");
    CHECK(LocalAt("2026-01-15T12:00:00Z", z) == "2026-01-15T08:30:00");
    CHECK(Instant(Local(2026, 3, 8, 2, 30), z) == "2026-03-08T06:00:00Z");  // 03:30 -02:30
    CHECK(Instant(Local(2026, 3, 8, 2, 30), z, kTransition) == "2026-03-08T05:30:00Z");
    CHECK(Instant(Local(2026, 11, 1, 1, 30), z) == "2026-11-01T04:00:00Z");
    CHECK(Instant(Local(2026, 11, 1, 1, 30), z, kLater) == "2026-11-01T05:00:00Z");
  }
  SUBCASE("UTC") {
    const Zone z = Zone::Utc();
    CHECK(LocalAt("2026-03-08T02:30:00Z", z) == "2026-03-08T02:30:00");
    CHECK(Instant(Local(2026, 3, 8, 2, 30), z) == "2026-03-08T02:30:00Z");
    CHECK(ClassifyLocal(Local(2026, 11, 1, 1, 30), z) == LocalTimeKind::kUnique);
  }
}

TEST_CASE("ZoneCache loads each id once and is safe to share between threads") {
  ZoneCache cache;
  Result<Zone> a = cache.Get("Europe/Paris");
  REQUIRE(a.ok());
  Result<Zone> b = cache.Get("Europe/Paris");
  REQUIRE(b.ok());
  CHECK(b->id() == "Europe/Paris");
  CHECK(cache.size() == 1);
  CHECK(cache.Get("Mars/Olympus_Mons").status().IsNotFound());
  CHECK(cache.Get("").status().IsInvalidArgument());
  CHECK(cache.size() == 1);  // failures are not cached

  // Many threads on the same zones: results must equal the single-threaded answers.
  const Micros t0 = Utc("2026-03-29T00:00:00Z");  // Paris springs forward at 01:00Z
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&cache, &mismatches, t0] {
      for (int k = 0; k < 200; ++k) {
        Result<Zone> z = cache.Get(k % 2 == 0 ? "Europe/Paris" : "America/New_York");
        if (!z.ok()) {
          ++mismatches;
          continue;
        }
        const Micros t = t0 + k * 10 * kMicrosPerMinute;
        const Micros want = z->id() == "Europe/Paris"
                                ? (t < t0 + kMicrosPerHour ? 1 : 2) * kMicrosPerHour
                                : -4 * kMicrosPerHour;
        if (z->UtcOffset(t) != want) ++mismatches;
        if (FromLocal(ToLocal(t, *z), *z, kLater) != t && FromLocal(ToLocal(t, *z), *z) != t) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(mismatches.load() == 0);
  CHECK(cache.size() == 2);
}

}  // namespace
}  // namespace herald
