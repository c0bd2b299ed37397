// Where a message goes and in which language: the channel choice of a rule's `channels:`
// and the campaign locale for a recipient. Both are decided when a send fires (the
// recipient may have changed since it was planned) and recorded on the outbox intent.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/event.h"
#include "engine/rules/campaign.h"

namespace herald {

// True when `recipient` can be reached on `channel` now: they have an address for it
// (email for kEmail, phone for kSms) and, when they gave a `channels` list, it names
// the channel. This is the one place opt-outs will be checked (STOP replies, unsubscribe
// links: the tracking issue) so that every channel choice honours them.
bool IsUsable(Channel channel, const Recipient& recipient);

// The channels a message goes to, in sending order; empty when none is usable (the
// intent still goes to the outbox and dispatch records it as suppressed, so the send is
// accounted for).
// - kPreferred: the first usable channel of the recipient's order: their `channels` list
//   when they gave one, email then sms otherwise. The next one is the fallback when the
//   first is not usable.
// - kAll: every usable channel, in that same order.
// - kList: the listed channels that are usable, in the rule's order.
std::vector<Channel> SelectChannels(const ChannelSpec& spec, const Recipient& recipient);

// The campaign locale for a recipient's `locale`, as the campaign writes it: a locale of
// `campaign_locales` equal to it (ASCII case-insensitively: es-MX and es-mx are the
// same tag), else the longest equal prefix of whole subtags (zh-Hans-CN finds zh-Hans,
// then zh; es-MX finds es), else the campaign's default (the first). `campaign_locales`
// must be non-empty (the loader guarantees it).
std::string ResolveLocale(const std::optional<std::string>& recipient_locale,
                          const std::vector<std::string>& campaign_locales);

}  // namespace herald
