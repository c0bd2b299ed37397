#include "engine/cli/messaging.h"

#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "connectors/registry.h"

namespace herald::cli {

Messaging::~Messaging() {
  if (worker) worker->Stop();
  worker.reset();
  callback_sender.reset();
  callback_poster.reset();
  dispatcher.reset();
  composer.reset();
  store.reset();
}

Result<std::unique_ptr<Messaging>> StartMessaging(const Config& config,
                                                  const CampaignSet& campaigns,
                                                  const TemplateSet& templates,
                                                  ScheduleStore& schedule, EventLog& log,
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

  ComposerSettings settings{config.agency, config.email, config.public_url};
  m->composer =
      std::make_unique<TemplateComposer>(schedule, *m->store, settings, campaigns, templates, &log);
  options.delivery = config.delivery;
  options.email_route = config.delivery.email_connectors;
  options.sms_route = config.delivery.sms_connectors;
  options.public_url = config.public_url;
  options.status_callbacks = !config.status_callbacks.url.empty();
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
    callback_options.random_seed = static_cast<uint64_t>(clock.MonotonicMicros()) + 1;
    m->callback_sender =
        std::make_unique<CallbackSender>(*m->store, *m->callback_poster, clock, callback_options);
  }
  m->worker = std::make_unique<DispatchWorker>(*m->dispatcher, clock, m->callback_sender.get());
  m->worker->Start();
  return m;
}

}  // namespace herald::cli
