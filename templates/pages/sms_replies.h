// The replies herald texts back to the SMS keywords STOP, START and HELP: the agency's own
// (`sms_replies:` in herald.yaml) where one is configured for the recipient's language,
// else the built-in one (DefaultSmsReply).
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"
#include "templates/branding.h"
#include "templates/pages/recipient_pages.h"

namespace herald {

// The most SMS segments a configured reply may take (GSM-7 or UCS-2, counted as a gateway
// sends it: templates/sms.h). The built-in replies take one.
inline constexpr int kMaxSmsReplySegments = 3;

// The reply to send for `which` to a recipient whose messages are in `locale` (BCP 47;
// empty when unknown). In order:
// 1. the configured text for `locale`, then for it without its last subtag, and so on
//    ("es-MX", then "es"), locales compared ignoring ASCII case;
// 2. when the built-in replies do not speak that language (PageLanguage is "en": English,
//    an unknown or empty locale), the configured text for "en";
// 3. the built-in reply (DefaultSmsReply with the agency's name and help URL).
// So a configured English text never replaces a built-in reply in the recipient's own
// language: a recipient is answered in another language only where the built-in replies
// would have done so too. Each keyword falls back on its own ("es" may set only `help`).
std::string SmsReplyFor(SmsReply which, std::string_view locale,
                        const std::vector<SmsReplySet>& configured, const Branding& branding);

// Every configured reply of `config` longer than kMaxSmsReplySegments, as an error at the
// text's position in config.source: "sms_replies.es.help: 4 SMS segments (UCS-2, 230
// units); a reply may take at most 3". Empty when all fit. The loader (engine/config)
// checks everything else; this is the part that needs the segment counter.
std::vector<ConfigError> CheckSmsReplies(const Config& config);

}  // namespace herald
