// SMS text: encoding detection, segment counting and link rewriting.
//
// Pure functions; thread-safe (RewriteUrls calls `rewrite` on the caller's thread).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace herald {

// How an SMS text travels and how many messages it costs.
struct SmsInfo {
  // "GSM-7" when every character is in the GSM 03.38 default alphabet or its extension
  // table, else "UCS-2".
  std::string encoding = "GSM-7";
  // GSM-7: septets (a character of the extension table, ^ { } \ [ ~ ] | € and form feed,
  // costs 2: an escape and the character). UCS-2: UTF-16 code units (a character outside
  // the Basic Multilingual Plane, such as most emoji, costs 2).
  int units = 0;
  // 0 for an empty text; 1 when units fit in one SMS (160 septets / 70 units); otherwise
  // the number of concatenated segments of at most 153 septets / 67 units each, filled in
  // order without splitting an escape pair or a surrogate pair (a character that does not
  // fit whole starts the next segment).
  int segments = 0;

  bool operator==(const SmsInfo&) const = default;
};

// Counts `utf8` as a gateway would send it. Ill-formed UTF-8 counts as U+FFFD (UCS-2).
// No character is ever substituted to make a text fit GSM-7: "á" or "`" make it UCS-2.
SmsInfo CountSms(std::string_view utf8);

// Replaces every http:// and https:// URL in plain text (an SMS, the plain-text email
// part) with rewrite(url). A URL starts at "http://" or "https://" (any case) that does
// not follow a letter or digit, and runs to the next whitespace, control, non-ASCII
// character or one of < > " `; trailing . , ; : ! ? ' and a ) or ] without its opening
// partner are left outside it ("Go to https://x.org/a." keeps its full stop).
// `rewrite` empty: `text` unchanged.
std::string RewriteUrls(std::string_view text,
                        const std::function<std::string(std::string_view)>& rewrite);

}  // namespace herald
