// Loads the configuration for a subcommand: --config FILE, or the embedded default; and
// the campaigns it names.
#pragma once

#include <optional>
#include <string>

#include "engine/config/config.h"
#include "engine/rules/campaign.h"
#include "templates/template_set.h"

namespace herald::cli {

// Loads `path` (or the embedded default when empty) with the real environment, printing
// every error to stderr. nullopt when the config is invalid. Once the file is valid, the
// SMS replies are checked for length too (CheckSmsReplies in templates/pages/sms_replies.h).
std::optional<Config> LoadConfigOrReport(const std::optional<std::string>& path);

// For commands that never serve requests (simulate, preview): like LoadConfigOrReport,
// but an `env:` key whose variable is not set gets a placeholder secret instead of an
// error ("herald-<command>-placeholder").
std::optional<Config> LoadConfigWithoutSecrets(const std::optional<std::string>& path,
                                               const std::string& command);

// What LoadCampaignsOrReport found.
struct LoadedCampaigns {
  CampaignSet campaigns;
  std::string note;  // for people, when there are no campaigns: why (empty otherwise)
};

// Loads the campaigns of `config` (LoadCampaigns over its campaigns and templates
// directories), printing every error to stderr followed by a count. nullopt when any
// campaign has a problem.
//
// The embedded default names ./samples/campaigns relative to the working directory, which
// exists only in a checkout; outside one the default runs with no campaigns instead of
// failing (the note says so). A configuration file's campaigns directory must exist.
std::optional<LoadedCampaigns> LoadCampaignsOrReport(const Config& config);

// Loads the templates of `config` (every file, checked), printing every error to stderr
// followed by a count. nullopt when any has a problem. Like the campaigns, the embedded
// default's ./samples/templates is optional outside a checkout: an empty set then.
std::optional<TemplateSet> LoadTemplatesOrReport(const Config& config);

}  // namespace herald::cli
