// What herald itself shows the public, outside any campaign's content: the unsubscribe
// pages (GET of the List-Unsubscribe URL, and after the one-click POST), the pages of a
// click link that does not work and of an unavailable service, and the default
// SMS replies to STOP, START and HELP, in the recipient's language.
//
// Built-in translations for en, es, zh (Simplified; zh-Hant too), vi and ar; any other
// language falls back to English, and "ar" pages are right-to-left. The pages are one
// self-contained HTML document each (no scripts, no external CSS or fonts), semantic and
// keyboard usable: a heading, one paragraph, one form with one button. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "templates/branding.h"

namespace herald {

enum class UnsubscribePage {
  kConfirm,   // GET: "Stop emails from <agency>?" and a button that POSTs to action_url
  kDone,      // after the POST: "You will not get more emails from <agency>."
  kNotFound,  // an unknown or forged link: nothing happened
};

struct RecipientPageInput {
  std::string_view locale;             // the message's locale (BCP 47); empty or unknown: English
  const Branding* branding = nullptr;  // required: the agency's name and colours
  // kConfirm: where the button POSTs (the same List-Unsubscribe URL); the form sends
  // "List-Unsubscribe=One-Click", the RFC 8058 body, so one handler serves both.
  std::string_view action_url;
};

// The whole HTML document (UTF-8).
std::string RenderUnsubscribePage(UnsubscribePage which, const RecipientPageInput& in);

// Pages of the other public routes, same look and languages, never with a form.
enum class NoticePage {
  kLinkNotFound,  // GET /c/{token} of an unknown or forged link: "This link does not work"
  kUnavailable,   // tracking is not running (503): "This page is not available right now"
};
// `action_url` is ignored.
std::string RenderNoticePage(NoticePage which, const RecipientPageInput& in);

enum class SmsReply {
  kStopped,  // after STOP and its synonyms
  kStarted,  // after START, UNSTOP, YES
  kHelp,     // HELP, INFO
};

// The default reply text, in the locale's language, naming the agency; kHelp adds
// `help_url` when given. Short enough for one UCS-2 segment in every built-in language
// for an agency name of up to 16 characters (kHelp without a URL); GSM-7 in English and
// Spanish.
std::string DefaultSmsReply(SmsReply which, std::string_view locale, std::string_view agency,
                            std::string_view help_url);

// The language the pages and replies use for `locale`: "en", "es", "zh", "zh-hant", "vi"
// or "ar" (the built-in ones), "en" otherwise.
std::string_view PageLanguage(std::string_view locale);

}  // namespace herald
