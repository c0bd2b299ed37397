// Frequency caps: at most `max` sends to a recipient (per campaign) in any window of
// length `per`. A send that would break the cap is deferred to the earliest instant that
// keeps it, never dropped.
//
// Pure functions of their arguments; thread-safe; no time zones involved (a cap is a
// sliding window of elapsed time, so "24h" is 24 real hours even across a DST change).
#pragma once

#include <span>

#include "engine/core/clock.h"
#include "engine/core/status.h"

namespace herald {

struct FrequencyCap {
  int max = 0;     // sends allowed per window; >= 1
  Micros per = 0;  // window length; > 0
};

// OK when max >= 1 and per > 0; InvalidArgument naming the field otherwise.
Status ValidateFrequencyCap(const FrequencyCap& cap);

// The earliest instant t >= due at which one more send keeps the cap, given the sends
// already made or planned (`previous_sends`).
//
// Definition. A window is a half-open interval (w - per, w]; the sends in it are those s
// with w - per < s <= w. A send at t keeps the cap when every window that contains t
// holds fewer than `max` of `previous_sends` (so, counting the new send, at most `max`).
// When no previous send is later than t, that is exactly: fewer than `max` sends s with
// t - per < s <= t. Later sends (already planned ones) are honoured too: t is refused if
// the new send would crowd a window ahead of it. Equivalently t is refused iff some `max`
// consecutive previous sends s_i <= ... <= s_j together with t span less than `per`,
// i.e. t lies in the open interval (s_j - per, s_i + per) while s_j - s_i < per. The
// answer is therefore `due` itself or the right end s_i + per of such an interval: with
// max 3 per 24h and sends at 09:00, 10:00 and 11:00, a send due at 12:00 goes at exactly
// 09:00 the next day, when the 09:00 send leaves the window.
//
// `previous_sends` should be sorted ascending (unsorted input is sorted into a copy
// first); duplicates count separately; sends earlier than due - per cannot matter and are
// skipped by binary search, so passing a long history is cheap. Linear in the sends
// after due - per. An invalid cap (see ValidateFrequencyCap) limits nothing: returns due.
// Never overflows: an answer beyond the int64 range saturates to its maximum.
Micros NextSlotUnderCap(Micros due, std::span<const Micros> previous_sends,
                        const FrequencyCap& cap);

}  // namespace herald
