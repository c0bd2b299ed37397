#include "engine/rules/send_slot.h"

#include <cstdio>
#include <vector>

#include "engine/core/duration.h"
#include "engine/schedule/send_window.h"

namespace herald {
namespace {

std::string ClockText(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 24, minute % 60);
  return buf;
}

}  // namespace

Result<SendSlot> NextSendSlot(ScheduleTxn& txn, const Campaign& campaign,
                              const std::string& recipient_id, const Zone& zone, Micros earliest) {
  const QuietHours* quiet = campaign.quiet_hours ? &*campaign.quiet_hours : nullptr;
  const FrequencyCap* cap = campaign.frequency_cap ? &*campaign.frequency_cap : nullptr;
  std::vector<Micros> sends;
  if (cap != nullptr) {
    // Sends before earliest - per cannot touch a window that holds earliest or later.
    Result<std::vector<Micros>> read =
        txn.SendTimes(recipient_id, campaign.id, earliest - cap->per);
    if (!read.ok()) return read.status();
    sends = std::move(read).value();
  }
  SendSlot slot;
  slot.fire_at = PlanSendTime(earliest, quiet, cap, sends, zone);
  if (slot.fire_at == earliest) return slot;
  if (quiet != nullptr && NextAllowedSend(earliest, *quiet, zone) == slot.fire_at) {
    slot.deferred_by = "quiet_hours";
    slot.reason = "quiet hours " + ClockText(quiet->start_minute) + "-" +
                  ClockText(quiet->end_minute) + " in " + zone.id();
  } else {
    slot.deferred_by = "frequency_cap";
    slot.reason = "frequency cap " + std::to_string(cap != nullptr ? cap->max : 0) + " per " +
                  FormatDuration(cap != nullptr ? cap->per : 0);
  }
  return slot;
}

}  // namespace herald
