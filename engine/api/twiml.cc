#include "engine/api/twiml.h"

namespace herald {

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
