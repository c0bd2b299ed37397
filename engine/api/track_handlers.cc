// Tracking, unsubscribe, inbound SMS and recipient preference routes. Registered by
// HttpServer::Impl::RegisterRoutes; see docs/api.md.
#include "engine/api/http_server_impl.h"

namespace herald {

void HttpServer::Impl::RegisterTrackRoutes() {}

}  // namespace herald
