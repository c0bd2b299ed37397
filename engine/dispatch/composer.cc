#include "engine/dispatch/composer.h"

#include "engine/core/sha256.h"

namespace herald {

std::string MessageIdFor(std::string_view secret, std::string_view intent_key, Channel channel) {
  std::string data(intent_key);
  data += '\n';
  data += ChannelName(channel);
  return HmacSha256Hex(secret, data).substr(0, 32);
}

Message MessageSkeleton(const OutboxIntent& intent, Channel channel, std::string_view secret,
                        Micros now) {
  Message m;
  m.id = MessageIdFor(secret, intent.key, channel);
  m.intent_key = intent.key;
  m.plan = intent.plan;
  m.occurrence = intent.occurrence;
  m.recipient_id = intent.recipient_id;
  m.template_id = intent.template_id;
  m.locale = intent.locale;
  m.channel = channel;
  m.due = intent.due;
  m.created_at = now;
  m.next_attempt_at = now;
  m.updated_at = now;
  return m;
}

}  // namespace herald
