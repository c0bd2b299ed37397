// SMS keywords of inbound replies (CTIA / carrier conventions, as Twilio handles them): the
// whole message, trimmed and case-folded, is the keyword; "stop please" is not STOP.
#pragma once

#include <string_view>

namespace herald {

enum class SmsKeyword {
  kNone,   // any other text
  kStop,   // STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT: opt out of SMS
  kStart,  // START, UNSTOP, YES: opt back in
  kHelp,   // HELP, INFO: reply with the configured help text
};

SmsKeyword ParseSmsKeyword(std::string_view body);

}  // namespace herald
