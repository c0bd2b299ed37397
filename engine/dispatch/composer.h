// MessageComposer: turns one outbox intent into its messages, rendered.
//
// One message per channel of the intent, each with its deterministic id
// (MessageIdFor), the recipient's address on that channel as of now, and the rendering
// (email: the complete MIME message; SMS: the text and its segments). What cannot be
// made comes back as a message in a final state with the reason, never as an error that
// would stall the outbox:
// - an intent without channels: one message, suppressed ("no usable channel");
// - a rendering that fails (a variable missing from the case, a template gone): failed,
//   permanent, with the renderer's reason;
// - an SMS over the campaign's max_segments: failed, permanent.
// Errors are for storage only (the case view cannot be read).
//
// ComposeMany does the same for a batch of intents (an Intake step): the messages of every
// intent, intent after intent, each intent's in channel order: exactly what Compose of
// each would give, byte for byte. The default loops Compose; an implementation may read
// ahead in batches and render on several threads. On an error it returns the error of the
// first intent (in order) that has one, and no messages.
//
// Thread safety: Compose and ComposeMany may be called from one thread at a time;
// implementations hold immutable configuration (templates, campaigns) replaced only
// between calls.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/dispatch/message.h"

namespace herald {

class MessageComposer {
 public:
  virtual ~MessageComposer() = default;
  virtual Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) = 0;
  virtual Result<std::vector<Message>> ComposeMany(const std::vector<OutboxIntent>& intents,
                                                   Micros now);
};

// A queued message for `intent` on `channel`, made at `now`, without address or rendering:
// what every composer starts from.
Message MessageSkeleton(const OutboxIntent& intent, Channel channel, std::string_view secret,
                        Micros now);

// 32 hex characters: HMAC-SHA256(secret, intent_key "\n" channel), truncated to 128 bits.
std::string MessageIdFor(std::string_view secret, std::string_view intent_key, Channel channel);

}  // namespace herald
