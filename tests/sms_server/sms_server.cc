#include "tests/sms_server/sms_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>

#include "tests/sms_server/sms_server_internal.h"

namespace herald::testing {

namespace {

using internal::Base64;
using internal::Form;
using internal::ParseForm;

const std::string* FormValue(const Form& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return &v;
  }
  return nullptr;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Rfc2822Now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string DefaultMessage(int code, const std::string& to) {
  switch (code) {
    case 20003:
      return "Authenticate";
    case 20429:
      return "Too Many Requests";
    case 20500:
      return "Internal Server Error";
    case 21211:
      return "The 'To' number " + to + " is not a valid phone number.";
    case 21408:
      return "Permission to send an SMS has not been enabled for the region indicated by the "
             "'To' number: " +
             to + ".";
    case 21602:
      return "Message body is required.";
    case 21603:
      return "A 'From' phone number is required.";
    case 21604:
      return "A 'To' phone number is required.";
    case 21610:
      return "Attempt to send to unsubscribed recipient";
    case 21617:
      return "The concatenated message body exceeds the 1600 character limit.";
    default:
      return "Error " + std::to_string(code);
  }
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Finds the accepted socket of the connection local_port <- remote_port and shuts it down
// (both directions): the client sees the connection close without a reply. The fd stays
// open; httplib closes it when the handler returns and its write fails.
bool ShutdownConnection(int local_port, int remote_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return false;
  bool done = false;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0) {
      continue;
    }
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    auto port_of = [](const sockaddr_storage& a) -> int {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
      if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
      return -1;
    };
    if (port_of(local) == local_port && port_of(peer) == remote_port) {
      linger l{1, 0};  // reset, don't linger
      setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_LINGER, &l, sizeof l);
      shutdown(static_cast<int>(fd), SHUT_RDWR);
      done = true;
      break;
    }
  }
  closedir(dir);
  return done;
}

nlohmann::json ErrorBody(const SmsFailure& f, const std::string& to) {
  nlohmann::json j = nlohmann::json::object();
  if (f.code != 0) {
    j["code"] = f.code;
    j["more_info"] = "https://www.twilio.com/docs/errors/" + std::to_string(f.code);
  }
  j["message"] = f.message.empty() ? DefaultMessage(f.code, to) : f.message;
  j["status"] = f.http_status;
  return j;
}

SmsFailure Failure(int status, int code) {
  SmsFailure f;
  f.http_status = status;
  f.code = code;
  return f;
}

}  // namespace

