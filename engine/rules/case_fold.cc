#include "engine/rules/case_fold.h"

namespace herald {

void FoldEvent(CaseView& view, const Event& event, uint64_t seq) {
  if (view.case_id.empty()) view.case_id = event.case_id;
  if (!view.state.is_object()) view.state = nlohmann::json::object();
  if (event.data.is_object()) view.state.merge_patch(event.data);
  if (event.recipient) {
    if (view.recipient) {
      MergeRecipient(*view.recipient, *event.recipient);
    } else {
      view.recipient = *event.recipient;
    }
  }
  view.last_seq = seq;
}

std::string RecipientIdFor(const CaseView& view) {
  if (view.recipient && !view.recipient->id.empty()) return view.recipient->id;
  return view.case_id;
}

nlohmann::json RecipientJson(const CaseView& view) {
  return view.recipient ? RecipientToJson(*view.recipient) : nlohmann::json::object();
}

Zone ZoneFor(const Campaign& campaign, const CaseView& view, ZoneCache& zones) {
  if (view.recipient && view.recipient->timezone) {
    Result<Zone> z = zones.Get(*view.recipient->timezone);
    if (z.ok()) return *z;
  }
  return campaign.zone;
}

const Rule* FindRule(const Campaign& campaign, std::string_view rule_id) {
  for (const Rule& r : campaign.rules) {
    if (r.id == rule_id) return &r;
  }
  return nullptr;
}

}  // namespace herald
