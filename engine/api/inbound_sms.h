// Inbound SMS keywords (POST /v1/inbound/sms, Twilio's inbound form): which opt-out,
// opt-in or help word a text is, and the TwiML that answers it.
//
// A text is a keyword when, after trimming whitespace and trailing punctuation, its whole
// body is one of the words below, in any case ("stop", "Stop!", " STOP " are STOP;
// "please stop texting me" is not: carriers and Twilio match the whole body, and a
// sentence is for a person to read). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace herald {

enum class SmsKeyword {
  kNone,
  kStop,   // STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: opt out of SMS
  kStart,  // START, UNSTOP, YES: opt back in
  kHelp,   // HELP, INFO: answer with the help text
};

SmsKeyword ClassifySmsKeyword(std::string_view body);
std::string_view SmsKeywordName(SmsKeyword k);  // "none", "stop", "start", "help"

// A TwiML document answering with `text` (XML-escaped); no <Message> when `text` is empty.
std::string TwimlReply(std::string_view text);

}  // namespace herald
