// Reading the parts of a campaign file: internal to campaign_loader.cc, split out so each
// file stays small. Every read reports its problems to the file's Diagnostics (with the
// offending node's position) and returns nullopt, so one pass finds every problem.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "engine/config/yaml_reader.h"
#include "engine/core/clock.h"
#include "engine/rules/campaign.h"
#include "engine/rules/expr.h"

namespace herald::campaign_reader {

// [a-z0-9_-]{1,64}: campaign, rule and template ids (a template id is also a directory
// name, so it must not be able to name anything outside the templates directory).
bool IsValidId(std::string_view s);
inline constexpr std::string_view kIdRule = "must be 1 to 64 characters from a-z, 0-9, '_' and '-'";

// A duration such as "3d" or "1d12h" (ParseDurationOrError's message otherwise).
std::optional<Micros> ReadDuration(const YamlEntry& e, Diagnostics* diag);

// The templates every rule's `send:` must have: `<dir>/<send>/<locale>.md` for each
// locale. `dir` empty: not checked (the loader has reported why).
struct TemplateCheck {
  std::string dir;
  std::vector<std::string> locales;
};

// Reads the entries of a campaign's `rules:` list, one at a time, remembering rule ids
// to report duplicates. `source` is the file's text, for expression error positions.
class RuleReader {
 public:
  RuleReader(std::string_view source, Diagnostics* diag, TemplateCheck templates)
      : source_(source), diag_(diag), templates_(std::move(templates)) {}

  // The rule, or nullopt when it has any problem (all reported).
  std::optional<Rule> Read(const YAML::Node& node);

 private:
  enum class ExprUse { kCondition, kTime };

  std::optional<rules::Expression> ReadExpression(const YamlEntry& e, ExprUse use);
  std::optional<std::vector<std::string>> ReadEventTypes(const YamlEntry& e);
  std::optional<ChannelSpec> ReadChannels(const YamlEntry& e);
  std::optional<std::string> ReadTemplate(const YamlEntry& e);

  std::string_view source_;
  Diagnostics* diag_;
  TemplateCheck templates_;
  std::vector<std::pair<std::string, int>> ids_;  // rule ids so far, with their lines
};

}  // namespace herald::campaign_reader
