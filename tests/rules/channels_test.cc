// Channel selection and locale resolution.
#include "engine/rules/channels.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

Recipient R(std::optional<std::string> email, std::optional<std::string> phone,
            std::optional<std::vector<Channel>> channels = std::nullopt) {
  Recipient r;
  r.email = std::move(email);
  r.phone = std::move(phone);
  r.channels = std::move(channels);
  return r;
}

ChannelSpec Preferred() {
  return {};
}
ChannelSpec All() {
  return {ChannelSpec::Kind::kAll, {}};
}
ChannelSpec List(std::vector<Channel> l) {
  return {ChannelSpec::Kind::kList, std::move(l)};
}

using V = std::vector<Channel>;
constexpr Channel kEmail = Channel::kEmail;
constexpr Channel kSms = Channel::kSms;

TEST_CASE("preferred: the recipient's first usable channel, falling back to the next") {
  CHECK(SelectChannels(Preferred(), R("a@example.org", "+12025550100", V{kSms, kEmail})) ==
        V{kSms});
  // No phone: sms is not usable, email is the fallback.
  CHECK(SelectChannels(Preferred(), R("a@example.org", std::nullopt, V{kSms, kEmail})) ==
        V{kEmail});
  // No list of their own: email first, then sms.
  CHECK(SelectChannels(Preferred(), R("a@example.org", "+12025550100")) == V{kEmail});
  CHECK(SelectChannels(Preferred(), R(std::nullopt, "+12025550100")) == V{kSms});
  CHECK(SelectChannels(Preferred(), R(std::nullopt, std::nullopt)).empty());
  // Their list leaves email out: never email, even with an address.
  CHECK(SelectChannels(Preferred(), R("a@example.org", std::nullopt, V{kSms})).empty());
  // An empty list: they want no messages.
  CHECK(SelectChannels(Preferred(), R("a@example.org", "+12025550100", V{})).empty());
}

TEST_CASE("all: every usable channel in the recipient's order") {
  CHECK(SelectChannels(All(), R("a@example.org", "+12025550100")) == V{kEmail, kSms});
  CHECK(SelectChannels(All(), R("a@example.org", "+12025550100", V{kSms, kEmail})) ==
        V{kSms, kEmail});
  CHECK(SelectChannels(All(), R("a@example.org", std::nullopt)) == V{kEmail});
  CHECK(SelectChannels(All(), R("a@example.org", "+12025550100", V{kSms})) == V{kSms});
}

TEST_CASE("a list: those channels, in the rule's order, where usable") {
  CHECK(SelectChannels(List({kSms, kEmail}), R("a@example.org", "+12025550100", V{kEmail, kSms})) ==
        V{kSms, kEmail});
  CHECK(SelectChannels(List({kSms, kEmail}), R("a@example.org", std::nullopt)) == V{kEmail});
  CHECK(SelectChannels(List({kSms}), R("a@example.org", std::nullopt)).empty());
  CHECK(SelectChannels(List({kSms, kEmail}), R("a@example.org", "+12025550100", V{kEmail})) ==
        V{kEmail});
}

TEST_CASE("IsUsable needs an address and the recipient's consent by their list") {
  CHECK(IsUsable(kEmail, R("a@example.org", std::nullopt)));
  CHECK_FALSE(IsUsable(kEmail, R("", std::nullopt)));
  CHECK_FALSE(IsUsable(kSms, R("a@example.org", std::nullopt)));
  CHECK_FALSE(IsUsable(kEmail, R("a@example.org", std::nullopt, V{kSms})));
}

TEST_CASE("locale: exact, then the language, then the campaign default") {
  const std::vector<std::string> locales{"en", "es", "zh-Hans"};
  CHECK(ResolveLocale("es", locales) == "es");
  CHECK(ResolveLocale("es-MX", locales) == "es");
  CHECK(ResolveLocale("ES-mx", locales) == "es");
  CHECK(ResolveLocale("zh-Hans-CN", locales) == "zh-Hans");
  CHECK(ResolveLocale("zh-hans", locales) == "zh-Hans");
  CHECK(ResolveLocale("zh-Hant", locales) == "en");  // no zh alone: the default
  CHECK(ResolveLocale("vi", locales) == "en");
  CHECK(ResolveLocale(std::nullopt, locales) == "en");
  CHECK(ResolveLocale("en-US", {"es-MX", "en-US"}) == "en-US");
  CHECK(ResolveLocale("es", {"en", "es-MX"}) == "en");  // only narrower: no match
}

}  // namespace
}  // namespace herald
