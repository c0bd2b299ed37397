// Report routes and the communicators' dashboard. Registered by
// HttpServer::Impl::RegisterRoutes; see docs/api.md and docs/reports.md.
#include "engine/api/http_server_impl.h"

namespace herald {

void HttpServer::Impl::RegisterReportRoutes() {}

}  // namespace herald
