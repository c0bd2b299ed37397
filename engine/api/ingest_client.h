// A client for POST /v1/events, used by `herald ingest` (and by tests and benchmarks).
//
// Holds one keep-alive connection. Not thread-safe: use one client per thread.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"

namespace herald {

struct HttpReply {
  int status = 0;           // HTTP status
  nlohmann::json body;      // parsed JSON body (null when not JSON)
  std::string retry_after;  // Retry-After header, if any
};

class IngestClient {
 public:
  // `base_url`: http(s)://host[:port][/prefix]. InvalidArgument for a malformed URL.
  static Result<std::unique_ptr<IngestClient>> Create(const std::string& base_url,
                                                      const std::string& api_key);
  ~IngestClient();

  // Posts `body` with `content_type` to /v1/events. IOError when no reply came (connection
  // refused, timeout); otherwise the reply, whatever its status.
  Result<HttpReply> PostEvents(const std::string& body, const std::string& content_type);

 private:
  struct Impl;
  explicit IngestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
