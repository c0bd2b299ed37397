// The message side of `herald serve`: connectors from the config (registry), the message
// store (data/messages), the TemplateComposer, the Dispatcher, the CallbackSender (when
// `status_callbacks.url` is set) and the worker thread that runs both.
// Split from cmd_serve.cc, which owns the event side.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/callback/callback_poster.h"
#include "connectors/connector.h"
#include "engine/cli/retention.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/dispatch/callback_sender.h"
#include "engine/dispatch/dispatch_worker.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/dispatch/template_composer.h"
#include "engine/rules/campaign.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/store/track_store_rocks.h"
#include "engine/track/tracking_token.h"
#include "templates/template_set.h"

namespace herald::cli {

struct Messaging {
  std::vector<std::unique_ptr<Connector>> connectors;
  std::unique_ptr<RocksMessageStore> store;
  std::unique_ptr<RocksTrackStore> track;  // data/track: engagement, opt-outs, counters
  std::unique_ptr<TokenCodec> tokens;      // keyed with the message store's secret
  std::unique_ptr<TemplateComposer> composer;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<CallbackPoster> callback_poster;  // null when status callbacks are off
  std::unique_ptr<CallbackSender> callback_sender;  // null when status callbacks are off
  std::unique_ptr<DispatchWorker> worker;
  std::unique_ptr<RetentionWorker> retention;  // retention.pii: messages, track, event log

  // The connector named `name`, or nullptr.
  const Connector* Find(const std::string& name) const {
    for (const auto& c : connectors) {
      if (c->name() == name) return c.get();
    }
    return nullptr;
  }

  // Prometheus text (complete families) for /metrics: dispatch counters since start, the
  // ready queue's length, status callback counters. Any thread.
  std::string MetricsText() const;

  // Stops the worker (the round in progress finishes), then closes the store.
  ~Messaging();
};

// Builds everything and starts the worker; `log` is the event log (the composer reads
// planning events from it, and retention redacts it). Errors (each connector's option problems, a
// store that cannot open) are for people: serve prints them and exits 1.
Result<std::unique_ptr<Messaging>> StartMessaging(const Config& config,
                                                  const CampaignSet& campaigns,
                                                  const TemplateSet& templates,
                                                  ScheduleStore& schedule, RocksStore& log,
                                                  const Clock& clock);

}  // namespace herald::cli
