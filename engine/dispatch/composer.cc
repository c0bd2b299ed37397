#include "engine/dispatch/composer.h"

#include "engine/core/sha256.h"

namespace herald {

std::string MessageIdFor(std::string_view secret, std::string_view intent_key, Channel channel) {
  std::string data(intent_key);
  data += '\n';
  data += ChannelName(channel);
  return HmacSha256Hex(secret, data).substr(0, 32);
}

}  // namespace herald
