// Loads the configuration for a subcommand: --config FILE, or the embedded default.
#pragma once

#include <optional>
#include <string>

#include "engine/config/config.h"

namespace herald::cli {

// Loads `path` (or the embedded default when empty) with the real environment, printing
// every error to stderr. nullopt when the config is invalid.
std::optional<Config> LoadConfigOrReport(const std::optional<std::string>& path);

}  // namespace herald::cli
