#include "engine/rules/campaign.h"

namespace herald {

CampaignSet::CampaignSet() : data_(std::make_shared<const Data>()) {}

CampaignSet::CampaignSet(std::vector<Campaign> campaigns) {
  // Built in place, then frozen: the RuleRefs point into `data->campaigns`, which is
  // never resized after this.
  auto data = std::make_shared<Data>();
  data->campaigns = std::move(campaigns);
  for (size_t i = 0; i < data->campaigns.size(); ++i) {
    const Campaign& c = data->campaigns[i];
    data->by_id.emplace(c.id, i);  // keeps the first of duplicate ids
    for (const Rule& r : c.rules) {
      ++data->rule_count;
      for (const std::string& type : r.on) data->by_event_type[type].push_back({&c, &r});
    }
  }
  data_ = std::move(data);
}

const std::vector<Campaign>& CampaignSet::campaigns() const {
  return data_->campaigns;
}

const Campaign* CampaignSet::Find(std::string_view id) const {
  auto it = data_->by_id.find(id);
  return it == data_->by_id.end() ? nullptr : &data_->campaigns[it->second];
}

std::span<const RuleRef> CampaignSet::RulesFor(std::string_view event_type) const {
  auto it = data_->by_event_type.find(event_type);
  if (it == data_->by_event_type.end()) return {};
  return it->second;
}

size_t CampaignSet::rule_count() const {
  return data_->rule_count;
}

}  // namespace herald
