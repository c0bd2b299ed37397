// SmsTestServer: a Twilio-compatible SMS gateway on loopback, for tests, benchmarks and
// crash tests. Not for production: it keeps what it receives in memory.
//
// It serves Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json` (HTTP Basic
// account_sid:auth_token, form fields To, From or MessagingServiceSid, Body,
// StatusCallback) and answers like Twilio: 201 with a JSON message resource whose `sid` is
// "SM" + 32 hex digits and `status` "queued", or an error JSON
// {"code": 21211, "message": "...", "more_info": "...", "status": 400}.
//
// Every accepted message is recorded in memory (unless keep_messages is off) and, when
// record_path is set, appended to that file as one NDJSON line, written with one write(2)
// per message so other processes can read it while the server runs.
//
// It misbehaves on request, through the methods below or the control API (README.md):
// fail the next N requests with a status, Twilio code and Retry-After; accept a message and
// then close the connection without replying ("accepted, reply lost"); delay every reply;
// always fail a given To number. It also sends Twilio-style StatusCallback POSTs
// (delivered, undelivered, ...), signed with X-Twilio-Signature, when asked.
//
// Thread-safe: every method may be called from any thread while the server runs. The
// server listens on 127.0.0.1, on a free port unless one is given. Start() ignores SIGPIPE
// for the whole process (a dropped connection must not kill the test).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace herald::testing {

inline constexpr const char* kSmsTestAccountSid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* kSmsTestAuthToken = "sms-test-auth-token";

struct SmsServerOptions {
  std::string account_sid = kSmsTestAccountSid;
  std::string auth_token = kSmsTestAuthToken;
  std::string host = "127.0.0.1";
  int port = 0;               // 0: a free port (read it with port())
  int threads = 64;           // worker threads; each open keep-alive connection holds one
  bool keep_messages = true;  // keep accepted messages in memory (Messages())
  std::string record_path;    // append accepted messages as NDJSON here; empty: don't
};

// A scripted error reply.
struct SmsFailure {
  int http_status = 500;
  int code = 20500;         // Twilio error code in the JSON body; 0: a body without a code
  std::string message;      // empty: Twilio's text for the code
  std::string retry_after;  // Retry-After header value ("2", an HTTP-date), or empty

  nlohmann::json ToJson() const;
  static std::optional<SmsFailure> FromJson(const nlohmann::json& j);  // nullopt: malformed
};

// One accepted message.
struct SmsRecord {
  std::string sid;
  std::string account_sid;
  std::string to;
  std::string from;
  std::string messaging_service_sid;
  std::string body;
  std::string status_callback;
  int64_t received_at_ms = 0;  // wall clock
  int remote_port = 0;         // the client's port: which connection carried it

  nlohmann::json ToJson() const;
};

struct SmsStats {
  uint64_t requests = 0;     // requests to the Messages endpoint, answered or not
  uint64_t accepted = 0;     // messages recorded (including those whose reply was dropped)
  uint64_t failed = 0;       // error replies (scripted, rules, auth, validation)
  uint64_t dropped = 0;      // connections closed instead of replying
  uint64_t connections = 0;  // distinct client (address, port) pairs seen: TCP connections
  uint64_t callbacks = 0;    // StatusCallback POSTs sent

  nlohmann::json ToJson() const;
};

class SmsTestServer {
 public:
  explicit SmsTestServer(SmsServerOptions options = {});
  ~SmsTestServer();  // Stop()
  SmsTestServer(const SmsTestServer&) = delete;
  SmsTestServer& operator=(const SmsTestServer&) = delete;

  // Binds and starts serving on a background thread. IOError when it cannot bind or open
  // record_path.
  Status Start();
  // Stops serving, wakes delayed replies, joins the thread. Idempotent.
  void Stop();

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:<port>": the connector's base_url
  const SmsServerOptions& options() const { return options_; }

  // What arrived.
  std::vector<SmsRecord> Messages() const;
  std::optional<SmsRecord> FindMessage(const std::string& sid) const;
  SmsStats Stats() const;

  // Misbehaviour. Scripted failures queue up: FailNext(1, a); FailNext(2, b) fails one
  // request with a, then two with b. They apply to authenticated requests, before rules.
  void FailNext(int count, SmsFailure failure);
  // Accepts (records) the next `count` messages, then closes their connections without
  // a reply.
  void DropNext(int count);
  // Waits this long before every reply of the Messages endpoint (0: none).
  void SetDelay(std::chrono::milliseconds delay);
  // Every message to `to` gets this error (e.g. 400/21211, 400/21610).
  void SetNumberRule(const std::string& to, SmsFailure failure);
  // Clears scripted failures, drops, the delay and number rules.
  void ClearMisbehaviour();
  // Forgets recorded messages and zeroes the counters.
  void ClearMessages();

  // POSTs a Twilio status callback (form: AccountSid, ApiVersion, From, MessageSid,
  // MessageStatus, SmsSid, SmsStatus, To, ErrorCode when non-zero), signed with
  // X-Twilio-Signature, to the StatusCallback URL the message `sid` was sent with, or to
  // `url` when given. Returns the receiver's HTTP status. NotFound when the sid is unknown
  // (and no url given), IOError when the receiver could not be reached.
  Result<int> SendStatusCallback(const std::string& sid, const std::string& status,
                                 int error_code = 0, const std::string& url = "");

 private:
  struct CallbackTarget {
    std::string to, from, messaging_service_sid, url;
  };

  void HandleMessage(const httplib::Request& req, httplib::Response& res);
  void HandleControl(const httplib::Request& req, httplib::Response& res);
  void Reply(httplib::Response& res, const SmsFailure& failure, const std::string& to);
  void WaitDelay();
  std::string NewSid();

  SmsServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
  int record_fd_ = -1;
  std::string expected_authorization_;  // "Basic base64(sid:token)"

  mutable std::mutex mu_;
  std::vector<SmsRecord> messages_;
  std::map<std::string, CallbackTarget> callback_targets_;  // sid -> where receipts go
  std::deque<std::pair<int, SmsFailure>> fail_queue_;
  std::map<std::string, SmsFailure> number_rules_;
  int drop_next_ = 0;
  std::set<std::pair<std::string, int>> peers_;
  SmsStats stats_;

  std::atomic<int64_t> delay_ms_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  uint64_t sid_salt_ = 0;
  std::atomic<uint64_t> sid_counter_{0};
};

// Twilio's signature (HMAC-SHA1 of url + sorted name/value pairs, base64), computed here
// independently of connectors/twilio so each checks the other.
std::string SmsServerTwilioSignature(const std::string& auth_token, const std::string& url,
                                     std::vector<std::pair<std::string, std::string>> params);

}  // namespace herald::testing
