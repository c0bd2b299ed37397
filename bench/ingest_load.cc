// Load generator for POST /v1/events: T client threads, each with one keep-alive
// connection, posting NDJSON batches of realistic events (~300 bytes, unique ids) for a
// fixed time. Prints events/s and request latency percentiles.
// Usage: ingest_load --url URL --key KEY [--threads T] [--batch B] [--seconds S] [--run ID]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/api/ingest_client.h"

namespace {

std::string MakeEvent(const std::string& run, int thread, uint64_t n) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      R"({"id":"%s-%d-%llu","case_id":"case-%d-%llu","type":"case.status_changed",)"
      R"("occurred_at":"2026-03-02T15:04:00Z","data":{"status":"documents_requested",)"
      R"("documents":["proof_of_income","proof_of_address"],"due_date":"2026-03-16"},)"
      R"("recipient":{"email":"person%llu@example.org","locale":"es-MX","timezone":"America/Chicago","channels":["email"]}})",
      run.c_str(), thread, static_cast<unsigned long long>(n), thread,
      static_cast<unsigned long long>(n % 5000), static_cast<unsigned long long>(n % 5000));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, key, run = std::to_string(std::time(nullptr));
  int threads = 4, seconds = 10;
  size_t batch = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string v = argv[i + 1];
    if (flag == "--url")
      url = v;
    else if (flag == "--key")
      key = v;
    else if (flag == "--threads")
      threads = std::atoi(v.c_str());
    else if (flag == "--batch")
      batch = std::strtoul(v.c_str(), nullptr, 10);
    else if (flag == "--seconds")
      seconds = std::atoi(v.c_str());
    else if (flag == "--run")
      run = v;
  }
  if (url.empty() || key.empty() || threads < 1 || batch < 1) {
    std::fprintf(
        stderr, "usage: ingest_load --url URL --key KEY [--threads T] [--batch B] [--seconds S]\n");
    return 2;
  }
  const std::string content_type = batch == 1 ? "application/json" : "application/x-ndjson";
  std::atomic<uint64_t> events{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto client = herald::IngestClient::Create(url, key);
      if (!client.ok()) {
        errors++;
        return;
      }
      std::vector<double> local;
      uint64_t n = 0;
      std::string body;
      while (std::chrono::steady_clock::now() < deadline) {
        body.clear();
        for (size_t i = 0; i < batch; ++i) {
          body += MakeEvent(run, t, n++);
          body += '\n';
        }
        const auto t0 = std::chrono::steady_clock::now();
        auto reply = (*client)->PostEvents(body, content_type);
        local.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        if (reply.ok() && reply->status == 202) {
          events += batch;
        } else {
          errors++;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), local.begin(), local.end());
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf(
      "ingest_load threads=%d batch=%zu seconds=%.1f events=%llu errors=%llu "
      "events_per_s=%.0f requests_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      threads, batch, elapsed, static_cast<unsigned long long>(events.load()),
      static_cast<unsigned long long>(errors.load()), static_cast<double>(events) / elapsed,
      static_cast<double>(latencies_ms.size()) / elapsed, pct(0.50), pct(0.99));
  return errors > 0 ? 1 : 0;
}
