// The rule engine's view of a case and of its recipient: folding events into a CaseView,
// and what rules and the send policies read from it.
//
// Pure functions (ZoneFor reads a thread-safe ZoneCache); thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"
#include "engine/rules/campaign.h"
#include "engine/schedule/local_time.h"
#include "engine/schedule/schedule_store.h"

namespace herald {

// Applies `event` to `view` the way the event log folds its case store: `data` is an
// RFC 7396 JSON Merge Patch of the state (null or absent data changes nothing; a
// non-object data replaces nothing either, the API only accepts objects), the recipient
// is merged with MergeRecipient, and last_seq becomes `seq`.
void FoldEvent(CaseView& view, const Event& event, uint64_t seq);

// Whose plans these are: the case recipient's id, or the case id when the recipient has
// none (or the case has no recipient yet). Matches the event log's recipient store.
std::string RecipientIdFor(const CaseView& view);

// The recipient as expressions read it (RecipientToJson); an empty object when none.
nlohmann::json RecipientJson(const CaseView& view);

// The zone quiet hours are read in: the recipient's `timezone` when it loads, else the
// campaign's.
Zone ZoneFor(const Campaign& campaign, const CaseView& view, ZoneCache& zones);

// The rule `rule_id` of `campaign`, or nullptr.
const Rule* FindRule(const Campaign& campaign, std::string_view rule_id);

}  // namespace herald
