// Counters and latency histograms for GET /metrics, in Prometheus text format 0.0.4.
//
// Routes are registered once before serving starts; after that every method is
// thread-safe and lock-free on the request path (atomics), except CountRejected, which
// takes a mutex (rejections are rare and their reasons open-ended).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/store/event_log.h"

namespace herald {

// A fixed-bucket latency histogram (seconds), as Prometheus expects: cumulative buckets.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  void Observe(Micros elapsed);
  // Appends `name_bucket{labels,le=...}` lines, `_sum` and `_count`.
  void Render(std::string_view name, std::string_view labels, std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last is +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

class ApiMetrics {
 public:
  // Registers a route label (e.g. "POST /v1/events"); returns its index for Observe.
  // Call only before serving starts.
  size_t AddRoute(std::string label);

  void ObserveRequest(size_t route, int status, Micros elapsed);
  void CountAccepted(uint64_t n) { accepted_.fetch_add(n, std::memory_order_relaxed); }
  void CountDuplicates(uint64_t n) { duplicates_.fetch_add(n, std::memory_order_relaxed); }
  // A rejected request, by reason code (invalid_json, unauthorized, conflict, ...), and
  // how many events it held (0 when unknown).
  void CountRejected(std::string_view reason, uint64_t events);

  // The whole exposition, with the store's size and health appended.
  std::string Render(const StoreStats& store) const;

 private:
  struct Route {
    std::string label;
    LatencyHistogram latency;
    std::array<std::atomic<uint64_t>, 6> by_class{};  // 1xx..5xx, index = status/100
  };
  std::vector<std::unique_ptr<Route>> routes_;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> duplicates_{0};
  mutable std::mutex rejected_mu_;
  std::map<std::string, std::pair<uint64_t, uint64_t>, std::less<>> rejected_;  // requests, events
};

}  // namespace herald
