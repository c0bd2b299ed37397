// When a send may actually go: a campaign's quiet hours and frequency cap applied to a
// due time, for the rule engine (when it plans) and the timer firer (when it fires).
#pragma once

#include <string>

#include "engine/core/result.h"
#include "engine/rules/campaign.h"
#include "engine/rules/schedule_txn.h"
#include "engine/schedule/local_time.h"

namespace herald {

struct SendSlot {
  Micros fire_at = 0;
  std::string deferred_by;  // "" (not moved), "quiet_hours" or "frequency_cap"
  std::string reason;       // for people when moved: "quiet hours 21:00-08:00 in America/Chicago"
};

// The earliest instant >= `earliest` that the campaign's quiet hours (read in `zone`) and
// frequency cap (against the recipient's sends in the campaign, as `txn` sees them)
// allow; PlanSendTime does the math. When it is later than `earliest`, deferred_by names
// the policy that moved it last: quiet hours when quiet hours alone give the same answer,
// the cap otherwise. Errors: the store's, reading send times.
Result<SendSlot> NextSendSlot(ScheduleTxn& txn, const Campaign& campaign,
                              const std::string& recipient_id, const Zone& zone, Micros earliest);

}  // namespace herald
