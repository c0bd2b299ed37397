#include "engine/api/metrics.h"

#include <cstdio>

namespace herald {
namespace {

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

void LatencyHistogram::Observe(Micros elapsed) {
  if (elapsed < 0) elapsed = 0;
  const double seconds = static_cast<double>(elapsed) / 1e6;
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(elapsed), std::memory_order_relaxed);
}

void LatencyHistogram::Render(std::string_view name, std::string_view labels,
                              std::string& out) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kBounds.size() ? FormatDouble(kBounds[i]) : "+Inf";
    out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out += std::string(name) + "_sum" + braces + " " +
         FormatDouble(static_cast<double>(sum_micros_.load()) / 1e6) + "\n";
  out += std::string(name) + "_count" + braces + " " + std::to_string(count_.load()) + "\n";
}

size_t ApiMetrics::AddRoute(std::string label) {
  auto route = std::make_unique<Route>();
  route->label = std::move(label);
  routes_.push_back(std::move(route));
  return routes_.size() - 1;
}

void ApiMetrics::ObserveRequest(size_t route, int status, Micros elapsed) {
  if (route >= routes_.size()) return;
  Route& r = *routes_[route];
  r.latency.Observe(elapsed);
  const size_t cls = (status >= 100 && status < 600) ? static_cast<size_t>(status / 100) : 5;
  r.by_class[cls].fetch_add(1, std::memory_order_relaxed);
}

void ApiMetrics::CountRejected(std::string_view reason, uint64_t events) {
  std::lock_guard<std::mutex> lock(rejected_mu_);
  auto it = rejected_.find(reason);
  if (it == rejected_.end())
    it = rejected_.emplace(std::string(reason), std::make_pair(0, 0)).first;
  it->second.first += 1;
  it->second.second += events;
}

std::string ApiMetrics::Render(const StoreStats& store) const {
  std::string out;
  out.reserve(8192);
  out += "# HELP herald_events_ingested_total Events accepted into the log.\n";
  out += "# TYPE herald_events_ingested_total counter\n";
  out += "herald_events_ingested_total " + std::to_string(accepted_.load()) + "\n";
  out += "# HELP herald_events_duplicate_total Events re-posted with a known id and content.\n";
  out += "# TYPE herald_events_duplicate_total counter\n";
  out += "herald_events_duplicate_total " + std::to_string(duplicates_.load()) + "\n";
  out += "# HELP herald_requests_rejected_total Requests refused, by reason.\n";
  out += "# TYPE herald_requests_rejected_total counter\n";
  out += "# HELP herald_events_rejected_total Events in refused requests, by reason.\n";
  out += "# TYPE herald_events_rejected_total counter\n";
  {
    std::lock_guard<std::mutex> lock(rejected_mu_);
    for (const auto& [reason, counts] : rejected_) {
      out += "herald_requests_rejected_total{reason=\"" + reason + "\"} " +
             std::to_string(counts.first) + "\n";
      out += "herald_events_rejected_total{reason=\"" + reason + "\"} " +
             std::to_string(counts.second) + "\n";
    }
  }
  out += "# HELP herald_http_requests_total HTTP requests served, by route and status class.\n";
  out += "# TYPE herald_http_requests_total counter\n";
  static constexpr const char* kClasses[] = {"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& r : routes_) {
    for (size_t c = 1; c < r->by_class.size(); ++c) {
      const uint64_t n = r->by_class[c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "herald_http_requests_total{route=\"" + r->label + "\",code=\"" + kClasses[c] +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP herald_http_request_duration_seconds Time spent in the handler, by route.\n";
  out += "# TYPE herald_http_request_duration_seconds histogram\n";
  for (const auto& r : routes_) {
    r->latency.Render("herald_http_request_duration_seconds", "route=\"" + r->label + "\"", out);
  }
  out += "# HELP herald_log_last_sequence Highest sequence number in the event log.\n";
  out += "# TYPE herald_log_last_sequence gauge\n";
  out += "herald_log_last_sequence " + std::to_string(store.last_seq) + "\n";
  out += "# HELP herald_store_size_bytes Estimated size of the database on disk.\n";
  out += "# TYPE herald_store_size_bytes gauge\n";
  out += "herald_store_size_bytes " + std::to_string(store.live_data_bytes) + "\n";
  out += "# HELP herald_store_writable 1 when the store accepts writes.\n";
  out += "# TYPE herald_store_writable gauge\n";
  out += "herald_store_writable " + std::string(store.writable ? "1" : "0") + "\n";
  return out;
}

}  // namespace herald
