#include <cstdio>

#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/cli/config_loader.h"
#include "engine/cli/template_check.h"
#include "engine/dispatch/template_composer.h"  // BrandingFor

namespace herald::cli {

int RunValidate(int argc, char** argv, int first) {
  static constexpr const char* kHelp = R"(Usage: herald validate [--config FILE]

Checks a herald.yaml and the campaigns and templates it names, and reports every
problem with file:line:column. Each template with sample data (<templates>/<id>/sample.json)
is rendered in every language, as email and SMS, with it: variables the sample does not
provide, values a helper cannot read and an SMS longer than a campaign's max_segments are
errors. A template without sample data gets a warning.
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
  // Campaigns and templates are both checked, so one run reports every problem.
  const std::optional<LoadedCampaigns> loaded = LoadCampaignsOrReport(*config);
  const std::optional<TemplateSet> templates = LoadTemplatesOrReport(*config);
  std::optional<TemplateCheckReport> check;
  if (templates) {
    check = CheckTemplateSamples(*templates, config->templates_dir,
                                 loaded ? loaded->campaigns : CampaignSet(),
                                 BrandingFor(config->agency));
    for (const ConfigError& e : check->errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    if (!check->errors.empty()) {
      std::fprintf(stderr, "%zu error(s) in %s/ with the sample data\n", check->errors.size(),
                   config->templates_dir.c_str());
    }
    for (const ConfigError& w : check->warnings) {
      std::fprintf(stderr, "%s\n", w.ToString().c_str());
    }
  }
  if (!loaded || !templates || !check->errors.empty()) return 1;
  std::printf("%s: OK (%zu API key(s), %zu connector(s), %zu campaign(s), %zu rule(s))\n",
              config->source.c_str(), config->api_keys.size(), config->connectors.size(),
              loaded->campaigns.size(), loaded->campaigns.rule_count());
  if (!loaded->note.empty()) std::printf("note: %s\n", loaded->note.c_str());
  if (!templates->Ids().empty()) {
    std::printf(
        "templates: %zu template(s), %zu file(s); %zu checked with sample data (%zu "
        "renders)\n",
        templates->Ids().size(), templates->size(), check->templates_checked, check->renders);
  }
  return 0;
}

}  // namespace herald::cli
