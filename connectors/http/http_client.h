// HttpClient: HTTP POSTs over a pool of libcurl easy handles, for the HTTP connectors.
//
// Each Post checks one easy handle out of the pool and returns it afterwards; a handle
// keeps its connection open (HTTP keep-alive), so a connector with concurrency N holds at
// most N connections to its gateway and reuses them across messages. When all N handles
// are out, Post waits for one to come back (dispatch calls at most max_concurrency()
// Sends at once, so in practice it does not wait).
//
// Thread-safe: Post may be called from any number of threads. Never throws, never
// retries (not even libcurl's own resend after a reused connection died: http_client.cc,
// Upload), never follows redirects, never logs. Only http and https are allowed.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace herald::http {

struct HttpClientOptions {
  double timeout_seconds = 10;  // the whole exchange: connect, send, reply
  int concurrency = 4;          // pool size: Posts at once, and connections kept
  bool tls_verify = true;       // verify the server's certificate and host name
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value", checked by the caller (no CR/LF)
  std::string_view body;             // must outlive the Post call
  std::string content_type;          // e.g. "application/json"
  // HTTP Basic credentials, sent when basic_user is non-empty.
  std::string basic_user;
  std::string basic_password;
};

struct HttpResponse {
  enum class Transport {
    kOk,       // an HTTP reply arrived (any status)
    kTimeout,  // no complete reply within timeout_seconds
    kError,    // connection refused/reset, DNS, TLS, reply cut off, ...
  };
  Transport transport = Transport::kError;
  int curl_code = 0;
  std::string error;  // for kTimeout/kError: "curl 7: Couldn't connect to server (...)"

  long status = 0;          // HTTP status, when transport is kOk
  std::string body;         // the reply body, at most kMaxBody bytes (the rest is dropped)
  std::string retry_after;  // the Retry-After header, or empty
  std::string content_type;

  static constexpr size_t kMaxBody = 64 * 1024;
  bool ok() const { return transport == Transport::kOk; }
};

// Options for HttpClientOptions that every HTTP connector shares, read from a connector's
// options with field-named errors (timeout_seconds: 0.001-600, default 10; concurrency:
// 1-1024, default 4; tls_verify: bool, default true).
class OptionReader;
HttpClientOptions ReadHttpClientOptions(OptionReader& reader);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs the request and waits for the reply or the timeout.
  HttpResponse Post(const HttpRequest& request);

  const HttpClientOptions& options() const { return options_; }

 private:
  void* Acquire();  // a CURL*; waits while all are checked out
  void Release(void* handle);

  HttpClientOptions options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<void*> idle_;  // CURL* handles not checked out (newest last)
  int created_ = 0;
};

}  // namespace herald::http
