// Helpers for the engine/store tests: a scratch directory per test and event builders.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"

namespace herald::testing {

// A fresh directory under the system temp dir, removed (with its contents) on scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "herald-store-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

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
