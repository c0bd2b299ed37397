// Internal to engine/api: the state behind HttpServer and the helpers its handlers share.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/auth.h"
#include "engine/api/auth_failure_limiter.h"
#include "engine/api/http_server.h"
#include "engine/api/metrics.h"

namespace herald {

struct HttpServer::Impl {
  explicit Impl(ServerDeps d);

  // Registers a handler under httplib's regex `pattern`, described as `openapi_path`.
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void AddRoute(const std::string& method, const std::string& pattern,
                const std::string& openapi_path, Handler handler);
  void RegisterRoutes();

  // Answers 401/403 and returns false when the request lacks `scope`. On success
  // `*key` (if given) points at the matched key. A peer blocked by `auth_limiter` gets 429
  // before its key is looked at; an unknown key counts as its failure, a missing one and
  // a 403 do not (AdmitCredential).
  bool Authorize(const httplib::Request& req, httplib::Response& res, Scope scope,
                 const ApiKeyConfig** key = nullptr);

  // Route handlers (http_handlers.cc).
  void PostEvents(const httplib::Request& req, httplib::Response& res);
  void GetEvents(const httplib::Request& req, httplib::Response& res);
  void GetCase(const httplib::Request& req, httplib::Response& res);
  void Healthz(const httplib::Request& req, httplib::Response& res);
  void Readyz(const httplib::Request& req, httplib::Response& res);
  void Metrics(const httplib::Request& req, httplib::Response& res);
  void OpenApi(const httplib::Request& req, httplib::Response& res);
  // Schedule and admin handlers (schedule_handlers.cc).
  void GetSchedule(const httplib::Request& req, httplib::Response& res);
  void DeleteSchedulePlan(const httplib::Request& req, httplib::Response& res);
  void PostReload(const httplib::Request& req, httplib::Response& res);
  // Message handlers (message_handlers.cc).
  void PostReceipt(const httplib::Request& req, httplib::Response& res);
  void GetMessage(const httplib::Request& req, httplib::Response& res);
  void GetCaseMessages(const httplib::Request& req, httplib::Response& res);
  // Tracking, unsubscribe, inbound SMS and recipient preferences (track_handlers.cc).
  void RegisterTrackRoutes();
  // Reports, CSV and the communicators' dashboard (report_handlers.cc).
  void RegisterReportRoutes();

  ServerDeps deps;
  Authenticator auth;
  ApiMetrics metrics;
  AuthFailureLimiter auth_limiter;  // http.auth_failures_per_minute; shared by every route
  httplib::Server server;
  std::vector<RouteInfo> routes;
  std::thread thread;
  bool started = false;
};

// Writes {"error": {"code": ..., "message": ...}} (plus `extra` fields merged into
// "error") with `status`.
void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message,
               nlohmann::json extra = nlohmann::json::object());
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// The one check in front of every credential (an API key, the key typed into the
// dashboard's sign-in form, a one-time sign-in link), made before the credential is looked
// at, so a blocked client learns nothing. True when the peer (req.remote_addr) may present
// one. Otherwise sets 429 and Retry-After (whole seconds), counts
// herald_requests_rejected_total{reason="rate_limited"}, writes the body with `body`
// (given the seconds; when empty, the JSON error too_many_requests) and returns false.
using RateLimitedBody = std::function<void(httplib::Response&, int64_t retry_after_seconds)>;
bool AdmitCredential(AuthFailureLimiter& limiter, ApiMetrics& metrics, const httplib::Request& req,
                     httplib::Response& res, const RateLimitedBody& body = {});
// Records that the peer of `req` presented a credential that was refused: an unknown key,
// a wrong sign-in key, a bad or spent one-time link. Not a key lacking the scope, not a
// missing credential (auth_failure_limiter.h says why).
void CountCredentialFailure(AuthFailureLimiter& limiter, const httplib::Request& req);
// What a gateway signed, for Connector::VerifyCallback: public_url + the path and query as
// sent (httplib folds form fields into req.params, so the query cannot be rebuilt), the
// headers with lower-cased names, the raw body and the parsed `form` fields.
CallbackRequest GatewayRequest(const ServerDeps& deps, const httplib::Request& req,
                               const httplib::Params& form);
// 503 for Unavailable (with Retry-After), 500 otherwise (logged).
void SendStoreFailure(httplib::Response& res, const Status& status);

}  // namespace herald
