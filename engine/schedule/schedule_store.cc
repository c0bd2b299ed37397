#include "engine/schedule/schedule_store.h"

namespace herald {

std::string OutboxKey(const PlanKey& plan, int occurrence) {
  // Unit separators cannot appear in ids (the campaign loader and the API refuse control
  // characters), so the key is unambiguous.
  std::string key = plan.campaign;
  key += '\x1f';
  key += plan.rule;
  key += '\x1f';
  key += plan.case_id;
  key += '\x1f';
  key += std::to_string(occurrence);
  return key;
}

}  // namespace herald
