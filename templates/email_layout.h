// The built-in email layout: the HTML document around a rendered body, and the plain-text
// footer. Internal to herald_templates.
//
// The HTML is one self-contained document: no external CSS, fonts or scripts, every style
// inline, a 600 px max-width container that shrinks on small screens, the agency name as
// text or as the logo's alt text (readable with images off), and colours that keep at
// least 4.5:1 contrast. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "templates/branding.h"

namespace herald::templates_internal {

// Built-in words of the layout, in the message's language (English when the language has
// no translation here).
struct LayoutStrings {
  std::string_view unsubscribe;  // the footer's unsubscribe link text
  std::string_view help;         // the footer's help link text
};
LayoutStrings StringsFor(std::string_view locale);

// WCAG 2 contrast ratio of two #rrggbb colours (1..21). Bad input counts as black.
double ContrastRatio(std::string_view a, std::string_view b);

// The link colour for the body: the brand colour when it has at least 4.5:1 on white,
// else a dark blue.
std::string LinkColor(const Branding& b);

struct EmailLayoutInput {
  std::string_view lang;  // the message's BCP 47 tag, for lang="..."
  bool rtl = false;       // dir="rtl"
  const Branding* branding = nullptr;
  std::string_view subject;          // plain text (HTML-escaped here), for <title>
  std::string_view body_html;        // from MarkdownToHtml
  std::string_view help_url;         // empty: no help link; already rewritten
  std::string_view unsubscribe_url;  // empty: no unsubscribe link
};

// The whole HTML document.
std::string HtmlLayout(const EmailLayoutInput& in);

// The plain-text part: `body_text`, then a footer with the agency's name, footer text,
// address, "Help: <url>" and "Unsubscribe: <url>" when given.
std::string TextLayout(std::string_view body_text, const EmailLayoutInput& in);

}  // namespace herald::templates_internal
