#include "engine/rules/channels.h"

#include <algorithm>

namespace herald {
namespace {

// The recipient's channel order: their own list, or every channel, email first.
std::vector<Channel> RecipientOrder(const Recipient& recipient) {
  if (recipient.channels) return *recipient.channels;
  return {Channel::kEmail, Channel::kSms};
}

bool HasAddress(Channel channel, const Recipient& recipient) {
  const std::optional<std::string>& address =
      channel == Channel::kEmail ? recipient.email : recipient.phone;
  return address.has_value() && !address->empty();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool IsUsable(Channel channel, const Recipient& recipient) {
  if (!HasAddress(channel, recipient)) return false;
  if (recipient.channels && std::find(recipient.channels->begin(), recipient.channels->end(),
                                      channel) == recipient.channels->end()) {
    return false;
  }
  // Opt-outs (a STOP reply, an unsubscribe) will be checked here.
  return true;
}

std::vector<Channel> SelectChannels(const ChannelSpec& spec, const Recipient& recipient) {
  std::vector<Channel> out;
  const std::vector<Channel> order =
      spec.kind == ChannelSpec::Kind::kList ? spec.list : RecipientOrder(recipient);
  for (Channel c : order) {
    if (!IsUsable(c, recipient)) continue;
    if (std::find(out.begin(), out.end(), c) != out.end()) continue;
    out.push_back(c);
    if (spec.kind == ChannelSpec::Kind::kPreferred) break;
  }
  return out;
}

std::string ResolveLocale(const std::optional<std::string>& recipient_locale,
                          const std::vector<std::string>& campaign_locales) {
  if (campaign_locales.empty()) return "";
  if (recipient_locale && !recipient_locale->empty()) {
    std::string_view tag = *recipient_locale;
    // RFC 4647 lookup: the whole tag, then without its last subtag, and so on.
    while (!tag.empty()) {
      for (const std::string& l : campaign_locales) {
        if (EqualsIgnoreCase(l, tag)) return l;
      }
      const size_t dash = tag.find_last_of("-_");
      if (dash == std::string_view::npos) break;
      tag = tag.substr(0, dash);
    }
  }
  return campaign_locales.front();
}

}  // namespace herald
