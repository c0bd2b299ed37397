#include "engine/config/config.h"

namespace herald {

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": " + message;
  return out;
}

}  // namespace herald
