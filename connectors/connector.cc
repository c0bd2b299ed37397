#include "connectors/connector.h"

namespace herald {

std::string_view SendOutcomeKindName(SendOutcome::Kind kind) {
  switch (kind) {
    case SendOutcome::Kind::kAccepted:
      return "accepted";
    case SendOutcome::Kind::kTemporary:
      return "temporary";
    case SendOutcome::Kind::kPermanent:
      return "permanent";
    case SendOutcome::Kind::kSuppress:
      return "suppress";
  }
  return "unknown";
}

}  // namespace herald
