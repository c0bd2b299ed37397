#include "engine/api/http_server.h"

#include <spdlog/spdlog.h>

#include "engine/api/http_server_impl.h"

namespace herald {

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // error_handler_t::replace: never throw on odd bytes in stored data.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message,
               nlohmann::json extra) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (extra.is_object()) error.update(extra);
  SendJson(res, status, {{"error", std::move(error)}});
}

bool AdmitCredential(AuthFailureLimiter& limiter, ApiMetrics& metrics, const httplib::Request& req,
                     httplib::Response& res, const RateLimitedBody& body) {
  const int64_t wait = limiter.BlockedFor(req.remote_addr);
  if (wait == 0) return true;
  // No log line: the address is the only thing worth saying and herald does not log
  // client addresses; the counter shows that it happens.
  metrics.CountRejected("rate_limited", 0);
  res.status = 429;
  res.set_header("Retry-After", std::to_string(wait));
  if (body) {
    body(res, wait);
  } else {
    SendError(res, 429, "too_many_requests",
              "too many failed authentication attempts from this address; retry after " +
                  std::to_string(wait) + " seconds",
              {{"retry_after_seconds", wait}});
  }
  return false;
}

void CountCredentialFailure(AuthFailureLimiter& limiter, const httplib::Request& req) {
  limiter.RecordFailure(req.remote_addr);
}

CallbackRequest GatewayRequest(const ServerDeps& deps, const httplib::Request& req,
                               const httplib::Params& form) {
  CallbackRequest callback;
  callback.url = deps.config->public_url + req.target;
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    callback.headers.emplace_back(lower, v);
  }
  callback.body = req.body;
  for (const auto& [k, v] : form) callback.form.emplace_back(k, v);
  return callback;
}

void SendStoreFailure(httplib::Response& res, const Status& status) {
  if (status.IsUnavailable()) {
    res.set_header("Retry-After", "5");
    SendError(res, 503, "unavailable",
              "storage cannot accept writes right now; nothing was written, retry later");
    return;
  }
  spdlog::error("store failure: {}", status.ToString());
  SendError(res, 500, "internal", "storage error; nothing was acknowledged, retry later");
}

HttpServer::Impl::Impl(ServerDeps d)
    : deps(std::move(d)),
      auth(deps.config->api_keys),
      auth_limiter(*deps.clock, {.max_failures = deps.config->http.auth_failures_per_minute}) {}

void HttpServer::Impl::AddRoute(const std::string& method, const std::string& pattern,
                                const std::string& openapi_path, Handler handler) {
  const size_t index = metrics.AddRoute(method + " " + openapi_path);
  routes.push_back({method, openapi_path});
  auto timed = [this, index, handler = std::move(handler)](const httplib::Request& req,
                                                           httplib::Response& res) {
    const Micros start = deps.clock->MonotonicMicros();
    handler(req, res);
    // A handler that sets no status (/metrics, /openapi.yaml) is answered 200 by httplib;
    // say so here, or the unset -1 would be counted as a 5xx.
    if (res.status == -1) res.status = 200;
    metrics.ObserveRequest(index, res.status, deps.clock->MonotonicMicros() - start);
  };
  if (method == "GET") {
    server.Get(pattern, timed);
  } else if (method == "POST") {
    server.Post(pattern, timed);
  } else if (method == "PUT") {
    server.Put(pattern, timed);
  } else if (method == "DELETE") {
    server.Delete(pattern, timed);
  }
}

void HttpServer::Impl::RegisterRoutes() {
  auto bind = [this](void (Impl::*fn)(const httplib::Request&, httplib::Response&)) {
    return
        [this, fn](const httplib::Request& req, httplib::Response& res) { (this->*fn)(req, res); };
  };
  AddRoute("POST", "/v1/events", "/v1/events", bind(&Impl::PostEvents));
  AddRoute("GET", "/v1/events", "/v1/events", bind(&Impl::GetEvents));
  AddRoute("GET", R"(/v1/cases/([^/]+))", "/v1/cases/{case_id}", bind(&Impl::GetCase));
  AddRoute("GET", R"(/v1/cases/([^/]+)/schedule)", "/v1/cases/{case_id}/schedule",
           bind(&Impl::GetSchedule));
  AddRoute("DELETE", R"(/v1/cases/([^/]+)/schedule/([^/]+)/([^/]+))",
           "/v1/cases/{case_id}/schedule/{campaign}/{rule}", bind(&Impl::DeleteSchedulePlan));
  AddRoute("POST", "/v1/admin/reload", "/v1/admin/reload", bind(&Impl::PostReload));
  AddRoute("POST", R"(/v1/receipts/([^/]+))", "/v1/receipts/{connector}", bind(&Impl::PostReceipt));
  AddRoute("GET", R"(/v1/messages/([^/]+))", "/v1/messages/{message_id}", bind(&Impl::GetMessage));
  AddRoute("GET", R"(/v1/cases/([^/]+)/messages)", "/v1/cases/{case_id}/messages",
           bind(&Impl::GetCaseMessages));
  RegisterTrackRoutes();
  RegisterReportRoutes();
  AddRoute("GET", "/healthz", "/healthz", bind(&Impl::Healthz));
  AddRoute("GET", "/readyz", "/readyz", bind(&Impl::Readyz));
  AddRoute("GET", "/metrics", "/metrics", bind(&Impl::Metrics));
  AddRoute("GET", "/openapi.yaml", "/openapi.yaml", bind(&Impl::OpenApi));
}

