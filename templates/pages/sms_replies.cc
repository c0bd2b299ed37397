#include "templates/pages/sms_replies.h"

#include <algorithm>
#include <cctype>

#include "templates/sms.h"

namespace herald {
namespace {

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const SmsReplyText& TextOf(const SmsReplySet& set, SmsReply which) {
  switch (which) {
    case SmsReply::kStopped:
      return set.stop;
    case SmsReply::kStarted:
      return set.start;
    case SmsReply::kHelp:
      break;
  }
  return set.help;
}

// The configured text for exactly `tag`, or nullptr.
const std::string* Find(const std::vector<SmsReplySet>& configured, std::string_view tag,
                        SmsReply which) {
  for (const SmsReplySet& set : configured) {
    if (!EqualsIgnoreAsciiCase(set.locale, tag)) continue;
    const SmsReplyText& t = TextOf(set, which);
    return t.text.empty() ? nullptr : &t.text;
  }
  return nullptr;
}

// The configured text for `locale` or a prefix of it ("es-MX", "es"), or nullptr.
const std::string* Resolve(const std::vector<SmsReplySet>& configured, std::string_view locale,
                           SmsReply which) {
  while (!locale.empty()) {
    if (const std::string* t = Find(configured, locale, which)) return t;
    const size_t dash = locale.find_last_of("-_");
    if (dash == std::string_view::npos) break;
    locale = locale.substr(0, dash);
  }
  return nullptr;
}

}  // namespace

std::string SmsReplyFor(SmsReply which, std::string_view locale,
                        const std::vector<SmsReplySet>& configured, const Branding& branding) {
  if (const std::string* t = Resolve(configured, locale, which)) return *t;
  if (PageLanguage(locale) == "en") {
    if (const std::string* t = Find(configured, "en", which)) return *t;
  }
  return DefaultSmsReply(which, locale, branding.name, branding.help_url);
}

std::vector<ConfigError> CheckSmsReplies(const Config& config) {
  std::vector<ConfigError> errors;
  for (const SmsReplySet& set : config.sms_replies) {
    const std::pair<const char*, const SmsReplyText*> texts[] = {
        {"help", &set.help}, {"stop", &set.stop}, {"start", &set.start}};
    for (const auto& [name, t] : texts) {
      if (t->text.empty()) continue;
      const SmsInfo info = CountSms(t->text);
      if (info.segments <= kMaxSmsReplySegments) continue;
      errors.push_back(
          {config.source, t->line, t->column,
           "sms_replies." + set.locale + "." + name + ": " + std::to_string(info.segments) +
               " SMS segments (" + info.encoding + ", " + std::to_string(info.units) +
               " units); a reply may take at most " + std::to_string(kMaxSmsReplySegments)});
    }
  }
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return errors;
}

}  // namespace herald
