#include "engine/cli/config_loader.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/rules/campaign_loader.h"
#include "templates/pages/sms_replies.h"

namespace herald::cli {
namespace {

// The loaded config after the checks the config layer cannot make itself (the segments of
// the SMS replies need the templates layer's counter), or every error printed to stderr.
std::optional<Config> ConfigOrReport(ConfigLoad load, const std::optional<std::string>& path) {
  if (load.errors.empty() && load.config) load.errors = CheckSmsReplies(*load.config);
  for (const ConfigError& e : load.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  if (!load.errors.empty() || !load.config) {
    std::fprintf(stderr, "%zu error(s) in %s\n", load.errors.size(),
                 path ? path->c_str() : "the embedded default configuration");
    return std::nullopt;
  }
  return std::move(load.config);
}

}  // namespace

std::optional<Config> LoadConfigOrReport(const std::optional<std::string>& path) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return ConfigOrReport(path ? LoadConfigFile(*path, env) : LoadEmbeddedDefaultConfig(env), path);
}

std::optional<LoadedCampaigns> LoadCampaignsOrReport(const Config& config) {
  LoadedCampaigns out;
  if (config.campaigns_dir.empty()) {
    out.note = "0 campaigns: the configuration names no campaigns directory";
    return out;
  }
  std::error_code ec;
  if (config.source == kEmbeddedConfigName && !std::filesystem::exists(config.campaigns_dir, ec)) {
    out.note = "0 campaigns: " + config.campaigns_dir +
               " does not exist here (the embedded default looks for it in the working "
               "directory; give --config to use another)";
    return out;
  }
  CampaignLoad load = LoadCampaigns(config.campaigns_dir, config.templates_dir);
  for (const ConfigError& e : load.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  if (!load.ok()) {
    std::fprintf(stderr, "%zu error(s) in %s/\n", load.errors.size(), config.campaigns_dir.c_str());
    return std::nullopt;
  }
  if (load.campaigns.empty()) {
    out.note = "0 campaigns: no campaign files (*.yaml, *.yml) in " + config.campaigns_dir;
  }
  out.campaigns = std::move(load.campaigns);
  return out;
}

std::optional<Config> LoadConfigWithoutSecrets(const std::optional<std::string>& path,
                                               const std::string& command) {
  const std::string placeholder = "herald-" + command + "-placeholder";
  auto env = [&placeholder](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return std::string(v != nullptr ? v : placeholder);
  };
  return ConfigOrReport(path ? LoadConfigFile(*path, env) : LoadEmbeddedDefaultConfig(env), path);
}

std::optional<TemplateSet> LoadTemplatesOrReport(const Config& config) {
  if (config.templates_dir.empty()) return TemplateSet();
  std::error_code ec;
  if (config.source == kEmbeddedConfigName &&
      !std::filesystem::is_directory(config.templates_dir, ec)) {
    return TemplateSet();
  }
  std::vector<ConfigError> errors;
  Result<TemplateSet> set = TemplateSet::Load(config.templates_dir, &errors);
  if (set.ok()) return std::move(set).value();
  for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  if (errors.empty()) std::fprintf(stderr, "%s\n", set.status().ToString().c_str());
  std::fprintf(stderr, "%zu error(s) in %s/\n", std::max<size_t>(errors.size(), 1),
               config.templates_dir.c_str());
  return std::nullopt;
}

}  // namespace herald::cli
