#include <signal.h>
#include <sys/stat.h>
#include <algorithm>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include <spdlog/spdlog.h>

#include "engine/api/http_server.h"
#include "engine/cli/args.h"
#include "engine/cli/commands.h"
#include "engine/cli/config_loader.h"
#include "engine/cli/messaging.h"
#include "engine/core/log.h"
#include "engine/core/sha256.h"
#include "engine/rules/campaign_loader.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/rule_worker.h"
#include "engine/rules/schedule_control.h"
#include "engine/rules/timer_firer.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"

namespace herald::cli {
namespace {

constexpr const char* kHelp =
    R"(Usage: herald serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]

Runs the engine: the HTTP API on --listen, the event log and the schedule under
--data-dir, and the campaigns: new events are planned within a fraction of a second and
due messages go to the outbox on time. Refuses to start when a campaign has an error.
Without --config, runs on the embedded default configuration (samples/herald.yaml).
Flags override the file, so a second instance can run beside the first.
Reloads the campaigns and templates on SIGHUP (as POST /v1/admin/reload does): an
invalid set is reported and the running one kept.
Stops cleanly on SIGINT or SIGTERM.
)";

// The published development key of samples/herald.yaml; its hash is recognised so the
// banner can show a working curl command and warn that the key must be replaced.
constexpr const char* kDevKey = "herald-dev-key";

bool ParseListen(const std::string& value, std::string* host, uint16_t* port) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = value.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = value.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long n = std::stoul(p);
  if (n > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(n);
  return true;
}

void PrintBanner(const Config& config, const CampaignSet& campaigns, int port,
                 const std::string& self) {
  const std::string url = "http://" + config.listen_host + ":" + std::to_string(port);
  bool dev_key = false;
  for (const ApiKeyConfig& k : config.api_keys)
    dev_key = dev_key || k.sha256_hex == Sha256Hex(kDevKey);
  std::printf("herald %s is serving\n", HERALD_VERSION);
  std::printf("  API        %s   (OpenAPI: %s/openapi.yaml, metrics: %s/metrics)\n", url.c_str(),
              url.c_str(), url.c_str());
  std::printf("  event log  %s\n", std::filesystem::absolute(config.data_dir).c_str());
  std::printf("  campaigns  %zu campaign(s), %zu rule(s)\n", campaigns.size(),
              campaigns.rule_count());
  for (const auto& [name, c] : config.connectors) {
    if (c.options.contains("path") && c.options["path"].is_string()) {
      std::printf("  connector  %s (%s) -> %s\n", name.c_str(), c.type.c_str(),
                  c.options["path"].get<std::string>().c_str());
    } else {
      std::printf("  connector  %s (%s)\n", name.c_str(), c.type.c_str());
    }
  }
  const std::string key = dev_key ? kDevKey : "$HERALD_API_KEY";
  std::printf(
      "\nPost an event:\n"
      "  curl -sS -X POST %s/v1/events -H 'Authorization: Bearer %s' \\\n"
      "    -H 'Content-Type: application/json' \\\n"
      "    -d '{\"id\":\"evt-1\",\"case_id\":\"case-1\",\"type\":\"case.status_changed\","
      "\"occurred_at\":\"2026-01-05T14:00:00Z\",\"data\":{\"status\":\"documents_requested\"}}'\n"
      "Read the case back:\n"
      "  curl -sS %s/v1/cases/case-1 -H 'Authorization: Bearer %s'\n"
      "Post the sample events:\n"
      "  %s ingest --url %s --key %s samples/events.ndjson\n\n",
      url.c_str(), key.c_str(), url.c_str(), key.c_str(), self.c_str(), url.c_str(), key.c_str());
  if (dev_key) {
    std::printf(
        "WARNING: the development API key '%s' is configured; replace it before real use.\n",
        kDevKey);
  }
  std::fflush(stdout);
}

// Loads the campaigns again and, when they are valid, swaps them in through `control`.
// Serialised by `mu` so that a SIGHUP and an HTTP reload never apply out of order.
Result<ReloadOutcome> ReloadCampaigns(const Config& config, ScheduleControl& control,
                                      std::mutex& mu, TemplateComposer* composer) {
  std::lock_guard<std::mutex> lock(mu);
  ReloadOutcome out;
  CampaignLoad load = LoadCampaigns(config.campaigns_dir, config.templates_dir);
  std::vector<ConfigError> template_errors;
  Result<TemplateSet> templates = config.templates_dir.empty()
                                      ? Result<TemplateSet>(TemplateSet())
                                      : TemplateSet::Load(config.templates_dir, &template_errors);
  if (!templates.ok()) {
    if (template_errors.empty()) {
      template_errors.push_back({config.templates_dir, 0, 0, templates.status().message()});
    }
    load.errors.insert(load.errors.end(), template_errors.begin(), template_errors.end());
  }
  if (!load.ok()) {
    for (const ConfigError& e : load.errors) spdlog::error("reload: {}", e.ToString());
    spdlog::error("reload refused: {} error(s); the running campaigns are kept",
                  load.errors.size());
    out.errors = std::move(load.errors);
    return out;
  }
  Result<ReloadSweep> sweep = control.Reload(load.campaigns);
  if (!sweep.ok()) {
    spdlog::error("reload: {}", sweep.status().ToString());
    return sweep.status();
  }
  composer->SetContent(load.campaigns, std::move(templates).value());
  out.campaigns = load.campaigns.size();
  out.rules = load.campaigns.rule_count();
  out.cancelled = sweep->cancelled;
  out.replanned = sweep->replanned;
  spdlog::info("reloaded: {} campaign(s), {} rule(s); {} pending plan(s) cancelled, {} re-planned",
               out.campaigns, out.rules, out.cancelled, out.replanned);
  return out;
}

}  // namespace

