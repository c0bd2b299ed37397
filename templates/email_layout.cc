#include "templates/email_layout.h"

#include <cmath>
#include <initializer_list>
#include <utility>

#include "templates/text_util.h"

namespace herald::templates_internal {
namespace {

constexpr std::string_view kFont = "Arial,Helvetica,sans-serif";
constexpr std::string_view kPageBackground = "#f3f4f6";
constexpr std::string_view kBodyText = "#1f2937";    // 14.7:1 on white
constexpr std::string_view kFooterText = "#4b5563";  // 7.6:1 on white
constexpr std::string_view kFallbackLink = "#1d4ed8";
constexpr std::string_view kDarkText = "#111827";

struct Translation {
  std::string_view language;  // primary subtag, or "zh-hant"
  LayoutStrings strings;
};

constexpr Translation kTranslations[] = {
    {"en", {"Unsubscribe", "Help"}},
    {"es", {"Cancelar la suscripción", "Ayuda"}},
    {"zh", {"退订", "帮助"}},
    {"zh-hant", {"取消訂閱", "幫助"}},
    {"vi", {"Hủy đăng ký", "Trợ giúp"}},
    {"ar", {"إلغاء الاشتراك", "مساعدة"}},
    {"fr", {"Se désabonner", "Aide"}},
    {"ko", {"수신 거부", "도움말"}},
    {"ru", {"Отписаться", "Помощь"}},
    {"pt", {"Cancelar inscrição", "Ajuda"}},
    {"tl", {"Mag-unsubscribe", "Tulong"}},
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

double Luminance(std::string_view hex) {
  if (hex.size() != 7 || hex[0] != '#') return 0;
  double channel[3];
  for (int k = 0; k < 3; ++k) {
    int hi = HexDigit(hex[1 + 2 * k]), lo = HexDigit(hex[2 + 2 * k]);
    if (hi < 0 || lo < 0) return 0;
    double c = (hi * 16 + lo) / 255.0;
    channel[k] = c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2];
}

// Text with its line breaks as <br>.
std::string HtmlLines(std::string_view text) {
  std::string escaped = HtmlEscape(text);
  std::string out;
  for (char c : escaped) {
    if (c == '\n') {
      out.append("<br>");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct BrandColors {
  std::string color;        // the brand colour these are for
  std::string header_text;  // white or near-black on the brand colour
  std::string link;         // the brand colour, or a dark blue when it is too light
};

// The colours derived from a brand colour; the last one is kept per thread (every
// message of an agency has the same).
const BrandColors& ColorsFor(const std::string& primary) {
  thread_local BrandColors last;
  if (last.color != primary || last.link.empty()) {
    last.color = primary;
    const double on_white = ContrastRatio(primary, "#ffffff");
    last.header_text =
        on_white >= ContrastRatio(primary, kDarkText) ? "#ffffff" : std::string(kDarkText);
    last.link = on_white >= 4.5 ? primary : std::string(kFallbackLink);
  }
  return last;
}

}  // namespace

LayoutStrings StringsFor(std::string_view locale) {
  std::string tag = AsciiLower(locale);
  std::string language = tag.substr(0, tag.find_first_of("-_"));
  if (language == "zh") {
    // Traditional script: zh-Hant, or the regions that write it by default.
    auto has = [&](std::string_view subtag) {
      size_t at = tag.find(subtag);
      return at != std::string::npos && at + subtag.size() == tag.size();
    };
    if (tag.find("-hant") != std::string::npos || has("-tw") || has("-hk") || has("-mo")) {
      language = "zh-hant";
    }
  }
  for (const Translation& t : kTranslations) {
    if (t.language == language) return t.strings;
  }
  return kTranslations[0].strings;
}

double ContrastRatio(std::string_view a, std::string_view b) {
  double la = Luminance(a), lb = Luminance(b);
  if (la < lb) std::swap(la, lb);
  return (la + 0.05) / (lb + 0.05);
}

std::string LinkColor(const Branding& b) {
  if (ContrastRatio(b.primary_color, "#ffffff") >= 4.5) return b.primary_color;
  return std::string(kFallbackLink);
}

std::string HtmlLayout(const EmailLayoutInput& in) {
  const Branding& b = *in.branding;
  const std::string_view dir = in.rtl ? "rtl" : "ltr";
  const std::string lang = HtmlEscape(in.lang);
  const std::string name = HtmlEscape(b.name);
  const std::string subject = HtmlEscape(in.subject);
  const BrandColors& colors = ColorsFor(b.primary_color);
  const LayoutStrings words = StringsFor(in.lang);

  std::string h;
  h.reserve(in.body_html.size() + 4096);
  auto add = [&h](std::initializer_list<std::string_view> parts) {
    for (std::string_view p : parts) h.append(p);
  };
  add({"<!DOCTYPE html>\n<html lang=\"", lang, "\" dir=\"", dir, "\">\n<head>\n",
       "<meta charset=\"utf-8\">\n",
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
       "<meta name=\"x-apple-disable-message-reformatting\">\n",
       "<meta name=\"color-scheme\" content=\"light\">\n", "<title>", subject,
       "</title>\n</head>\n", "<body style=\"margin:0;padding:0;background-color:", kPageBackground,
       ";\">\n"});
  add({"<div role=\"article\" aria-roledescription=\"email\" aria-label=\"", subject, "\" lang=\"",
       lang, "\" dir=\"", dir, "\" style=\"background-color:", kPageBackground, ";\">\n"});
  add(
      {"<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" "
       "border=\"0\" dir=\"",
       dir, "\">\n<tr>\n<td style=\"padding:24px 12px;\">\n"});
  add(
      {"<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" "
       "border=\"0\" dir=\"",
       dir,
       "\" style=\"width:100%;max-width:600px;margin:0 auto;background-color:#ffffff;"
       "border:1px solid #e5e7eb;\">\n"});

  // Header: the logo with the agency name as its alt text, or the name as text.
  add({"<tr>\n<td style=\"background-color:", b.primary_color, ";padding:16px 24px;\">\n"});
  if (!b.logo_url.empty()) {
    add({"<img src=\"", HtmlEscape(b.logo_url), "\" alt=\"", name,
         "\" height=\"48\" style=\"display:block;height:48px;width:auto;max-width:100%;border:0;"
         "font-family:",
         kFont, ";font-size:20px;font-weight:bold;line-height:48px;color:", colors.header_text,
         ";\">\n"});
  } else {
    add({"<p style=\"margin:0;font-family:", kFont,
         ";font-size:20px;font-weight:bold;line-height:1.3;color:", colors.header_text, ";\">",
         name, "</p>\n"});
  }
  add({"</td>\n</tr>\n"});

  // Body.
  add({"<tr>\n<td style=\"padding:24px;font-family:", kFont,
       ";font-size:16px;line-height:1.5;color:", kBodyText, ";\">\n", in.body_html,
       "</td>\n</tr>\n"});

  // Footer.
  add({"<tr>\n<td style=\"padding:16px 24px 24px;border-top:1px solid #e5e7eb;font-family:", kFont,
       ";font-size:14px;line-height:1.5;color:", kFooterText, ";\">\n"});
  const std::string_view p = "<p style=\"margin:0 0 8px;\">";
  add({p, "<strong>", name, "</strong></p>\n"});
  if (!b.footer.empty()) add({p, HtmlLines(b.footer), "</p>\n"});
  if (!b.address.empty()) add({p, HtmlLines(b.address), "</p>\n"});
  if (!in.help_url.empty()) {
    add({p, "<a href=\"", HtmlEscape(in.help_url), "\" style=\"color:", colors.link,
         ";text-decoration:underline;\">", HtmlEscape(words.help), "</a></p>\n"});
  }
  if (!in.unsubscribe_url.empty()) {
    add({p, "<a href=\"", HtmlEscape(in.unsubscribe_url), "\" style=\"color:", colors.link,
         ";text-decoration:underline;\">", HtmlEscape(words.unsubscribe), "</a></p>\n"});
  }
  add({"</td>\n</tr>\n</table>\n</td>\n</tr>\n</table>\n</div>\n</body>\n</html>\n"});
  return h;
}

std::string TextLayout(std::string_view body_text, const EmailLayoutInput& in) {
  const Branding& b = *in.branding;
  const LayoutStrings words = StringsFor(in.lang);
  while (!body_text.empty() && (body_text.back() == '\n' || body_text.back() == ' ')) {
    body_text.remove_suffix(1);
  }
  while (!body_text.empty() && body_text.front() == '\n') body_text.remove_prefix(1);
  std::string t(body_text);
  t += "\n\n-- \n" + b.name + "\n";
  if (!b.footer.empty()) t += b.footer + "\n";
  if (!b.address.empty()) t += b.address + "\n";
  if (!in.help_url.empty()) t += std::string(words.help) + ": " + std::string(in.help_url) + "\n";
  if (!in.unsubscribe_url.empty()) {
    t += std::string(words.unsubscribe) + ": " + std::string(in.unsubscribe_url) + "\n";
  }
  return t;
}

}  // namespace herald::templates_internal
