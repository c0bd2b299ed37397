// Typed, position-aware reads over a parsed yaml-cpp tree, for the YAML loaders: the config
// loader and the campaign loader (engine/rules/campaign_loader.cc).
//
// Every read reports its own problem (with the line and column of the offending node) to a
// Diagnostics and returns nullopt, so a loader can carry on and report every error in one
// pass instead of stopping at the first. Shared by those two loaders only: their public
// headers expose no yaml-cpp types, and yaml-cpp's exceptions stay inside them. A library
// that includes this header links yaml-cpp itself (herald_config links it privately).
//
// Scalars follow the YAML 1.2 core schema, not yaml-cpp's YAML 1.1 habits: `off`, `yes` and
// `no` are strings, and a quoted scalar is always a string ("64" is not an integer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "engine/config/config.h"

namespace herald {

// The first document of a YAML stream, and where a second one starts: what the loaders
// took from YAML::LoadAll, which yaml-cpp 0.7 never returns from on some malformed streams
// (one starting with ',' yields empty documents without end, growing memory until the
// process dies: jbeder/yaml-cpp#1040, fixed upstream by PR #1319; found by tests/fuzz).
// This reads three documents at most, and refuses a document that does not move the
// parser forward ("unexpected ','"). Throws yaml-cpp's ParserException for a syntax
// error, as LoadAll does.
struct YamlDocuments {
  YAML::Node first;   // Null when the stream holds no document (only comments or nothing)
  bool empty = true;  // no document at all
  std::optional<YAML::Mark> second;  // the root node of a second document, when there is one
};
YamlDocuments LoadYamlDocuments(const std::string& text);

// Collects ConfigErrors for one file.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Reports at `node`'s position; at `fallback`'s when `node` has none (a missing value
  // such as `key:` with nothing after it has no useful position of its own).
  void Add(const YAML::Node& node, std::string message, const YAML::Node& fallback = {});
  void AddAt(const YAML::Mark& mark, std::string message);  // mark is 0-based, as yaml-cpp's

  bool empty() const { return errors_.empty(); }

  // Every error, in file order (by position; errors at one position keep insertion order).
  std::vector<ConfigError> Take();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// One `key: value` pair of a mapping. `key` is always a scalar.
struct YamlEntry {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

// A mapping whose keys the caller takes one by one; what is left is unknown.
//
//   YamlMap m(node, "limits", diag);
//   if (auto e = m.Take("threads")) ...;
//   m.RejectUnknown();  // every key not taken is an error, with a "did you mean" hint
class YamlMap {
 public:
  // Reports "expected a mapping" when `node` is not one (then valid() is false and the map
  // is empty). Non-scalar and duplicate keys are reported here and dropped. `where` is the
  // key that holds this mapping, used for the position when `node` has none.
  YamlMap(const YAML::Node& node, std::string what, Diagnostics* diag,
          const YAML::Node& where = {});

  bool valid() const { return valid_; }
  const YAML::Node& node() const { return node_; }

  // The entry for `key`, if present. Either way `key` becomes a known key of this mapping.
  std::optional<YamlEntry> Take(std::string_view key);

  // Like Take, but reports "missing required key" when absent.
  std::optional<YamlEntry> Require(std::string_view key);

  // The entries not taken so far, in file order; they count as taken afterwards.
  std::vector<YamlEntry> TakeRest();

  // Reports every entry not taken as an unknown key. `hint` is appended to the message when
  // no known key is close enough to the unknown one to suggest instead.
  void RejectUnknown(std::string_view hint = {});

 private:
  YAML::Node node_;
  YAML::Node where_;
  std::string what_;
  Diagnostics* diag_;
  bool valid_ = false;
  std::vector<YamlEntry> entries_;
  std::vector<bool> taken_;
  std::vector<std::string> known_;
};

// A non-null scalar, as text. Reports "expected a string" otherwise.
std::optional<std::string> ReadString(const YamlEntry& e, Diagnostics* diag);

// A plain decimal integer in [min, max]. Reports "expected an integer" or the range.
std::optional<uint64_t> ReadInteger(const YamlEntry& e, uint64_t min, uint64_t max,
                                    Diagnostics* diag);

// A sequence. Reports "expected a list" otherwise (a single scalar is not a list of one).
std::optional<std::vector<YAML::Node>> ReadList(const YamlEntry& e, Diagnostics* diag);

// Converts a subtree to JSON with core-schema scalar typing: null, true/false, integers and
// floats from plain scalars; everything quoted or otherwise is a string. Mapping keys are
// strings. Reports non-scalar keys and duplicate keys, and returns nullopt if it found any.
std::optional<nlohmann::json> YamlToJson(const YAML::Node& node, Diagnostics* diag);

// The edit distance between two short strings (for "did you mean" hints).
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace herald
