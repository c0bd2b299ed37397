// Runs tests/connectors/smtp/smtp_test_server.py (aiosmtpd) as a child process on a free
// loopback port, and reads what it stored.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/subprocess.h"
#include "tests/test_util.h"

namespace herald::testing {

struct ReceivedMessage {
  std::string data;     // as the server stored it: SMTP transparency undone
  nlohmann::json info;  // mail_from, rcpt_tos, connection, auth_user, defects, subject
};

class SmtpTestServer {
 public:
  // Starts the server and waits for the line with its port (no sleeping: the read
  // blocks until the child prints it). `auth` is "user:password" or empty.
  explicit SmtpTestServer(const std::string& auth = "") {
    std::vector<std::string> args = {
        "/usr/bin/python3",
        std::string(HERALD_SOURCE_DIR) + "/tests/connectors/smtp/smtp_test_server.py",
        store_.str()};
    if (!auth.empty()) {
      args.push_back("--auth");
      args.push_back(auth);
    }
    child_ = std::make_unique<Child>(args, "", scratch_.Sub("server.err"));
    const std::string out = child_->ReadStdoutUntil(
        [](const std::string& s) { return s.find('\n') != std::string::npos; });
    if (out.rfind("PORT ", 0) == 0) port_ = std::stoi(out.substr(5));
  }

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The server's stderr so far, for failure messages.
  std::string errors() const { return ReadFile(scratch_.Sub("server.err")); }
  void Kill() { child_.reset(); }

  // {"connections", "auth_ok", "auth_failed"}.
  nlohmann::json Stats() const {
    return nlohmann::json::parse(ReadFile(store_.Sub("stats.json")), nullptr, false);
  }

  // Every accepted message, in the order the server took them.
  std::vector<ReceivedMessage> Messages() const {
    std::vector<ReceivedMessage> out;
    for (int n = 1;; ++n) {
      const std::string base = store_.Sub(std::to_string(n));
      if (!std::filesystem::exists(base + ".json")) break;
      out.push_back({ReadFile(base + ".eml"),
                     nlohmann::json::parse(ReadFile(base + ".json"), nullptr, false)});
    }
    return out;
  }

 private:
  TempDir store_;
  TempDir scratch_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

}  // namespace herald::testing
