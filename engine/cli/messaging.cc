#include "engine/cli/messaging.h"

#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "connectors/registry.h"

namespace herald::cli {

Messaging::~Messaging() {
  if (retention) retention->Stop();
  retention.reset();
  if (worker) worker->Stop();
  worker.reset();
  callback_sender.reset();
  callback_poster.reset();
  dispatcher.reset();
  composer.reset();
  tokens.reset();
  track.reset();
  store.reset();
}

namespace {

void Counter(std::string& out, const char* name, const char* help, uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
         " " + std::to_string(value) + "\n";
}

}  // namespace

std::string Messaging::MetricsText() const {
  std::string out;
  const DispatchStats d = dispatcher->stats();
  Counter(out, "herald_dispatch_intents_total", "Outbox intents taken in by dispatch.", d.intents);
  Counter(out, "herald_dispatch_sends_total", "Connector calls (send attempts).", d.sends);
  Counter(out, "herald_dispatch_accepted_total", "Sends a gateway accepted.", d.accepted);
  Counter(out, "herald_dispatch_retried_total", "Temporary failures queued for a retry.",
          d.retried);
  Counter(out, "herald_dispatch_failed_total",
          "Messages failed (permanent, or technical when attempts or age ran out).", d.failed);
  Counter(out, "herald_dispatch_suppressed_total", "Messages a gateway suppressed.", d.suppressed);
  if (Result<size_t> ready = store->ReadyCount(); ready.ok()) {
    out += "# HELP herald_dispatch_ready Messages queued or sending.\n";
    out += "# TYPE herald_dispatch_ready gauge\nherald_dispatch_ready " + std::to_string(*ready) +
           "\n";
  }
  if (callback_sender) {
    const CallbackStats c = callback_sender->stats();
    Counter(out, "herald_callbacks_posts_total", "Status callback POSTs made.", c.posts);
    Counter(out, "herald_callbacks_delivered_total", "Status callbacks answered with 2xx.",
            c.delivered);
    Counter(out, "herald_callbacks_retried_total",
            "Status callbacks put back after a temporary failure.", c.retried);
    Counter(out, "herald_callbacks_rejected_total",
            "Status callbacks removed after a permanent 4xx.", c.rejected);
    Counter(out, "herald_callbacks_given_up_total",
            "Status callbacks removed when attempts or age ran out.", c.given_up);
  }
  return out;
}

Result<std::unique_ptr<Messaging>> StartMessaging(const Config& config,
                                                  const CampaignSet& campaigns,
                                                  const TemplateSet& templates,
                                                  ScheduleStore& schedule, RocksStore& log,
                                                  const Clock& clock) {
  // The layout refuses a bad colour or URL; better at start-up than on every email.
  if (Status s = ValidateBranding(BrandingFor(config.agency)); !s.ok()) {
    return Status::InvalidArgument("agency: " + s.message());
  }
  auto m = std::make_unique<Messaging>();
  DispatcherOptions options;
  ConnectorEnv env;
  env.clock = const_cast<Clock*>(&clock);
  std::string errors;
  size_t lanes = 0;
  for (const auto& [name, cc] : config.connectors) {
    Result<std::unique_ptr<Connector>> c = CreateConnector(cc, env);
    if (!c.ok()) {
      errors += (errors.empty() ? "" : "\n") + c.status().message();
      continue;
    }
    lanes += static_cast<size_t>(std::max(1, (*c)->max_concurrency()));
    options.connectors[name] = {c->get(), cc.rate_per_second, cc.burst};
    m->connectors.push_back(std::move(c).value());
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);

  MessageStoreOptions store_options;
  store_options.path = (std::filesystem::path(config.data_dir) / "messages").string();
  Result<std::unique_ptr<RocksMessageStore>> store = RocksMessageStore::Open(store_options);
  if (!store.ok()) return store.status();
  m->store = std::move(store).value();
  TrackStoreOptions track_options;
  track_options.path = (std::filesystem::path(config.data_dir) / "track").string();
  track_options.secret = m->store->Secret();
  Result<std::unique_ptr<RocksTrackStore>> track = RocksTrackStore::Open(track_options);
  if (!track.ok()) return track.status();
  m->track = std::move(track).value();
  Result<TokenCodec> tokens = TokenCodec::Create(m->store->Secret());
  if (!tokens.ok()) return tokens.status();
  m->tokens = std::make_unique<TokenCodec>(std::move(tokens).value());

  ComposerSettings settings{config.agency, config.email, config.public_url};
  settings.track = m->track.get();
  settings.tokens = m->tokens.get();
  m->composer =
      std::make_unique<TemplateComposer>(schedule, *m->store, settings, campaigns, templates, &log);
  options.delivery = config.delivery;
  options.email_route = config.delivery.email_connectors;
  options.sms_route = config.delivery.sms_connectors;
  options.public_url = config.public_url;
  options.status_callbacks = !config.status_callbacks.url.empty();
  options.track = m->track.get();
  options.random_seed = static_cast<uint64_t>(clock.MonotonicMicros());
  options.send_threads = std::min<size_t>(lanes, 64);
  m->dispatcher =
      std::make_unique<Dispatcher>(schedule, *m->store, *m->composer, clock, std::move(options));
  if (!config.status_callbacks.url.empty()) {
    Result<std::unique_ptr<CallbackPoster>> poster =
        CallbackPoster::FromConfig(config.status_callbacks, clock);
    if (!poster.ok()) return poster.status();
    m->callback_poster = std::move(poster).value();
    CallbackSenderOptions callback_options;
    callback_options.retry = CallbackRetryFrom(config.status_callbacks);
    callback_options.random_seed = static_cast<uint64_t>(clock.MonotonicMicros()) + 1;
    m->callback_sender =
        std::make_unique<CallbackSender>(*m->store, *m->callback_poster, clock, callback_options);
  }
  m->worker = std::make_unique<DispatchWorker>(*m->dispatcher, clock, m->callback_sender.get());
  m->worker->Start();
  // The event log too, bounded by the rule engine's cursor and by the events pending
  // reminders and uncomposed intents still read (both from the schedule store, with
  // dispatch's outbox cursor from m->store).
  m->retention = std::make_unique<RetentionWorker>(config.retention, *m->store, *m->track, clock,
                                                   EventLogRetention{&log, &schedule});
  m->retention->Start();
  return m;
}

}  // namespace herald::cli
