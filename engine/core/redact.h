// Removes personal data from text bound for logs.
//
// Logs never contain an email address or a phone number: every log line passes through
// RedactPersonalData in the logging sink (log.h), whatever the call site wrote. Message
// bodies are never passed to the logger at all.
#pragma once

#include <string>
#include <string_view>

namespace herald {

// Replaces email addresses with "[email]" and phone numbers (a '+' followed by 7-15
// digits, or 10-15 digits written with separators such as "(415) 555-0100") with
// "[phone]". Plain digit runs (sequence numbers, timestamps), dates and ids are kept.
std::string RedactPersonalData(std::string_view text);

}  // namespace herald
