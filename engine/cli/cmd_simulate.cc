// herald simulate: what a set of campaigns would send for a list of events.
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "engine/api/event_parser.h"
#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/cli/config_loader.h"
#include "engine/cli/simulation.h"
#include "engine/core/time_format.h"
#include "engine/store/rocks_store.h"

namespace herald::cli {
namespace {

constexpr const char* kHelp =
    R"(Usage: herald simulate [--config FILE] (--events FILE.ndjson | --from-log DATA_DIR)
                       [--until TIME] [--all]

Runs the campaigns of the configuration over case events on a virtual clock and prints,
as NDJSON in time order, every message that would be sent, and every send that would be
cancelled or deferred (with --all: every planning step too). Nothing is sent and nothing
is written outside a temporary directory; no API keys or connectors are needed.

  --events FILE    events, one JSON object a line (the format of POST /v1/events), posted
                   in order of occurred_at
  --from-log DIR   replays the event log of a herald data directory instead, in the
                   order and at the times the engine received the events; the engine
                   using that directory must be stopped (or give a copy of it)
  --until TIME     RFC 3339; keep running the clock until then (default: 366 days after
                   the last event)
  --all            also print planned, replanned, skipped, fired and done records

Same input, same output, byte for byte. See docs/simulate.md.
Exit status: 0 when it ran, 1 for invalid configuration, campaigns or events, 2 for a
usage error.
)";

constexpr Micros kDefaultHorizon = 366LL * 24 * 3600 * 1'000'000;

// A temporary directory removed with its contents when the scope ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-simulate-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool IsBlankLine(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Reads and validates an NDJSON events file; the events sorted by occurred_at (stable).
// Prints every problem with its line and returns nullopt when there is any.
std::optional<std::vector<SimEvent>> ReadEventsFile(const std::string& path, const Config& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "herald simulate: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string body = buffer.str();
  // The 1-based line of each non-blank line, as the parser numbers events.
  std::vector<size_t> lines;
  size_t number = 0;
  for (size_t start = 0; start <= body.size();) {
    const size_t nl = body.find('\n', start);
    const size_t end = nl == std::string::npos ? body.size() : nl;
    ++number;
    if (!IsBlankLine(std::string_view(body).substr(start, end - start))) lines.push_back(number);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (lines.empty()) return std::vector<SimEvent>{};

  ParseLimits limits;
  limits.max_body_bytes = std::numeric_limits<uint64_t>::max();
  limits.max_events = std::numeric_limits<uint64_t>::max();
  limits.max_depth = config.limits.max_json_depth;
  limits.max_string_bytes = config.limits.max_string_bytes;
  ParsedBatch batch = ParseEventBatch(body, BodyFormat::kNdjson, limits);
  if (batch.failure) {
    const ParseFailure& f = *batch.failure;
    size_t shown = 0;
    for (const EventError& e : f.errors) {
      if (f.code == "invalid_json") break;  // the position below says it all
      const size_t line = e.event_index >= 0 && static_cast<size_t>(e.event_index) < lines.size()
                              ? lines[e.event_index]
                              : 0;
      std::fprintf(stderr, "%s:%zu: %s%s%s\n", path.c_str(), line, e.field.c_str(),
                   e.field.empty() ? "" : ": ", e.message.c_str());
      ++shown;
    }
    if (shown == 0) {
      if (f.line > 0) {
        std::fprintf(stderr, "%s:%d:%d: %s\n", path.c_str(), f.line, f.column, f.message.c_str());
      } else {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), f.message.c_str());
      }
    }
    std::fprintf(stderr, "herald simulate: %s has invalid events; nothing was simulated\n",
                 path.c_str());
    return std::nullopt;
  }
  std::vector<SimEvent> events;
  events.reserve(batch.events.size());
  for (size_t i = 0; i < batch.events.size(); ++i) {
    SimEvent e;
    e.post_at = batch.events[i].occurred_at_us;
    e.line = i < lines.size() ? lines[i] : 0;
    e.event = std::move(batch.events[i]);
    events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const SimEvent& a, const SimEvent& b) { return a.post_at < b.post_at; });
  return events;
}