SmsTestServer::SmsTestServer(SmsServerOptions options) : options_(std::move(options)) {
  std::string credentials = options_.account_sid + ":" + options_.auth_token;
  expected_authorization_ =
      "Basic " +
      Base64(reinterpret_cast<const unsigned char*>(credentials.data()), credentials.size());
  std::random_device rd;
  sid_salt_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

SmsTestServer::~SmsTestServer() {
  Stop();
  if (record_fd_ >= 0) ::close(record_fd_);
}

std::string SmsTestServer::base_url() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

Status SmsTestServer::Start() {
  if (server_) return Status::Internal("SmsTestServer already started");
  signal(SIGPIPE, SIG_IGN);
  if (!options_.record_path.empty()) {
    record_fd_ =
        ::open(options_.record_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (record_fd_ < 0) return Status::IOError("cannot open " + options_.record_path);
  }
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *server_;
  int threads = std::max(2, options_.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(1'000'000'000);
  s.set_keep_alive_timeout(30);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_payload_max_length(1 << 20);
  s.Post(R"(/2010-04-01/Accounts/([^/]+)/Messages\.json)",
         [this](const httplib::Request& req, httplib::Response& res) { HandleMessage(req, res); });
  s.Post(R"(/control/([a-z_]+))",
         [this](const httplib::Request& req, httplib::Response& res) { HandleControl(req, res); });
  s.Get(R"(/control/([a-z_]+))",
        [this](const httplib::Request& req, httplib::Response& res) { HandleControl(req, res); });
  if (options_.port == 0) {
    port_ = s.bind_to_any_port(options_.host);
    if (port_ <= 0) return Status::IOError("cannot bind " + options_.host);
  } else {
    if (!s.bind_to_port(options_.host, options_.port)) {
      return Status::IOError("cannot bind " + options_.host + ":" + std::to_string(options_.port));
    }
    port_ = options_.port;
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // httplib's stop() is a no-op until listen has started: wait for it, so a Stop() right
  // after Start() cannot miss it and hang the join.
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  return Status::Ok();
}

void SmsTestServer::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<SmsRecord> SmsTestServer::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::optional<SmsRecord> SmsTestServer::FindMessage(const std::string& sid) const {
  std::lock_guard lock(mu_);
  for (const SmsRecord& m : messages_) {
    if (m.sid == sid) return m;
  }
  return std::nullopt;
}

SmsStats SmsTestServer::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void SmsTestServer::FailNext(int count, SmsFailure failure) {
  if (count <= 0) return;
  std::lock_guard lock(mu_);
  fail_queue_.emplace_back(count, std::move(failure));
}

void SmsTestServer::DropNext(int count) {
  std::lock_guard lock(mu_);
  drop_next_ = std::max(0, count);
}

void SmsTestServer::SetDelay(std::chrono::milliseconds delay) {
  delay_ms_.store(std::max<int64_t>(0, delay.count()));
}

void SmsTestServer::SetNumberRule(const std::string& to, SmsFailure failure) {
  std::lock_guard lock(mu_);
  number_rules_[to] = std::move(failure);
}

void SmsTestServer::ClearMisbehaviour() {
  std::lock_guard lock(mu_);
  fail_queue_.clear();
  number_rules_.clear();
  drop_next_ = 0;
  delay_ms_.store(0);
}

void SmsTestServer::ClearMessages() {
  std::lock_guard lock(mu_);
  messages_.clear();
  callback_targets_.clear();
  peers_.clear();
  stats_ = SmsStats();
}

std::string SmsTestServer::NewSid() {
  uint64_t n = sid_counter_.fetch_add(1);
  return "SM" + Hex64(sid_salt_) + Hex64(SplitMix64(n));
}

void SmsTestServer::WaitDelay() {
  int64_t ms = delay_ms_.load();
  if (ms <= 0) return;
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
}

void SmsTestServer::Reply(httplib::Response& res, const SmsFailure& failure,
                          const std::string& to) {
  {
    std::lock_guard lock(mu_);
    ++stats_.failed;
  }
  WaitDelay();
  res.status = failure.http_status;
  if (!failure.retry_after.empty()) res.set_header("Retry-After", failure.retry_after);
  res.set_content(ErrorBody(failure, to).dump(), "application/json");
}

void SmsTestServer::HandleMessage(const httplib::Request& req, httplib::Response& res) {
  std::optional<SmsFailure> scripted;
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
    if (peers_.emplace(req.remote_addr, req.remote_port).second) ++stats_.connections;
  }
  std::string path_sid = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
  if (path_sid != options_.account_sid ||
      req.get_header_value("Authorization") != expected_authorization_) {
    Reply(res, Failure(401, 20003), "");
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!fail_queue_.empty()) {
      scripted = fail_queue_.front().second;
      if (--fail_queue_.front().first <= 0) fail_queue_.pop_front();
    }
  }
  Form form = ParseForm(req.body);
  auto field = [&](std::string_view name) {
    const std::string* v = FormValue(form, name);
    return v == nullptr ? std::string() : *v;
  };
  SmsRecord m;
  m.account_sid = path_sid;
  m.to = field("To");
  m.from = field("From");
  m.messaging_service_sid = field("MessagingServiceSid");
  m.body = field("Body");
  m.status_callback = field("StatusCallback");
  m.remote_port = req.remote_port;
  if (scripted) {
    Reply(res, *scripted, m.to);
    return;
  }
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
    SmsFailure f = Failure(400, 20001);
    f.message = "Content-Type must be application/x-www-form-urlencoded";
    Reply(res, f, m.to);
    return;
  }
  if (m.to.empty()) return Reply(res, Failure(400, 21604), m.to);
  if (m.body.empty()) return Reply(res, Failure(400, 21602), m.to);
  if (m.from.empty() && m.messaging_service_sid.empty()) {
    return Reply(res, Failure(400, 21603), m.to);
  }
  if (CodePoints(m.body) > 1600) return Reply(res, Failure(400, 21617), m.to);
  {
    std::optional<SmsFailure> rule;
    {
      std::lock_guard lock(mu_);
      if (auto it = number_rules_.find(m.to); it != number_rules_.end()) rule = it->second;
    }
    if (rule) return Reply(res, *rule, m.to);
  }

  m.sid = NewSid();
  m.received_at_ms = NowMs();
  bool drop = false;
  {
    std::lock_guard lock(mu_);
    ++stats_.accepted;
    if (options_.keep_messages) messages_.push_back(m);
    if (!m.status_callback.empty()) {
      callback_targets_[m.sid] = {m.to, m.from, m.messaging_service_sid, m.status_callback};
    }
    if (drop_next_ > 0) {
      --drop_next_;
      ++stats_.dropped;
      drop = true;
    }
    if (record_fd_ >= 0) {
      std::string line = m.ToJson().dump() + "\n";
      // One write per line under the lock: lines never interleave.
      const char* p = line.data();
      size_t left = line.size();
      while (left > 0) {
        ssize_t n = ::write(record_fd_, p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<size_t>(n);
      }
    }
  }
  if (drop) {
    ShutdownConnection(req.local_port, req.remote_port);
    res.status = 500;
    res.set_header("Connection", "close");
    return;
  }
  WaitDelay();
  std::string now = Rfc2822Now();
  nlohmann::json j = {
      {"account_sid", m.account_sid},
      {"api_version", "2010-04-01"},
      {"body", m.body},
      {"date_created", now},
      {"date_sent", nullptr},
      {"date_updated", now},
      {"direction", "outbound-api"},
      {"error_code", nullptr},
      {"error_message", nullptr},
      {"from", m.from.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.from)},
      {"messaging_service_sid", m.messaging_service_sid.empty()
                                    ? nlohmann::json(nullptr)
                                    : nlohmann::json(m.messaging_service_sid)},
      {"num_media", "0"},
      {"num_segments", "1"},
      {"price", nullptr},
      {"price_unit", "USD"},
      {"sid", m.sid},
      {"status", "queued"},
      {"to", m.to},
      {"uri", "/2010-04-01/Accounts/" + m.account_sid + "/Messages/" + m.sid + ".json"},
  };
  res.status = 201;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace herald::testing
