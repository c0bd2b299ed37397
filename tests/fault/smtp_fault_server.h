// A small SMTP server on a loopback port that misbehaves on request, for fault tests: it
// can hold its greeting or its reply to the end of the data (the message is then already
// in its hands) until the test releases it, which is a slow server as far as the client
// can tell, or one that never answers when the test does not release it before the
// client's timeout. No sleeps: holding is a wait on a condition variable.
//
// Speaks just what libcurl's SMTP client needs: EHLO/HELO, MAIL, RCPT, DATA (until the
// "." line), RSET, NOOP, QUIT. Thread-safe; one thread per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace herald::testing {

class SmtpFaultServer {
 public:
  enum class Hold {
    kNone,      // answer at once
    kGreeting,  // accept the connection, hold the 220 greeting
    kDataEnd,   // take the whole message, hold the final 250 ("accepted, reply late/lost")
  };

  SmtpFaultServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("smtp fault server: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~SmtpFaultServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : conns_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    for (std::thread& t : workers_) t.join();
    for (int fd : conns_) ::close(fd);
  }

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // What to hold from now on (kNone releases everything held).
  void SetHold(Hold hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
    cv_.notify_all();
  }
  // Releases what is held now (the hold stays for later exchanges).
  void ReleaseHeld() {
    std::lock_guard<std::mutex> lock(mu_);
    ++releases_;
    cv_.notify_all();
  }
  // Blocks until `n` exchanges are being held (the client is waiting for the reply).
  void WaitHeld(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return held_total_ >= n || stopping_; });
  }

  int connections() const { return connections_.load(); }
  // Messages whose data arrived in full (whether or not the final reply was sent).
  std::vector<std::string> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  void Accept() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++connections_;
      conns_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Waits while `stage` is held; false when the server stops.
  bool MaybeHold(Hold stage) {
    std::unique_lock<std::mutex> lock(mu_);
    if (hold_ != stage) return !stopping_;
    const int release_at = releases_ + 1;
    ++held_total_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return stopping_ || hold_ != stage || releases_ >= release_at; });
    return !stopping_;
  }

  static bool Send(int fd, const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

  void Serve(int fd) {
    if (!MaybeHold(Hold::kGreeting) || !Send(fd, "220 herald-fault ESMTP\r\n")) return;
    std::string buffer, data;
    bool in_data = false;
    char chunk[4096];
    for (;;) {
      size_t eol;
      while ((eol = buffer.find("\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      const std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      if (in_data) {
        if (line != ".") {
          data += line + "\r\n";
          continue;
        }
        in_data = false;
        size_t n;
        {
          std::lock_guard<std::mutex> lock(mu_);
          messages_.push_back(data);
          n = messages_.size();
        }
        data.clear();
        if (!MaybeHold(Hold::kDataEnd)) return;
        if (!Send(fd, "250 2.0.0 Ok: queued as F" + std::to_string(n) + "\r\n")) return;
        continue;
      }
      const std::string verb = line.substr(0, 4);
      std::string reply = "250 OK\r\n";
      if (verb == "EHLO" || verb == "ehlo") {
        reply = "250-herald-fault\r\n250 8BITMIME\r\n";
      } else if (verb == "DATA" || verb == "data") {
        in_data = true;
        reply = "354 End data with <CR><LF>.<CR><LF>\r\n";
      } else if (verb == "QUIT" || verb == "quit") {
        Send(fd, "221 Bye\r\n");
        return;
      }
      if (!Send(fd, reply)) return;
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;  // guarded by mu_ until the acceptor stops
  std::vector<int> conns_;            // guarded by mu_
  std::vector<std::string> messages_;
  Hold hold_ = Hold::kNone;
  int releases_ = 0;
  int held_total_ = 0;
  bool stopping_ = false;
  std::atomic<int> connections_{0};
};

}  // namespace herald::testing
