// The data a template reads (RenderInput::data), built in one documented shape so every
// caller (dispatch, `herald preview`, `herald simulate`, tests) gives templates the same
// names. docs/templates.md lists them.
//
// Pure function; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"

namespace herald {

struct TemplateContext {
  std::string case_id;
  std::string campaign_id;
  std::string campaign_name;
  std::string rule_id;
  int occurrence = 1;  // 1 for the first send of a rule, 2 for the first repeat, ...
};

// The root object for a render:
// - every field of `case_state` (the case's merged event data) at the top level:
//   {{status}}, {{due_date}}, {{#documents}}...{{/documents}};
// - `case`: {id}; `campaign`: {id, name}; `rule`: {id}; `message`: {occurrence};
// - `event` (when given): {id, type, occurred_at, data} of the event the send comes from,
//   without its recipient;
// - `recipient` (when given): {id, locale, timezone}. Never the email address or the
//   phone number: contact addresses are not template data.
// These six names take precedence over case fields of the same name. A case_state that is
// not an object contributes nothing.
nlohmann::json BuildTemplateData(const nlohmann::json& case_state, const Event* event,
                                 const Recipient* recipient, const TemplateContext& context);
// The same, taking the case state over instead of copying it (a case's state can be large,
// and dispatch reads it fresh for each message).
nlohmann::json BuildTemplateData(nlohmann::json&& case_state, const Event* event,
                                 const Recipient* recipient, const TemplateContext& context);

}  // namespace herald
