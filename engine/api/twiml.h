// TwiML: the XML answer to a Twilio inbound SMS webhook (POST /v1/inbound/sms). Which
// keyword a text is lives in engine/track/sms_keywords.h. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace herald {

// A TwiML document answering with `text` (XML-escaped; control characters other than tab
// and newline dropped, as XML 1.0 forbids them); no <Message> when `text` is empty, so
// the gateway sends nothing back.
std::string TwimlReply(std::string_view text);

}  // namespace herald
