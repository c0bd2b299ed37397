// The HTTP API: event ingest, log and case reads, health, metrics and the OpenAPI text.
//
// HttpServer owns the listening socket and a worker pool (cpp-httplib, hidden behind a
// pimpl so only this layer includes it). It borrows the store and config: they must
// outlive it. Ingest never calls downstream layers; it appends to the EventLog and
// answers once the append is durable. Every route is described in openapi.yaml and a
// test checks that Routes() and that file agree.
//
// Thread safety: Start/Stop from one controlling thread; handlers run on the pool.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/dispatch/message_store.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/event_log.h"
#include "engine/track/track_store.h"
#include "engine/track/tracking_token.h"
#include "templates/branding.h"

namespace herald {

// What POST /v1/admin/reload reports. `errors` non-empty: the new campaigns were
// invalid and the old ones keep running (nothing else happened).
struct ReloadOutcome {
  std::vector<ConfigError> errors;
  size_t campaigns = 0;  // in the set now running
  size_t rules = 0;
  size_t cancelled = 0;  // pending plans cancelled by the reload
  size_t replanned = 0;  // pending plans moved by the reload
};

struct ServerDeps {
  const Config* config = nullptr;
  EventLog* log = nullptr;
  CaseStore* cases = nullptr;
  std::function<StoreStats()> store_stats;  // for /readyz and /metrics
  // More Prometheus text for /metrics from the layers the API does not link (dispatch,
  // status callbacks): complete # HELP / # TYPE families. Optional; any thread.
  std::function<std::string()> more_metrics;
  const Clock* clock = nullptr;

  // The schedule (optional). Without `schedule`, GET/DELETE .../schedule answer 503; the
  // same for a DELETE without `cancel_plan` and a reload without `reload`. The hooks run
  // on server threads; they must serialise with the rule worker (ScheduleControl in
  // engine/rules/schedule_control.h does; the API layer does not link the rules layer).
  ScheduleStore* schedule = nullptr;
  // Cancels a pending plan: the plan as committed; NotFound (no plan), Conflict (not
  // pending).
  std::function<Result<Plan>(const PlanKey& key, const std::string& reason)> cancel_plan;
  // Reloads and validates the campaigns, swapping them in when valid. A Status error is a
  // storage failure after the new set was validated.
  std::function<Result<ReloadOutcome>()> reload;

  // Messages (optional; without them the message routes answer 503). Reads go to the
  // store; receipts go through the hooks, which dispatch serialises.
  MessageStore* messages = nullptr;
  // Whether a connector of that name exists (receipts for others are 404).
  std::function<bool(const std::string& connector)> has_connector;
  // Whether the connector vouches for the request (a gateway signature). When it does not,
  // the receipt needs an API key with the ingest scope.
  std::function<bool(const std::string& connector, const CallbackRequest& request)> verify_receipt;
  std::function<Status(const Receipt& receipt, bool* found)> apply_receipt;

  // Engagement (optional; without `track` the tracking, unsubscribe, inbound SMS,
  // preference and report routes answer 503, except the open pixel, which always answers
  // its GIF). `tokens` decodes the /o, /c and /u path tokens; `branding` is the agency's
  // look on the pages herald shows the public and names the agency in the built-in SMS
  // replies to STOP, START and HELP (templates/pages); config->sms_replies replaces those
  // per language (SmsReplyFor in templates/pages/sms_replies.h).
  TrackStore* track = nullptr;
  // Whether an SMS connector vouches for an inbound SMS webhook (its gateway signature).
  // When none does, POST /v1/inbound/sms needs an API key with the ingest scope.
  std::function<bool(const CallbackRequest& request)> verify_inbound_sms;
  const TokenCodec* tokens = nullptr;
  Branding branding;
  // The campaigns a report can name, for GET /v1/reports/campaigns and the dashboard:
  // (id, display name) in id order. Optional.
  std::function<std::vector<std::pair<std::string, std::string>>()> campaign_names;
};

// One registered route, in OpenAPI form: {"POST", "/v1/events"}, {"GET", "/v1/cases/{case_id}"}.
struct RouteInfo {
  std::string method;
  std::string path;
};

class HttpServer {
 public:
  explicit HttpServer(ServerDeps deps);
  ~HttpServer();  // stops serving and joins the serving thread
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free one) and serves on a background thread.
  // Returns the bound port, or IOError when the address cannot be bound.
  Result<int> Start(const std::string& host, int port);

  // Stops accepting, finishes in-flight requests and joins. Idempotent.
  void Stop();

  const std::vector<RouteInfo>& Routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3 description served at GET /openapi.yaml (compiled in from openapi.yaml).
std::string_view OpenApiYaml();

}  // namespace herald
