// Internal to engine/api: the inbound SMS and recipient preference routes
// (recipient_handlers.cc). HttpServer::Impl::RegisterTrackRoutes adds them with AddRoute.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/api/auth.h"
#include "engine/api/http_server.h"

namespace herald {

struct RecipientRoute {
  std::string method;
  std::string pattern;       // httplib regex
  std::string openapi_path;  // as in openapi.yaml
  std::function<void(const httplib::Request&, httplib::Response&)> handler;
};

// HttpServer::Impl::Authorize: answers 401/403 and returns false when the request lacks
// the scope; on success sets `*key`.
using AuthorizeFn = std::function<bool(const httplib::Request&, httplib::Response&, Scope,
                                       const ApiKeyConfig** key)>;

// POST /v1/inbound/sms, GET and PUT /v1/recipients/{recipient_id}/preferences. `deps`
// must outlive the handlers (it is the server's).
std::vector<RecipientRoute> RecipientRoutes(const ServerDeps& deps, AuthorizeFn authorize);

}  // namespace herald
