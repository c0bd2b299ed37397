// A client for GET /v1/reports/campaigns/{id}, used by `herald report` (the CLI does not
// include cpp-httplib; only engine/api does).
#pragma once

#include <string>

#include "engine/core/result.h"

namespace herald {

struct ReportFetch {
  std::string campaign;
  std::string from, to, tz, by;  // empty: the server's default
  std::string format = "json";   // json or csv
};

struct ReportReply {
  int status = 0;  // HTTP status
  std::string content_type;
  std::string body;  // as the server sent it
};

// `base_url`: http(s)://host[:port][/prefix]. InvalidArgument for a malformed URL, IOError
// when no reply came; otherwise the reply, whatever its status.
Result<ReportReply> FetchReport(const std::string& base_url, const std::string& api_key,
                                const ReportFetch& fetch);

}  // namespace herald
