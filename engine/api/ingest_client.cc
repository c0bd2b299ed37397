#include "engine/api/ingest_client.h"

#include <httplib.h>

namespace herald {

struct IngestClient::Impl {
  Impl(const std::string& origin, std::string prefix_, std::string key)
      : client(origin), prefix(std::move(prefix_)), api_key(std::move(key)) {}
  httplib::Client client;
  std::string prefix;
  std::string api_key;
};

IngestClient::IngestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IngestClient::~IngestClient() = default;

Result<std::unique_ptr<IngestClient>> IngestClient::Create(const std::string& base_url,
                                                           const std::string& api_key) {
  const size_t scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos || (base_url.compare(0, scheme_end, "http") != 0 &&
                                          base_url.compare(0, scheme_end, "https") != 0)) {
    return Status::InvalidArgument("URL must start with http:// or https://: " + base_url);
  }
  const size_t path_start = base_url.find('/', scheme_end + 3);
  std::string origin = base_url.substr(0, path_start);
  std::string prefix = path_start == std::string::npos ? "" : base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (origin.size() <= scheme_end + 3)
    return Status::InvalidArgument("URL has no host: " + base_url);
  auto impl = std::make_unique<Impl>(origin, prefix, api_key);
  if (!impl->client.is_valid()) return Status::InvalidArgument("cannot use URL: " + base_url);
  impl->client.set_keep_alive(true);
  impl->client.set_tcp_nodelay(true);
  impl->client.set_connection_timeout(10, 0);
  impl->client.set_read_timeout(120, 0);
  impl->client.set_write_timeout(120, 0);
  return std::unique_ptr<IngestClient>(new IngestClient(std::move(impl)));
}

Result<HttpReply> IngestClient::PostEvents(const std::string& body,
                                           const std::string& content_type) {
  httplib::Headers headers = {{"Authorization", "Bearer " + impl_->api_key}};
  auto res = impl_->client.Post(impl_->prefix + "/v1/events", headers, body, content_type);
  if (!res) return Status::IOError("no reply: " + httplib::to_string(res.error()));
  HttpReply reply;
  reply.status = res->status;
  reply.retry_after = res->get_header_value("Retry-After");
  reply.body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

}  // namespace herald
