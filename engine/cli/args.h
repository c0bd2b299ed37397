// A small command-line parser for herald's subcommands: `--name value`, `--name=value`,
// boolean `--flag`, and positional arguments. Unknown flags are errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace herald::cli {

struct ParsedArgs {
  std::map<std::string, std::string> values;  // flags that take a value
  std::set<std::string> flags;                // boolean flags present
  std::vector<std::string> positional;
  std::string error;  // non-empty when parsing failed

  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// Parses argv[first..argc). `with_value` lists flags that take a value, `boolean` those
// that don't (both without the leading dashes). --help is always a boolean flag.
ParsedArgs ParseArgs(int argc, char** argv, int first, const std::set<std::string>& with_value,
                     const std::set<std::string>& boolean);

}  // namespace herald::cli