int RunServe(int argc, char** argv, int first) {
  ParsedArgs args = ParseArgs(argc, argv, first, {"config", "listen", "data-dir"}, {});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!args.error.empty() || !args.positional.empty()) {
    std::fprintf(stderr, "herald serve: %s\n\n%s",
                 args.error.empty() ? "unexpected argument" : args.error.c_str(), kHelp);
    return 2;
  }
  std::optional<Config> loaded = LoadConfigOrReport(args.Get("config"));
  if (!loaded) return 1;
  Config config = std::move(*loaded);
  if (auto listen = args.Get("listen")) {
    if (!ParseListen(*listen, &config.listen_host, &config.listen_port)) {
      std::fprintf(stderr, "herald serve: --listen wants HOST:PORT, got '%s'\n", listen->c_str());
      return 2;
    }
  }
  if (auto dir = args.Get("data-dir")) config.data_dir = *dir;
  InitLogging(config.log_level);
  // The databases hold personal data and the message store's secret: files readable by
  // this user only, whatever umask the service manager started us with.
  ::umask(077);
  // Campaigns are checked before anything opens: a campaign with an error never runs.
  const std::optional<LoadedCampaigns> campaigns = LoadCampaignsOrReport(config);
  if (!campaigns) {
    spdlog::error("not starting: the campaigns have errors (listed above)");
    return 1;
  }
  if (!campaigns->note.empty()) spdlog::info("{}", campaigns->note);
  std::optional<TemplateSet> templates = LoadTemplatesOrReport(config);
  if (!templates) {
    spdlog::error("not starting: the templates have errors (listed above)");
    return 1;
  }

  // Signals are taken synchronously by this thread; block them before any thread starts
  // so that none of the workers receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemClock clock;
  StoreOptions store_options;
  store_options.path = (std::filesystem::path(config.data_dir) / "store").string();
  Result<std::unique_ptr<RocksStore>> store = RocksStore::Open(store_options, clock);
  if (!store.ok()) {
    spdlog::error("cannot open the store at {}: {}", store_options.path, store.status().ToString());
    return 1;
  }
  RocksStore* db = store->get();

  // The schedule (plans, timers, outbox) has its own database beside the event log.
  ScheduleStoreOptions schedule_options;
  schedule_options.path = (std::filesystem::path(config.data_dir) / "schedule").string();
  Result<std::unique_ptr<RocksScheduleStore>> schedule =
      RocksScheduleStore::Open(schedule_options, clock);
  if (!schedule.ok()) {
    spdlog::error("cannot open the schedule at {}: {}", schedule_options.path,
                  schedule.status().ToString());
    return 1;
  }
  ZoneCache zones;
  // The one serialisation point of every writer of plans: the worker's engine and firer,
  // and the API's cancels and reloads (engine/rules/schedule_control.h says why).
  std::mutex schedule_mu;
  RuleEngine rule_engine(campaigns->campaigns, *db, **schedule, clock, zones, &schedule_mu);
  TimerFirer timer_firer(campaigns->campaigns, **schedule, clock, zones, &schedule_mu);
  ScheduleControl control(rule_engine, timer_firer, **schedule, clock, schedule_mu);
  std::mutex reload_mu;
  // Ingest never calls the rule engine; the worker follows the log on its own (it polls
  // the log's last sequence every RuleWorker::kPollMicros) and fires timers when due,
  // including those that fell due while the engine was down.
  RuleWorker worker(rule_engine, timer_firer, *db, **schedule, clock);
  Result<std::unique_ptr<Messaging>> messaging =
      StartMessaging(config, campaigns->campaigns, *templates, **schedule, *db, clock);
  if (!messaging.ok()) {
    spdlog::error("not starting: {}", messaging.status().message());
    return 1;
  }
  DispatchWorker* dispatch_worker = (*messaging)->worker.get();
  worker.SetOnFired([dispatch_worker] { dispatch_worker->Notify(); });
  worker.Start();

  ServerDeps deps;
  deps.config = &config;
  deps.log = db;
  deps.cases = db;
  deps.store_stats = [db] { return db->Stats(); };
  deps.clock = &clock;
  deps.schedule = schedule->get();
  deps.cancel_plan = [&control](const PlanKey& key, const std::string& reason) {
    return control.Cancel(key, reason);
  };
  TemplateComposer* composer = (*messaging)->composer.get();
  Messaging* msg = messaging->get();
  deps.messages = msg->store.get();
  deps.has_connector = [msg](const std::string& name) { return msg->Find(name) != nullptr; };
  deps.verify_receipt = [msg](const std::string& name, const CallbackRequest& request) {
    const Connector* c = msg->Find(name);
    return c != nullptr && c->VerifyCallback(request);
  };
  deps.apply_receipt = [msg](const Receipt& receipt, bool* found) {
    Status s = msg->dispatcher->ApplyReceipt(receipt, found);
    // A receipt that changed a message may have queued a status callback: post it now
    // rather than at the worker's next poll.
    if (s.ok() && *found && msg->callback_sender) msg->worker->Notify();
    return s;
  };
  deps.more_metrics = [msg] { return msg->MetricsText(); };
  deps.track = msg->track.get();
  deps.verify_inbound_sms = [msg](const CallbackRequest& request) {
    for (const auto& c : msg->connectors) {
      const std::vector<Channel> carried = c->channels();
      const bool sms = std::find(carried.begin(), carried.end(), Channel::kSms) != carried.end();
      if (sms && c->VerifyCallback(request)) return true;
    }
    return false;
  };
  deps.tokens = msg->tokens.get();
  deps.branding = BrandingFor(config.agency);
  {
    std::vector<std::pair<std::string, std::string>> names;
    for (const Campaign& c : campaigns->campaigns.campaigns()) names.emplace_back(c.id, c.name);
    deps.campaign_names = [names] { return names; };
  }
  deps.reload = [&config, &control, &reload_mu, composer] {
    return ReloadCampaigns(config, control, reload_mu, composer);
  };
  HttpServer server(deps);
  Result<int> port = server.Start(config.listen_host, config.listen_port);
  if (!port.ok()) {
    spdlog::error("{}", port.status().ToString());
    worker.Stop();
    return 1;
  }
  spdlog::info("listening on {}:{}; log at seq {}; {} campaign(s)", config.listen_host, *port,
               db->LastSequence(), campaigns->campaigns.size());
  PrintBanner(config, campaigns->campaigns, *port, argv[0]);

  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    spdlog::info("SIGHUP received; reloading the campaigns");
    (void)ReloadCampaigns(config, control, reload_mu, composer);  // it logs the outcome
    worker.Notify();
  }
  spdlog::info("signal {} received; stopping", signal_number);
  server.Stop();
  worker.Stop();       // finishes the batch in progress: nothing half-done is left behind
  messaging->reset();  // the dispatch round in progress finishes too
  schedule->reset();
  store->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace herald::cli
