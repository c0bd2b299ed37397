// herald: a proactive notification engine for public agencies.
#include <cstdio>
#include <string>

#include "engine/cli/commands.h"

namespace {

constexpr const char* kUsage =
    R"(herald )" HERALD_VERSION R"( - proactive notifications for public agencies

Usage: herald <command> [options]

Commands:
  serve      Run the engine: HTTP API, event log, campaigns
  validate   Check a configuration file and everything it points to
  ingest     Post an NDJSON file of case events to a running engine
  simulate   Show what the campaigns would send for a file of events
  preview    Render one template with sample data, as email and SMS
  report     Print a campaign's report (table, CSV or JSON) from a running engine

Options:
  --version  Print the version
  --help     Print this help; `herald <command> --help` for a command's options
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--version" || command == "version") {
    std::printf("herald %s\n", HERALD_VERSION);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "serve") return herald::cli::RunServe(argc, argv, 2);
  if (command == "validate") return herald::cli::RunValidate(argc, argv, 2);
  if (command == "ingest") return herald::cli::RunIngest(argc, argv, 2);
  if (command == "simulate") return herald::cli::RunSimulate(argc, argv, 2);
  if (command == "preview") return herald::cli::RunPreview(argc, argv, 2);
  if (command == "report") return herald::cli::RunReport(argc, argv, 2);
  std::fprintf(stderr, "herald: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
