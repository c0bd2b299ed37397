#include "templates/template_data.h"

#include <utility>

namespace herald {

nlohmann::json BuildTemplateData(const nlohmann::json& case_state, const Event* event,
                                 const Recipient* recipient, const TemplateContext& context) {
  nlohmann::json copy = case_state.is_object() ? case_state : nlohmann::json::object();
  return BuildTemplateData(std::move(copy), event, recipient, context);
}

nlohmann::json BuildTemplateData(nlohmann::json&& case_state, const Event* event,
                                 const Recipient* recipient, const TemplateContext& context) {
  nlohmann::json data = case_state.is_object() ? std::move(case_state) : nlohmann::json::object();
  data["case"] = {{"id", context.case_id}};
  data["campaign"] = {{"id", context.campaign_id}, {"name", context.campaign_name}};
  data["rule"] = {{"id", context.rule_id}};
  data["message"] = {{"occurrence", context.occurrence}};
  if (event) {
    data["event"] = {{"id", event->id},
                     {"type", event->type},
                     {"occurred_at", event->occurred_at},
                     {"data", event->data.is_object() ? event->data : nlohmann::json::object()}};
  } else {
    data.erase("event");
  }
  if (recipient) {
    nlohmann::json r = nlohmann::json::object();
    if (!recipient->id.empty()) r["id"] = recipient->id;
    if (recipient->locale) r["locale"] = *recipient->locale;
    if (recipient->timezone) r["timezone"] = *recipient->timezone;
    data["recipient"] = std::move(r);
  } else {
    data.erase("recipient");
  }
  return data;
}

}  // namespace herald
