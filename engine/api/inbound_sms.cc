#include "engine/api/inbound_sms.h"

#include <cctype>

namespace herald {

SmsKeyword ClassifySmsKeyword(std::string_view body) {
  size_t begin = 0, end = body.size();
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (begin < end && space(body[begin])) ++begin;
  while (end > begin && (space(body[end - 1]) || body[end - 1] == '.' || body[end - 1] == '!')) {
    --end;
  }
  if (end - begin > 16) return SmsKeyword::kNone;
  std::string word;
  for (size_t i = begin; i < end; ++i) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(body[i]))));
  }
  for (const char* w : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}) {
    if (word == w) return SmsKeyword::kStop;
  }
  for (const char* w : {"START", "UNSTOP", "YES"}) {
    if (word == w) return SmsKeyword::kStart;
  }
  for (const char* w : {"HELP", "INFO"}) {
    if (word == w) return SmsKeyword::kHelp;
  }
  return SmsKeyword::kNone;
}

std::string_view SmsKeywordName(SmsKeyword k) {
  switch (k) {
    case SmsKeyword::kStop:
      return "stop";
    case SmsKeyword::kStart:
      return "start";
    case SmsKeyword::kHelp:
      return "help";
    case SmsKeyword::kNone:
      break;
  }
  return "none";
}

std::string TwimlReply(std::string_view text) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>";
  if (!text.empty()) {
    out += "<Message>";
    for (char c : text) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          // XML 1.0 forbids most control characters; a reply never needs them.
          if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') break;
          out.push_back(c);
      }
    }
    out += "</Message>";
  }
  out += "</Response>\n";
  return out;
}

}  // namespace herald