// Every event of DATA_DIR/store, in log order, posted at the times they were received.
std::optional<std::vector<SimEvent>> ReadEventLog(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / "store").string();
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    std::fprintf(stderr, "herald simulate: %s is not a herald data directory (no store/ in it)\n",
                 data_dir.c_str());
    return std::nullopt;
  }
  FakeClock clock;  // the store reads it only to stamp appends, and nothing is appended
  StoreOptions options;
  options.path = path;
  Result<std::unique_ptr<RocksStore>> store = RocksStore::Open(options, clock);
  if (!store.ok()) {
    std::fprintf(stderr, "herald simulate: cannot open the event log in %s: %s\n", path.c_str(),
                 store.status().ToString().c_str());
    if (store.status().IsUnavailable()) {
      std::fprintf(stderr,
                   "(is `herald serve` running on it? stop it, or copy the data directory and "
                   "give the copy)\n");
    }
    return std::nullopt;
  }
  std::vector<SimEvent> events;
  uint64_t after = 0;
  Micros last = std::numeric_limits<Micros>::min();
  for (;;) {
    Result<std::vector<StoredEvent>> chunk = (*store)->ReadAfter(after, 4096);
    if (!chunk.ok()) {
      std::fprintf(stderr, "herald simulate: reading %s: %s\n", path.c_str(),
                   chunk.status().ToString().c_str());
      return std::nullopt;
    }
    if (chunk->empty()) break;
    for (StoredEvent& s : *chunk) {
      after = s.seq;
      last = std::max(last, s.received_at);  // the clock never goes back
      events.push_back(SimEvent{std::move(s.event), last, 0});
    }
  }
  return events;
}

}  // namespace

int RunSimulate(int argc, char** argv, int first) {
  ParsedArgs args =
      ParseArgs(argc, argv, first, {"config", "events", "until", "from-log"}, {"all"});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  const bool has_events = args.Get("events").has_value();
  const bool has_log = args.Get("from-log").has_value();
  if (!args.error.empty() || !args.positional.empty() || has_events == has_log) {
    std::fprintf(stderr, "herald simulate: %s\n\n%s",
                 !args.error.empty()        ? args.error.c_str()
                 : !args.positional.empty() ? "unexpected argument"
                                            : "give either --events FILE or --from-log DATA_DIR",
                 kHelp);
    return 2;
  }
  std::optional<Micros> until;
  if (auto text = args.Get("until")) {
    until = ParseRfc3339(*text);
    if (!until) {
      std::fprintf(stderr,
                   "herald simulate: --until wants an RFC 3339 time such as "
                   "2026-06-30T00:00:00Z, got '%s'\n",
                   text->c_str());
      return 2;
    }
  }

  const std::optional<Config> config = LoadConfigWithoutSecrets(args.Get("config"), "simulate");
  if (!config) return 1;
  const std::optional<LoadedCampaigns> campaigns = LoadCampaignsOrReport(*config);
  if (!campaigns) return 1;
  if (!campaigns->note.empty()) std::fprintf(stderr, "note: %s\n", campaigns->note.c_str());
  std::optional<TemplateSet> templates = LoadTemplatesOrReport(*config);
  if (!templates) return 1;

  std::optional<std::vector<SimEvent>> events = has_events
                                                    ? ReadEventsFile(*args.Get("events"), *config)
                                                    : ReadEventLog(*args.Get("from-log"));
  if (!events) return 1;

  ScratchDir scratch;
  if (scratch.path().empty()) {
    std::fprintf(stderr, "herald simulate: cannot create a temporary directory\n");
    return 1;
  }
  SimulationOptions options;
  options.work_dir = scratch.path();
  options.all_records = args.Has("all");
  options.templates = std::move(*templates);
  options.composer = ComposerSettings{config->agency, config->email, config->public_url};
  if (until) {
    options.until = *until;
  } else {
    Micros last = 0;
    for (const SimEvent& e : *events) last = std::max(last, e.post_at);
    options.until = last + kDefaultHorizon;
  }
  Result<SimulationOutput> out = RunSimulation(campaigns->campaigns, *events, options);
  if (!out.ok()) {
    std::fprintf(stderr, "herald simulate: %s\n", out.status().ToString().c_str());
    return 1;
  }
  for (const std::string& w : out->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const std::string& line : out->lines) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace herald::cli
