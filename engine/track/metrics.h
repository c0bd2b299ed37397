// Report counters: the slots a counter row holds, their sparse encoding (the operand and
// value format of the store's merge operator) and the metrics derived from them.
//
// A counter row is a vector of signed 64-bit slots. Rows are written only as deltas
// (merge operands) and summed by the store; a delta may be negative when a click burst is
// reclassified from human to machine, but a row's sum never is once its write is applied.
// Definitions of every metric: docs/reports.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/clock.h"

namespace herald {

// Durations are kept in log-scale histograms: bin 0 holds d < 1 s, bin b >= 1 holds
// 2^((b-1)/8) s <= d < 2^(b/8) s, the last bin everything longer (about 194 days). A
// median read from them is the bin's geometric middle: within 4.5% of the true median.
inline constexpr uint32_t kHistogramBins = 200;

enum Slot : uint32_t {
  kCreated = 0,         // messages registered (composed)
  kSent,                // accepted by a gateway
  kDelivered,           // delivery receipts
  kBounced,             // bounce / undelivered receipts
  kFailed,              // failed (permanent, or technical after retries)
  kSuppressed,          // not sent: opted out or no usable channel
  kCancelled,           // not sent: the case changed
  kOpensHuman,          // open events (pixel fetches) classed human
  kOpensMachine,        // open events classed machine
  kUniqueOpens,         // messages opened by a person (a human click counts as an open)
  kUniqueMachineOpens,  // messages whose pixel a machine fetched
  kClicksHuman,         // click events classed human
  kClicksMachine,       // click events classed machine
  kUniqueClicks,        // messages with a human click
  kUniqueEmailClicks,   // of those, emails (the numerator of click-to-open)
  kUniqueEngaged,       // messages opened (email) or clicked (sms) by a person
  kUnsubscribes,        // messages whose unsubscribe link was used (email)
  kSmsOptOuts,          // STOP and its synonyms, attributed to the last SMS sent to the number
  kSmsOptIns,           // START and its synonyms
  kFixedSlots,
  kSendDelayHist = 32,                               // case event -> sent
  kFirstOpenHist = kSendDelayHist + kHistogramBins,  // sent -> first human open
  kSlotCount = kFirstOpenHist + kHistogramBins,
};

// The bin of duration `d` (negative counts as 0).
uint32_t HistogramBin(Micros d);
// The representative duration of bin `b` (its geometric middle; 0.5 s for bin 0).
Micros HistogramBinValue(uint32_t b);

// A delta or sum: (slot, value) pairs, any order, a slot at most once.
using CounterDelta = std::vector<std::pair<uint32_t, int64_t>>;

// Sparse encoding: version byte 1, then for each nonzero slot varint(slot)
// varint(zigzag(value)). Slots >= kSlotCount are refused at decode.
std::string EncodeCounters(const CounterDelta& delta);

// A dense row, the sum of any number of encoded rows.
struct Counters {
  std::array<int64_t, kSlotCount> v{};
  // Adds an encoded row; false (and nothing added) when it is malformed.
  bool AddEncoded(std::string_view encoded);
  void Add(const Counters& other);
  // The sparse encoding of the nonzero slots, in slot order.
  std::string Encode() const;
  int64_t operator[](uint32_t slot) const { return v[slot]; }
};

// The sum of encoded rows, encoded (the merge operator sums all the operands of a key in one
// call); false when any is malformed.
bool SumEncodedCounters(std::span<const std::string_view> rows, std::string* out);
inline bool MergeEncodedCounters(std::string_view a, std::string_view b, std::string* out) {
  const std::string_view rows[] = {a, b};
  return SumEncodedCounters(rows, out);
}

// Report metrics of one row; rates are nullopt when their denominator is 0.
struct Metrics {
  int64_t created = 0, sent = 0, delivered = 0, bounced = 0, failed = 0, suppressed = 0,
          cancelled = 0;
  int64_t reached = 0;  // sent - bounced: the denominator of every rate
  int64_t human_opens = 0, machine_opens = 0, unique_human_opens = 0, unique_machine_opens = 0;
  int64_t human_clicks = 0, machine_clicks = 0, unique_clicks = 0, unique_email_clicks = 0;
  int64_t unique_engaged = 0, unsubscribes = 0, sms_opt_outs = 0, sms_opt_ins = 0;
  std::optional<double> open_rate, click_rate, click_to_open_rate, engagement_rate;
  std::optional<Micros> median_event_to_send, median_time_to_first_open;
};

Metrics DeriveMetrics(const Counters& c);

// The median of histogram slots [first, first + kHistogramBins) of `c`; nullopt when empty.
std::optional<Micros> HistogramMedian(const Counters& c, uint32_t first);

// A failure or suppression reason as it may appear in a counter key (counters outlive
// retention, so gateway text that could hold an address must never get there): lowercase
// [a-z0-9_.-], at most 40 bytes; anything else becomes "other"; empty becomes "unspecified".
std::string ReasonKey(std::string_view reason);

// A destination as counted per link: scheme, host and path only (query strings and
// fragments often carry per-recipient values), at most 200 bytes.
std::string LinkKey(std::string_view url);

}  // namespace herald
