// Helpers for the herald_templates tests.
#pragma once

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "templates/message_template.h"
#include "templates/render.h"

namespace herald::testing {

// A template from its file text; fails the test when it does not parse.
inline MessageTemplate Tpl(const std::string& text, const std::string& locale = "en",
                           const std::string& id = "t") {
  Result<MessageTemplate> t = ParseTemplate(text, id + "/" + locale + ".md", id, locale);
  REQUIRE_MESSAGE(t.ok(), t.status().message());
  return std::move(t).value();
}

// A template with the given subject, sms and body (YAML double-quoted for subject and sms).
inline MessageTemplate Parts(const std::string& subject, const std::string& sms,
                             const std::string& body, const std::string& locale = "en") {
  return Tpl("---\nsubject: \"" + subject + "\"\nsms: \"" + sms + "\"\n---\n" + body, locale);
}

inline Branding TestBranding() {
  Branding b;
  b.name = "County Human Services";
  b.logo_url = "https://cdn.example.org/logo.png";
  b.primary_color = "#1f4e79";
  b.footer = "You get this message because you have a case with us.";
  b.address = "100 Main St\nSpringfield, IL 62701";
  b.help_url = "https://benefits.example.org/help";
  return b;
}

inline RenderInput Input(nlohmann::json data, const std::string& locale = "en",
                         const std::string& timezone = "America/Chicago") {
  RenderInput in;
  in.data = std::move(data);
  in.locale = locale;
  in.timezone = timezone;
  in.branding = TestBranding();
  return in;
}

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The body fragment of the HTML: between the layout's body cell and the footer.
inline std::string BodyHtml(const std::string& html) {
  const std::string start = "color:#1f2937;\">\n";
  size_t b = html.find(start);
  size_t e = html.find("</td>", b);
  if (b == std::string::npos || e == std::string::npos) return html;
  return html.substr(b + start.size(), e - b - start.size());
}

}  // namespace herald::testing