bool HttpServer::Impl::Authorize(const httplib::Request& req, httplib::Response& res, Scope scope,
                                 const ApiKeyConfig** key) {
  if (!AdmitCredential(auth_limiter, metrics, req, res)) return false;
  const AuthResult result = auth.Check(req.get_header_value("Authorization"), scope);
  switch (result.kind) {
    case AuthResult::Kind::kOk:
      if (key != nullptr) *key = result.key;
      return true;
    case AuthResult::Kind::kMissing:
      res.set_header("WWW-Authenticate", "Bearer");
      SendError(res, 401, "unauthorized",
                "missing API key: send it as 'Authorization: Bearer <key>'");
      metrics.CountRejected("unauthorized", 0);
      return false;
    case AuthResult::Kind::kInvalid:
      CountCredentialFailure(auth_limiter, req);
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      SendError(res, 401, "unauthorized", "unknown API key");
      metrics.CountRejected("unauthorized", 0);
      return false;
    case AuthResult::Kind::kForbidden:
      SendError(res, 403, "forbidden",
                "API key '" + result.key->id + "' lacks the '" + std::string(ScopeName(scope)) +
                    "' scope");
      metrics.CountRejected("forbidden", 0);
      return false;
  }
  return false;
}

HttpServer::HttpServer(ServerDeps deps) : impl_(std::make_unique<Impl>(std::move(deps))) {
  Impl& s = *impl_;
  const Config& cfg = *s.deps.config;
  const size_t threads = cfg.http.threads;
  // Debian's cpp-httplib defaults (Nagle on, 5 requests per connection, ~8 threads)
  // cap a trivial handler at a few hundred requests a second; see docs/benchmarks.md.
  s.server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.server.set_tcp_nodelay(true);
  s.server.set_keep_alive_max_count(cfg.http.keep_alive_max_requests);
  s.server.set_keep_alive_timeout(5);
  s.server.set_read_timeout(cfg.http.read_timeout_seconds, 0);
  s.server.set_write_timeout(cfg.http.read_timeout_seconds, 0);
  s.server.set_payload_max_length(cfg.limits.max_body_bytes);

  // Every status >= 400 passes here; fill in a JSON body where a handler (or httplib
  // itself: 400 bad request line, 404 no route, 413 too large, 414 URI too long) left none.
  s.server.set_error_handler(
      httplib::Server::HandlerWithResponse([&s](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        switch (res.status) {
          case 404:
            SendError(res, 404, "not_found", "no such route");
            break;
          case 413:
            s.metrics.CountRejected("body_too_large", 0);
            SendError(res, 413, "body_too_large",
                      "request body exceeds the limit of " +
                          std::to_string(s.deps.config->limits.max_body_bytes) + " bytes");
            break;
          case 414:
            SendError(res, 414, "uri_too_long", "request URI too long");
            break;
          default:
            SendError(res, res.status, res.status < 500 ? "bad_request" : "internal",
                      "HTTP " + std::to_string(res.status));
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.server.set_exception_handler(
      [&s](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        // A handler threw: a bug, not client input. Log without request data.
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          spdlog::error("http handler failed: {}", e.what());
        } catch (...) {
          spdlog::error("http handler failed with a non-standard exception");
        }
        SendError(res, 500, "internal", "internal error; the request may be retried");
      });
  s.RegisterRoutes();
}

HttpServer::~HttpServer() {
  Stop();
}

Result<int> HttpServer::Start(const std::string& host, int port) {
  Impl& s = *impl_;
  if (s.started) return Status::Internal("server already started");
  int bound = port;
  if (port == 0) {
    bound = s.server.bind_to_any_port(host);
    if (bound < 0) return Status::IOError("cannot bind " + host + " on any port");
  } else if (!s.server.bind_to_port(host, port)) {
    return Status::IOError("cannot bind " + host + ":" + std::to_string(port) +
                           " (address in use or not permitted)");
  }
  s.started = true;
  s.thread = std::thread([&s] { s.server.listen_after_bind(); });
  return bound;
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  s.server.stop();
  if (s.thread.joinable()) s.thread.join();
  s.started = false;
}

const std::vector<RouteInfo>& HttpServer::Routes() const {
  return impl_->routes;
}

}  // namespace herald
