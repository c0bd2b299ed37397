#include "engine/cli/config_loader.h"

#include <cstdio>
#include <cstdlib>

namespace herald::cli {

std::optional<Config> LoadConfigOrReport(const std::optional<std::string>& path) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  ConfigLoad load = path ? LoadConfigFile(*path, env) : LoadEmbeddedDefaultConfig(env);
  for (const ConfigError& e : load.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  if (!load.errors.empty() || !load.config) {
    std::fprintf(stderr, "%zu error(s) in %s\n", load.errors.size(),
                 path ? path->c_str() : "the embedded default configuration");
    return std::nullopt;
  }
  return std::move(load.config);
}

}  // namespace herald::cli
