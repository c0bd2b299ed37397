// The agency's look in the built-in email layout: name, logo, colour, footer, help link.
//
// A plain value, validated once (at configuration load) with ValidateBranding and then
// shared read-only; RenderEmail validates it again and refuses a bad one, so a bad colour
// or URL can never reach a message.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace herald {

struct Branding {
  // The agency's name, shown in the header (as text, or as the logo's alt text so it reads
  // with images off) and in the plain-text footer. Required: 1..200 bytes, no controls.
  std::string name;
  // The logo, an https:// (or http://) URL of an image about 48 px high. Empty: the
  // header shows the name as text. No spaces, quotes, '<' or '>'.
  std::string logo_url;
  // The header background and link colour: "#rrggbb" (hex, either case). The header text is
  // white or near-black, whichever contrasts more; links use this colour only when it
  // has at least 4.5:1 contrast on white (WCAG AA), else a dark blue.
  std::string primary_color = "#1f4e79";
  // Footer lines, plain text (no Markdown, no HTML): who sends this and why, and the
  // agency's postal address. Each may be empty; line breaks are kept.
  std::string footer;
  std::string address;
  // Where to get help, an http(s) URL shown as a "Help" link in the footer. Empty: none.
  std::string help_url;

  bool operator==(const Branding&) const = default;
};

// OK, or InvalidArgument naming the first bad field: "branding.primary_color: '#12345'
// is not a colour like #1f4e79".
Status ValidateBranding(const Branding& b);

// True for "http://..." or "https://..." (scheme in any case) with a host, at most 2048
// bytes, and no whitespace, control, '"', '\'', '<', '>' or '`'.
bool IsHttpUrl(std::string_view url);

}  // namespace herald
