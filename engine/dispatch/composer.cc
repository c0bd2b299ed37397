#include "engine/dispatch/composer.h"

#include <utility>

#include "engine/core/sha256.h"

namespace herald {

Result<std::vector<Message>> MessageComposer::ComposeMany(const std::vector<OutboxIntent>& intents,
                                                          Micros now) {
  std::vector<Message> out;
  out.reserve(intents.size());
  for (const OutboxIntent& intent : intents) {
    Result<std::vector<Message>> made = Compose(intent, now);
    if (!made.ok()) return made.status();
    for (Message& m : *made) out.push_back(std::move(m));
  }
  return out;
}

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
