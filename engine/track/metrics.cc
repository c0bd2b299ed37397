#include "engine/track/metrics.h"

#include <cmath>
#include <iterator>

namespace herald {
namespace {

constexpr uint8_t kCountersVersion = 1;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(char(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  out->push_back(char(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const uint8_t b = uint8_t(in->front());
    in->remove_prefix(1);
    *v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

uint64_t ZigZag(int64_t v) {
  return (uint64_t(v) << 1) ^ uint64_t(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return int64_t(v >> 1) ^ -int64_t(v & 1);
}

// Calls f(slot, value) for each pair; false when malformed.
template <typename F>
bool ForEachPair(std::string_view in, F f) {
  if (in.empty() || uint8_t(in[0]) != kCountersVersion) return false;
  in.remove_prefix(1);
  while (!in.empty()) {
    uint64_t slot = 0, value = 0;
    if (!GetVarint(&in, &slot) || !GetVarint(&in, &value) || slot >= kSlotCount) return false;
    f(uint32_t(slot), UnZigZag(value));
  }
  return true;
}

std::optional<double> Ratio(int64_t num, int64_t den) {
  if (den <= 0) return std::nullopt;
  return double(num) / double(den);
}

}  // namespace

uint32_t HistogramBin(Micros d) {
  if (d < 1'000'000) return 0;
  const double b = 1.0 + std::floor(8.0 * std::log2(double(d) / 1e6));
  return b >= kHistogramBins - 1 ? kHistogramBins - 1 : uint32_t(b);
}

Micros HistogramBinValue(uint32_t b) {
  if (b == 0) return 500'000;
  return Micros(std::llround(1e6 * std::exp2((double(b) - 0.5) / 8.0)));
}

std::string EncodeCounters(const CounterDelta& delta) {
  std::string out(1, char(kCountersVersion));
  for (const auto& [slot, value] : delta) {
    if (value == 0) continue;
    PutVarint(&out, slot);
    PutVarint(&out, ZigZag(value));
  }
  return out;
}

bool Counters::AddEncoded(std::string_view encoded) {
  // One decoding pass into a scratch list (reports add tens of thousands of rows), then the
  // sums, so a malformed row adds nothing.
  std::pair<uint32_t, int64_t> small[64];
  std::vector<std::pair<uint32_t, int64_t>> large;
  size_t n = 0;
  const bool ok = ForEachPair(encoded, [&](uint32_t slot, int64_t value) {
    if (n < std::size(small)) {
      small[n++] = {slot, value};
    } else {
      large.emplace_back(slot, value);
    }
  });
  if (!ok) return false;
  for (size_t i = 0; i < n; ++i) v[small[i].first] += small[i].second;
  for (const auto& [slot, value] : large) v[slot] += value;
  return true;
}

void Counters::Add(const Counters& other) {
  for (uint32_t i = 0; i < kSlotCount; ++i) v[i] += other.v[i];
}

std::string Counters::Encode() const {
  std::string out(1, char(kCountersVersion));
  for (uint32_t slot = 0; slot < kSlotCount; ++slot) {
    if (v[slot] == 0) continue;
    PutVarint(&out, slot);
    PutVarint(&out, ZigZag(v[slot]));
  }
  return out;
}

bool SumEncodedCounters(std::span<const std::string_view> rows, std::string* out) {
  // A dense sum (no map, no allocation per pair): reports read keys with many operands.
  Counters sum;
  for (std::string_view row : rows) {
    if (!sum.AddEncoded(row)) return false;
  }
  *out = sum.Encode();
  return true;
}

std::optional<Micros> HistogramMedian(const Counters& c, uint32_t first) {
  int64_t total = 0;
  for (uint32_t b = 0; b < kHistogramBins; ++b) total += c[first + b];
  if (total <= 0) return std::nullopt;
  // The lower median: the bin holding the ceil(total/2)-th smallest duration.
  const int64_t rank = (total + 1) / 2;
  int64_t seen = 0;
  for (uint32_t b = 0; b < kHistogramBins; ++b) {
    seen += c[first + b];
    if (seen >= rank) return HistogramBinValue(b);
  }
  return std::nullopt;
}

Metrics DeriveMetrics(const Counters& c) {
  Metrics m;
  m.created = c[kCreated];
  m.sent = c[kSent];
  m.delivered = c[kDelivered];
  m.bounced = c[kBounced];
  m.failed = c[kFailed];
  m.suppressed = c[kSuppressed];
  m.cancelled = c[kCancelled];
  m.reached = m.sent - m.bounced;
  m.human_opens = c[kOpensHuman];
  m.machine_opens = c[kOpensMachine];
  m.unique_human_opens = c[kUniqueOpens];
  m.unique_machine_opens = c[kUniqueMachineOpens];
  m.human_clicks = c[kClicksHuman];
  m.machine_clicks = c[kClicksMachine];
  m.unique_clicks = c[kUniqueClicks];
  m.unique_email_clicks = c[kUniqueEmailClicks];
  m.unique_engaged = c[kUniqueEngaged];
  m.unsubscribes = c[kUnsubscribes];
  m.sms_opt_outs = c[kSmsOptOuts];
  m.sms_opt_ins = c[kSmsOptIns];
  m.open_rate = Ratio(m.unique_human_opens, m.reached);
  m.click_rate = Ratio(m.unique_clicks, m.reached);
  m.click_to_open_rate = Ratio(m.unique_email_clicks, m.unique_human_opens);
  m.engagement_rate = Ratio(m.unique_engaged, m.reached);
  m.median_event_to_send = HistogramMedian(c, kSendDelayHist);
  m.median_time_to_first_open = HistogramMedian(c, kFirstOpenHist);
  return m;
}

std::string ReasonKey(std::string_view reason) {
  if (reason.empty()) return "unspecified";
  if (reason.size() > 40) return "other";
  std::string out;
  for (char c : reason) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return "other";
    out.push_back(c);
  }
  return out;
}

std::string LinkKey(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t cut = url.find_first_of("?#", from);
  std::string out(url.substr(0, cut));
  if (out.size() > 200) out.resize(200);
  return out;
}

}  // namespace herald
