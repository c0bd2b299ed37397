// Quiet hours, and the one function that plans a send under all of a campaign's
// send-time policies (PlanSendTime).
//
// Quiet hours are read on the recipient's wall clock: an instant is quiet when the local
// time of day it shows lies in [start, end). Nothing else matters: not the date, not how
// long the night is. So on a fall-back night an hour repeated inside quiet hours is quiet
// both times, a quiet end skipped by a spring-forward gap is simply passed (the first
// instant after the gap already shows a later time), and a window lying wholly inside a gap
// never happens that night.
//
// Pure functions of their arguments; thread-safe (Zone is).
#pragma once

#include <span>
#include <string_view>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/schedule/frequency_cap.h"
#include "engine/schedule/local_time.h"

namespace herald {

// Minutes after local midnight, each in [0, 1440). start > end spans midnight (21:00 to
// 08:00 is start 1260, end 480); start == end means no quiet hours. Start inclusive, end
// exclusive: with 21:00-08:00, 21:00:00 is quiet and 08:00:00 is not.
struct QuietHours {
  int start_minute = 0;
  int end_minute = 0;
};

// Parses "HH:MM" (exactly two digits each, 00:00..23:59; "24:00" is also accepted as
// `end`, meaning midnight). InvalidArgument naming the bad field otherwise.
Result<QuietHours> ParseQuietHours(std::string_view start, std::string_view end);

// True when `instant`, read on `zone`'s wall clock, falls in `quiet`. False for
// start == end, and for fields outside [0, 1440) (treated as no quiet hours).
bool IsQuiet(Micros instant, const QuietHours& quiet, const Zone& zone);

// The earliest instant t >= due that is not quiet: `due` itself when it is not quiet,
// otherwise the end of the quiet period containing it, i.e. the first instant whose local
// time is `end` (or later, when DST skips `end`). Examples with 21:00-08:00 in
// America/New_York: due 2026-03-07 23:30 EST -> 2026-03-08 08:00 EDT (12:00Z), though
// that night is 23 hours long; due 02:30 EST on 2026-11-01 -> 08:00 EST (13:00Z). With an
// end of 02:30 on 2026-03-08 the answer is 03:00 EDT, the transition instant: the local
// time is already past 02:30 there (so this is GapPolicy::kTransition, not kShiftForward,
// which would hold the send half an hour longer than the policy asks).
// Idempotent and monotone (a later due never gets an earlier answer). Arguments outside
// the supported range (local_time.h) are returned unchanged.
Micros NextAllowedSend(Micros due, const QuietHours& quiet, const Zone& zone);

// The earliest instant t >= due that is outside quiet hours (when `quiet` is given) and
// keeps the frequency cap (when `cap` is given) against `previous_sends` (see
// NextSlotUnderCap; `zone` reads quiet hours). Either policy may be null.
//
// It alternates NextSlotUnderCap and NextAllowedSend until neither moves the time. Both
// are extensive (never move backwards), idempotent and monotone, so the fixed point
// reached is the earliest instant >= due allowed by both, and the loop terminates: after
// the first round, a round that does not stop must move t to the right end s + per of a
// forbidden cap interval beyond the current t, and there are at most
// previous_sends.size() of those, so it stops within previous_sends.size() + 2 rounds
// (the loop is bounded by that).
Micros PlanSendTime(Micros due, const QuietHours* quiet, const FrequencyCap* cap,
                    std::span<const Micros> previous_sends, const Zone& zone);

}  // namespace herald
