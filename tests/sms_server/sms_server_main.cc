// sms_test_server: the SmsTestServer as a process, for benchmarks and crash tests.
//
//   sms_test_server [--port P] [--account-sid AC...] [--auth-token T] [--record FILE]
//                   [--no-memory] [--threads N] [--delay-ms D] [--drop N]
//                   [--fail COUNT:STATUS[:CODE[:RETRY_AFTER]]]... [--rule TO:STATUS:CODE]...
//
// Prints "listening <port>" as its first line on stdout, then serves until SIGINT or
// SIGTERM, and prints its final counters as JSON on stderr. The control API (README.md)
// changes its behaviour while it runs.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sms_server/sms_server.h"

namespace {

using herald::testing::SmsFailure;

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "sms_test_server: " << problem << "\n"
            << "usage: sms_test_server [--port P] [--account-sid AC...] [--auth-token T]\n"
               "       [--record FILE] [--no-memory] [--threads N] [--delay-ms D] [--drop N]\n"
               "       [--fail COUNT:STATUS[:CODE[:RETRY_AFTER]]]... [--rule TO:STATUS:CODE]...\n";
  std::exit(2);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

int Int(const std::string& s, const std::string& flag) {
  try {
    size_t used = 0;
    int v = std::stoi(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    Usage(flag + ": not a number: " + s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  herald::testing::SmsServerOptions options;
  int delay_ms = 0;
  int drop = 0;
  std::vector<std::pair<int, SmsFailure>> fails;
  std::vector<std::pair<std::string, SmsFailure>> rules;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--port") {
      options.port = Int(next(), flag);
    } else if (flag == "--account-sid") {
      options.account_sid = next();
    } else if (flag == "--auth-token") {
      options.auth_token = next();
    } else if (flag == "--record") {
      options.record_path = next();
    } else if (flag == "--no-memory") {
      options.keep_messages = false;
    } else if (flag == "--threads") {
      options.threads = Int(next(), flag);
    } else if (flag == "--delay-ms") {
      delay_ms = Int(next(), flag);
    } else if (flag == "--drop") {
      drop = Int(next(), flag);
    } else if (flag == "--fail") {
      auto p = Split(next(), ':');
      if (p.size() < 2 || p.size() > 4) Usage("--fail COUNT:STATUS[:CODE[:RETRY_AFTER]]");
      SmsFailure f;
      f.http_status = Int(p[1], flag);
      f.code = p.size() > 2 ? Int(p[2], flag) : 0;
      if (p.size() > 3) f.retry_after = p[3];
      fails.emplace_back(Int(p[0], flag), f);
    } else if (flag == "--rule") {
      auto p = Split(next(), ':');
      if (p.size() != 3) Usage("--rule TO:STATUS:CODE");
      SmsFailure f;
      f.http_status = Int(p[1], flag);
      f.code = Int(p[2], flag);
      rules.emplace_back(p[0], f);
    } else if (flag == "--help" || flag == "-h") {
      Usage("help");
    } else {
      Usage("unknown flag " + flag);
    }
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask
  // and sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  herald::testing::SmsTestServer server(options);
  for (auto& [count, f] : fails) server.FailNext(count, f);
  for (auto& [to, f] : rules) server.SetNumberRule(to, f);
  if (drop > 0) server.DropNext(drop);
  if (delay_ms > 0) server.SetDelay(std::chrono::milliseconds(delay_ms));
  herald::Status s = server.Start();
  if (!s.ok()) {
    std::cerr << "sms_test_server: " << s.ToString() << "\n";
    return 1;
  }
  std::printf("listening %d\n", server.port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.Stop();
  std::cerr << server.Stats().ToJson().dump() << "\n";
  return 0;
}
