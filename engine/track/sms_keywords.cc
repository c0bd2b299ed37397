#include "engine/track/sms_keywords.h"

#include <string>

namespace herald {

SmsKeyword ParseSmsKeyword(std::string_view body) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '.' || c == '!';
  };
  while (!body.empty() && space(body.front())) body.remove_prefix(1);
  while (!body.empty() && space(body.back())) body.remove_suffix(1);
  if (body.size() > 16) return SmsKeyword::kNone;
  std::string k;
  for (char c : body) k.push_back((c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c);
  for (std::string_view w :
       {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}) {
    if (k == w) return SmsKeyword::kStop;
  }
  for (std::string_view w : {"START", "UNSTOP", "YES"}) {
    if (k == w) return SmsKeyword::kStart;
  }
  if (k == "HELP" || k == "INFO") return SmsKeyword::kHelp;
  return SmsKeyword::kNone;
}

}  // namespace herald
