#include <cstdio>

#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/cli/config_loader.h"

namespace herald::cli {

int RunValidate(int argc, char** argv, int first) {
  static constexpr const char* kHelp = R"(Usage: herald validate [--config FILE]

Checks a herald.yaml and the campaigns and templates it names, and reports every
problem with file:line:column.
Without --config, checks the embedded default configuration.
Exit status: 0 when valid, 1 when not, 2 for a usage error.
)";
  ParsedArgs args = ParseArgs(argc, argv, first, {"config"}, {});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!args.error.empty() || !args.positional.empty()) {
    std::fprintf(stderr, "herald validate: %s\n\n%s",
                 args.error.empty() ? "unexpected argument" : args.error.c_str(), kHelp);
    return 2;
  }
  const std::optional<Config> config = LoadConfigOrReport(args.Get("config"));
  if (!config) return 1;
  const std::optional<LoadedCampaigns> loaded = LoadCampaignsOrReport(*config);
  if (!loaded) return 1;
  std::printf("%s: OK (%zu API key(s), %zu connector(s), %zu campaign(s), %zu rule(s))\n",
              config->source.c_str(), config->api_keys.size(), config->connectors.size(),
              loaded->campaigns.size(), loaded->campaigns.rule_count());
  if (!loaded->note.empty()) std::printf("note: %s\n", loaded->note.c_str());
  return 0;
}

}  // namespace herald::cli
