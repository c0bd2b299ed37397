// A scripted webhook receiver on loopback for the webhook connector tests: records every
// POST and answers with the replies queued by the test (200 {} when none are queued).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace herald::testing {

class WebhookReceiver {
 public:
  struct Received {
    std::string target;
    std::string body;
    httplib::Headers headers;
    std::string Header(const std::string& name) const {
      auto it = headers.find(name);  // httplib's Headers compare names case-insensitively
      return it == headers.end() ? std::string("<absent>") : it->second;
    }
    size_t HeaderCount(const std::string& name) const { return headers.count(name); }
  };
  struct Reply {
    int status = 200;
    std::string body = "{}";
    std::string retry_after;
    std::chrono::milliseconds delay{0};  // cut short when the receiver stops
  };

  WebhookReceiver() {
    server_.set_keep_alive_max_count(100000);
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Reply reply;
      {
        std::lock_guard lock(mu_);
        received_.push_back({req.target, req.body, req.headers});
        ports_.insert(req.remote_port);
        if (!replies_.empty()) {
          reply = replies_.front();
          replies_.pop_front();
        }
      }
      if (reply.delay.count() > 0) {
        std::unique_lock lock(mu_);
        stop_cv_.wait_for(lock, reply.delay, [&] { return stopping_; });
      }
      res.status = reply.status;
      if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
      if (!reply.body.empty()) res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();  // stop() needs a running server
  }
  ~WebhookReceiver() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path = "/hooks/herald") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  void Next(Reply reply) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(reply));
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t connections() {
    std::lock_guard lock(mu_);
    return ports_.size();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::deque<Reply> replies_;
  std::vector<Received> received_;
  std::set<int> ports_;
};

}  // namespace herald::testing
