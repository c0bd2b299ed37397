#include "engine/store/event_log.h"

namespace herald {

std::string_view AppendOutcomeName(AppendOutcome::Kind kind) {
  switch (kind) {
    case AppendOutcome::Kind::kAccepted: return "accepted";
    case AppendOutcome::Kind::kDuplicate: return "duplicate";
    case AppendOutcome::Kind::kConflict: return "conflict";
    case AppendOutcome::Kind::kNotWritten: return "not_written";
  }
  return "unknown";
}

}  // namespace herald
