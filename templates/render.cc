#include "templates/render.h"

#include <unordered_map>

#include "engine/core/validate.h"
#include "templates/email_layout.h"
#include "templates/locale_format.h"
#include "templates/markdown_html.h"
#include "templates/render_context.h"
#include "templates/text_util.h"

namespace herald {
namespace {

using templates_internal::EscapeMode;
using templates_internal::RenderState;

bool KnownZone(const std::string& id) {
  if (id.empty()) return false;
  thread_local std::unordered_map<std::string, bool> cache;
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 1024) cache.clear();
  return cache.emplace(id, IsKnownTimezone(id)).first->second;
}

// `locale` when it is `base` or a more specific form of it (more subtags), else `base`.
std::string FormattingLocale(std::string_view locale, const std::string& base) {
  if (locale.empty() || locale.size() < base.size()) return base;
  const std::string l = templates_internal::AsciiLower(locale);
  const std::string b = templates_internal::AsciiLower(base);
  if (l == b) return std::string(locale);
  if (l.starts_with(b) && (l[b.size()] == '-' || l[b.size()] == '_')) {
    std::string out(locale);
    for (char& c : out) {
      if (c == '_') c = '-';
    }
    return IsValidLocale(out) ? out : base;
  }
  return base;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

// U+00A0 and U+202F (ICU puts a narrow no-break space before "AM" in English times) as
// plain spaces: either would make an otherwise GSM-7 SMS UCS-2 and halve its length.
std::string NormalizeSpaces(std::string s) {
  for (std::string_view nbsp : {std::string_view("\xC2\xA0"), std::string_view("\xE2\x80\xAF")}) {
    for (size_t at = s.find(nbsp); at != std::string::npos; at = s.find(nbsp, at + 1)) {
      s.replace(at, nbsp.size(), " ");
    }
  }
  return s;
}

std::string Quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

// Collects the problems of every part rendered, for one error message.
class Problems {
 public:
  void Take(const RenderState& st) {
    if (!st.missing.empty()) {
      Add(std::string(st.part) + ": missing variable" + (st.missing.size() > 1 ? "s " : " ") +
          Quoted(st.missing));
    }
    for (const std::string& e : st.errors) Add(e);
  }
  void Add(std::string problem) {
    for (const std::string& p : problems_) {
      if (p == problem) return;
    }
    problems_.push_back(std::move(problem));
  }
  bool empty() const { return problems_.empty(); }
  Status ToStatus(const MessageTemplate& t) const {
    std::string message = "template '" + t.id + "' (" + t.locale + "): ";
    for (size_t i = 0; i < problems_.size(); ++i) {
      if (i > 0) message += "; ";
      message += problems_[i];
    }
    return Status::InvalidArgument(std::move(message));
  }

 private:
  std::vector<std::string> problems_;
};

// The state shared by every part of one message.
RenderState BaseState(const MessageTemplate& t, const RenderInput& in) {
  RenderState st;
  st.data = &in.data;
  st.locale = FormattingLocale(in.locale, t.locale);
  if (KnownZone(in.timezone)) {
    st.timezone = in.timezone;
  } else if (KnownZone(in.default_timezone)) {
    st.timezone = in.default_timezone;
  } else {
    st.timezone = "UTC";
  }
  return st;
}

std::string RenderOne(const templates_internal::CompiledPart& part, const RenderState& base,
                      std::string_view name, EscapeMode mode, Problems* problems) {
  RenderState st = base;
  st.part = name;
  st.escape = mode;
  std::string out = templates_internal::RenderPart(part, &st);
  problems->Take(st);
  return out;
}

}  // namespace

Result<RenderedEmail> RenderEmail(const MessageTemplate& t, const RenderInput& in) {
  Problems problems;
  if (Status b = ValidateBranding(in.branding); !b.ok()) {
    problems.Add(b.message());
    return problems.ToStatus(t);
  }
  if (!in.data.is_object()) {
    problems.Add("the data must be a JSON object");
    return problems.ToStatus(t);
  }
  const auto compiled = templates_internal::CompiledOf(t);
  const RenderState base = BaseState(t, in);

  RenderedEmail out;
  out.subject = Trim(templates_internal::StripToLine(
      RenderOne(compiled->subject, base, "subject", EscapeMode::kLine, &problems)));
  // One render of the body gives both parts: values are marked, then escaped per part.
  const std::string marked =
      RenderOne(compiled->body, base, "body", EscapeMode::kMarked, &problems);
  if (problems.empty() && out.subject.empty()) problems.Add("subject: renders empty");
  if (!problems.empty()) return problems.ToStatus(t);
  std::string markdown, text;
  templates_internal::SplitMarked(marked, &markdown, &text);

  const std::string help_url = in.branding.help_url.empty() || !in.rewrite_link
                                   ? in.branding.help_url
                                   : in.rewrite_link(in.branding.help_url);
  templates_internal::EmailLayoutInput layout;
  layout.lang = base.locale;
  layout.rtl = templates_internal::IsRightToLeft(base.locale);
  layout.branding = &in.branding;
  layout.subject = out.subject;
  layout.help_url = help_url;
  layout.unsubscribe_url = in.unsubscribe_url;

  templates_internal::MarkdownStyle style;
  style.link_color = templates_internal::LinkColor(in.branding);
  style.rtl = layout.rtl;
  const std::string body_html =
      templates_internal::MarkdownToHtml(markdown, in.rewrite_link, style);
  layout.body_html = body_html;
  out.html = templates_internal::HtmlLayout(layout);
  out.text = templates_internal::TextLayout(RewriteUrls(text, in.rewrite_link), layout);
  return out;
}

Result<RenderedSms> RenderSms(const MessageTemplate& t, const RenderInput& in) {
  Problems problems;
  if (!in.data.is_object()) {
    problems.Add("the data must be a JSON object");
    return problems.ToStatus(t);
  }
  const auto compiled = templates_internal::CompiledOf(t);
  const RenderState base = BaseState(t, in);
  std::string text = RenderOne(compiled->sms, base, "sms", EscapeMode::kLine, &problems);
  if (!problems.empty()) return problems.ToStatus(t);
  // The template may write line breaks; nothing else may add controls.
  text = Trim(NormalizeSpaces(templates_internal::StripToText(text)));
  if (text.empty()) {
    problems.Add("sms: renders empty");
    return problems.ToStatus(t);
  }
  RenderedSms out;
  out.text = RewriteUrls(text, in.rewrite_link);
  out.info = CountSms(out.text);
  return out;
}

}  // namespace herald
