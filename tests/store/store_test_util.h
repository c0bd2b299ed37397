// Helpers for the engine/store tests: event builders (scratch dirs: tests/test_util.h).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"
#include "tests/test_util.h"

namespace herald::testing {

using herald::testing::TempDir;  // tests/test_util.h

inline Event MakeEvent(std::string id, std::string case_id, nlohmann::json data = nlohmann::json(),
                       std::string type = "case.updated") {
  Event e;
  e.id = std::move(id);
  e.case_id = std::move(case_id);
  e.type = std::move(type);
  e.occurred_at = "2026-01-01T00:00:00Z";
  e.occurred_at_us = 1'767'225'600'000'000;
  e.data = std::move(data);
  return e;
}

}  // namespace herald::testing
