// Internal to engine/api: the inbound SMS, recipient preference and address opt-out routes
// (recipient_handlers.cc, optout_handlers.cc). HttpServer::Impl::RegisterTrackRoutes adds
// them with AddRoute.
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
// must outlive the handlers (it is the server's). The list ends with OptOutRoutes.
std::vector<RecipientRoute> RecipientRoutes(const ServerDeps& deps, AuthorizeFn authorize);

// POST /v1/opt-outs/lookup and /v1/opt-outs/lift (optout_handlers.cc): an address's
// opt-out, for the agency (admin key).
std::vector<RecipientRoute> OptOutRoutes(const ServerDeps& deps, AuthorizeFn authorize);

}  // namespace herald
