#include "connectors/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "connectors/http/option_reader.h"

namespace herald::http {

HttpClientOptions ReadHttpClientOptions(OptionReader& reader) {
  HttpClientOptions o;
  if (auto t = reader.Number("timeout_seconds", 0.001, 600)) o.timeout_seconds = *t;
  if (auto c = reader.Integer("concurrency", 1, 1024)) o.concurrency = static_cast<int>(*c);
  if (auto v = reader.Bool("tls_verify")) o.tls_verify = *v;
  return o;
}

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  size_t len = size * n;
  size_t room = HttpResponse::kMaxBody - std::min(HttpResponse::kMaxBody, r->body.size());
  r->body.append(data, std::min(len, room));
  return len;  // keep reading the rest so the connection stays usable
}

bool HeaderIs(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string HeaderValue(std::string_view line, size_t name_len) {
  std::string_view v = line.substr(name_len + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() &&
         (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return std::string(v.substr(0, 256));
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after "100 Continue" or a redirect): forget earlier headers.
    r->retry_after.clear();
    r->content_type.clear();
  } else if (HeaderIs(line, "retry-after")) {
    r->retry_after = HeaderValue(line, 11);
  } else if (HeaderIs(line, "content-type")) {
    r->content_type = HeaderValue(line, 12);
  }
  return size * n;
}

// The request body, handed to libcurl through a read callback rather than
// CURLOPT_POSTFIELDS, so that libcurl can never send it twice. When a reused keep-alive
// connection dies after the request went out and before any reply, libcurl sends the
// request again on a fresh connection by itself ("Connection died, retrying a fresh
// connect"); with POSTFIELDS it always can, and a gateway that took the first copy (its
// reply was lost) takes a second one that herald never hears of: a text sent twice with
// one attempt on record. To resend the body it must first rewind it, which OnSeek refuses
// once any of it was read: the Post then fails (curl 65, a transport error: temporary),
// and dispatch retries it as a new, recorded attempt. A connection found dead before the
// body was read is still retried by libcurl (nothing can have been taken).
struct Upload {
  std::string_view body;
  size_t pos = 0;
};

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t len = std::min(size * n, u->body.size() - u->pos);
  if (len > 0) std::memcpy(buffer, u->body.data() + u->pos, len);
  u->pos += len;
  return len;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  const auto* u = static_cast<const Upload*>(user);
  return origin == SEEK_SET && offset == 0 && u->pos == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(options) {
  options_.concurrency = std::max(1, options_.concurrency);
  GlobalInit();
}

HttpClient::~HttpClient() {
  // Every Post has returned by now (the owner outlives its callers).
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [&] { return !idle_.empty() || created_ < options_.concurrency; });
  if (!idle_.empty()) {
    void* h = idle_.back();
    idle_.pop_back();
    return h;
  }
  ++created_;
  lock.unlock();
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    std::lock_guard relock(mu_);
    --created_;
    returned_.notify_one();
  }
  return h;
}

void HttpClient::Release(void* handle) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(handle);
  }
  returned_.notify_one();
}

HttpResponse HttpClient::Post(const HttpRequest& request) {
  HttpResponse r;
  CURL* h = static_cast<CURL*>(Acquire());
  if (h == nullptr) {
    r.transport = HttpResponse::Transport::kError;
    r.error = "curl_easy_init failed";
    return r;
  }
  // Reset drops the previous call's options but keeps the open connection.
  curl_easy_reset(h);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const std::string& line : request.headers)
    headers = curl_slist_append(headers, line.c_str());
  if (!request.content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  long timeout_ms = std::max(1L, std::lround(options_.timeout_seconds * 1000));
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "herald/0.1");
  Upload upload{request.body};
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
  curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  if (!request.basic_user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, request.basic_password.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  r.curl_code = static_cast<int>(rc);
  if (rc == CURLE_OK) {
    r.transport = HttpResponse::Transport::kOk;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.transport = rc == CURLE_OPERATION_TIMEDOUT ? HttpResponse::Transport::kTimeout
                                                 : HttpResponse::Transport::kError;
    r.error = "curl " + std::to_string(static_cast<int>(rc)) + ": " + curl_easy_strerror(rc);
    if (errbuf[0] != '\0') r.error += std::string(" (") + errbuf + ")";
    r.status = 0;
    r.body.clear();
    r.retry_after.clear();
  }
  // The handle must not keep pointers into this call's data.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_READDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_SEEKDATA, nullptr);
  curl_slist_free_all(headers);
  Release(h);
  return r;
}

}  // namespace herald::http
