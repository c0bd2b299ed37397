// OptionReader: typed access to a connector's options with field-named errors.
//
// A connector factory reads each option it knows once through an OptionReader, then calls
// Finish(), which reports every problem at once (and every option nobody asked about) as
// one InvalidArgument: "connectors.<name>.<field>: <problem>" lines joined by "\n".
// Problems name fields, never values: options may hold secrets.
//
// Not thread-safe; a reader lives for one factory call. "Absent" is not an error for the
// typed getters: they return nullopt and the caller applies its default or Require()s.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config.h"
#include "engine/core/status.h"

namespace herald::http {

// Looks up an environment variable; nullopt when unset. Tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (std::getenv). Call only at start-up, before threads that
// might call setenv.
EnvLookup ProcessEnv();

class OptionReader {
 public:
  explicit OptionReader(const ConnectorConfig& config);

  const std::string& connector_name() const { return name_; }

  // True when the option is present (and not null). Marks it known.
  bool Has(std::string_view key);

  // A non-empty string without control characters. Wrong type or empty: an error.
  std::optional<std::string> String(std::string_view key);
  // A number (integer or float) in [min, max].
  std::optional<double> Number(std::string_view key, double min, double max);
  // An integer in [min, max] (1.0 is not an integer).
  std::optional<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  std::optional<bool> Bool(std::string_view key);
  // The raw value, or nullptr when absent. Marks it known.
  const nlohmann::json* Raw(std::string_view key);

  // A secret given inline (`key`) or through an environment variable (`env_key` names
  // it). Exactly one of the two must be given; the variable must be set and non-empty.
  std::optional<std::string> Secret(std::string_view key, std::string_view env_key,
                                    const EnvLookup& env);

  // Records "connectors.<name>.<field>: <problem>".
  void Error(std::string_view field, std::string_view problem);
  // Records "<field>: required" for an option that must be present.
  void Missing(std::string_view field);
  bool has_errors() const { return !errors_.empty(); }

  // Adds "unknown option" for every option no getter asked about, then returns OK or
  // InvalidArgument with all problems.
  Status Finish();

 private:
  const nlohmann::json* Find(std::string_view key);

  std::string name_;
  const nlohmann::json& options_;
  std::set<std::string, std::less<>> known_;
  std::vector<std::string> errors_;
};

}  // namespace herald::http
