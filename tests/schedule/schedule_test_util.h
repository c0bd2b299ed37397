// Helpers shared by the engine/schedule tests.
#pragma once

#include <doctest/doctest.h>

#include <optional>

#include "engine/core/time_format.h"
#include "engine/schedule/local_time.h"

namespace herald::testing {

// An instant from an RFC 3339 literal; fails the test when it does not parse.
inline Micros Utc(const char* rfc3339) {
  const std::optional<Micros> t = ParseRfc3339(rfc3339);
  REQUIRE_MESSAGE(t.has_value(), rfc3339);
  return *t;
}

// A zone by IANA id; fails the test when it is unknown.
inline Zone Load(const char* id) {
  Result<Zone> z = Zone::Load(id);
  REQUIRE_MESSAGE(z.ok(), id, ": ", z.status().ToString());
  return std::move(z).value();
}

}  // namespace herald::testing
