#include "engine/schedule/frequency_cap.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace herald {

namespace {

// Window ends s - per and s + per can leave the int64 range; compute them exactly in 128
// bits and saturate only the answer.
using Wide = __int128;

// See the header: the forbidden intervals (s[j] - per, s[i] + per) for j = i + max - 1 have
// non-decreasing left and right ends as i grows, so one pass that jumps t to the right end
// of every interval containing it finds the earliest allowed t. Jumping never lands inside
// an interval already passed: their right ends are <= the one just jumped to, and they are
// open there.
Micros Sweep(Micros due, std::span<const Micros> s, const FrequencyCap& cap) {
  const size_t max = static_cast<size_t>(cap.max);
  const Wide per = cap.per;
  // Sends with s + per <= due cannot push t past due (their intervals end by then).
  size_t i = static_cast<size_t>(
      std::partition_point(s.begin(), s.end(), [&](Micros x) { return x + per <= due; }) -
      s.begin());
  Wide t = due;
  for (; i + max - 1 < s.size(); ++i) {
    const Wide first = s[i];
    const Wide last = s[i + max - 1];
    if (last - first >= per) continue;  // these sends fit no window together
    if (last - per >= t) break;         // this and every later interval starts at or after t
    if (t < first + per) t = first + per;
  }
  return t > std::numeric_limits<Micros>::max() ? std::numeric_limits<Micros>::max()
                                                : static_cast<Micros>(t);
}

}  // namespace

Status ValidateFrequencyCap(const FrequencyCap& cap) {
  if (cap.max < 1) {
    return Status::InvalidArgument("frequency_cap.max must be at least 1, got " +
                                   std::to_string(cap.max));
  }
  if (cap.per <= 0) return Status::InvalidArgument("frequency_cap.per must be positive");
  return Status::Ok();
}

Micros NextSlotUnderCap(Micros due, std::span<const Micros> previous_sends,
                        const FrequencyCap& cap) {
  if (!ValidateFrequencyCap(cap).ok()) return due;
  if (std::is_sorted(previous_sends.begin(), previous_sends.end())) {
    return Sweep(due, previous_sends, cap);
  }
  std::vector<Micros> sorted(previous_sends.begin(), previous_sends.end());
  std::sort(sorted.begin(), sorted.end());
  return Sweep(due, sorted, cap);
}

}  // namespace herald
