#include "engine/api/report_client.h"

#include <httplib.h>

#include "engine/report/dashboard.h"

namespace herald {

Result<ReportReply> FetchReport(const std::string& base_url, const std::string& api_key,
                                const ReportFetch& fetch) {
  const size_t scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos || (base_url.compare(0, scheme_end, "http") != 0 &&
                                          base_url.compare(0, scheme_end, "https") != 0)) {
    return Status::InvalidArgument("URL must start with http:// or https://: " + base_url);
  }
  const size_t path_start = base_url.find('/', scheme_end + 3);
  const std::string origin = base_url.substr(0, path_start);
  std::string prefix = path_start == std::string::npos ? "" : base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (origin.size() <= scheme_end + 3)
    return Status::InvalidArgument("URL has no host: " + base_url);
  httplib::Client client(origin);
  if (!client.is_valid()) return Status::InvalidArgument("cannot use URL: " + base_url);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(120, 0);

  std::string path = prefix + "/v1/reports/campaigns/" + UrlEncode(fetch.campaign) +
                     "?format=" + UrlEncode(fetch.format);
  for (const auto& [name, value] :
       {std::pair{"from", &fetch.from}, {"to", &fetch.to}, {"tz", &fetch.tz}, {"by", &fetch.by}}) {
    if (!value->empty()) path += std::string("&") + name + "=" + UrlEncode(*value);
  }
  httplib::Headers headers = {{"Authorization", "Bearer " + api_key}};
  auto res = client.Get(path, headers);
  if (!res) return Status::IOError("no reply: " + httplib::to_string(res.error()));
  ReportReply reply;
  reply.status = res->status;
  reply.content_type = res->get_header_value("Content-Type");
  reply.body = res->body;
  return reply;
}

}  // namespace herald
