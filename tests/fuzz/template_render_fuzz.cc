// Fuzzes the template renderer (templates/render.h) in two modes.
//
// Data mode (the input does not start with "---"): the templates are fixed (every sample
// of samples/templates, and kContexts below, which puts values in every Markdown context
// a template may use) and the case data is fuzzed. Input: NUL-separated fields; the
// first picks the template ("documents-reminder/es", "contexts/en"; anything else by its
// bytes), the others replace, in order, the string values of the template's sample data
// (timestamps and dates are kept, so the helpers still render). Properties:
// - data is never markup: rendering the same data with every '<' replaced by a marker
//   ('¡', also punctuation for CommonMark) gives the same HTML once each escaped '<'
//   ("&lt;", or "%3C" in a URL) and each marker (as is, or "%C2%A1") are written as one
//   symbol. A '<' from the data that reached the HTML unescaped would show as a '<'
//   where the other render has a marker. And no "<script" ever appears;
// - no CR or LF from data reaches a header: the subject is one non-empty trimmed line
//   without control characters; the SMS has no CR, and the same line breaks as with
//   the data's line breaks made spaces; the plain text has no control character but
//   LF and TAB;
// - in both modes, every tag in the HTML is one the layout or CommonMark writes (so no
//   markup from a template or data, whatever its name), and no href or src holds a
//   javascript:, vbscript:, file: or non-image data: URL.
// Template mode (the input starts with "---"): the input is a template file. Whatever
// ParseTemplate accepts renders (with every variable it reads set to "<xss>" text, then
// to a timestamp) with the same header properties, and no "<xss" in the HTML: neither
// HTML written in the template nor a value from the data reaches it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/time_format.h"
#include "templates/message_template.h"
#include "templates/render.h"
#include "templates/template_set.h"
#include "tests/fuzz/fuzz_util.h"

namespace herald {
namespace {

using nlohmann::json;

const std::string kSamples = HERALD_SOURCE_DIR "/samples/templates";
constexpr std::string_view kMarker = "\xC2\xA1";  // U+00A1, a Unicode punctuation mark

// Values in the Markdown contexts templates use (docs/templates.md; not code spans or
// angle-bracket links, where Markdown shows escapes literally).
constexpr std::string_view kContexts = R"(---
subject: "{{title}} for {{name}}"
sms: "{{name}}: {{title}} {{#items}}{{.}}, {{/items}}{{url}}"
---
# {{title}}

Hello **{{name}}**, *{{title}}*, _{{note}}_ and a*{{name}}*b.

{{name}}'s note: {{note}}

> {{note}}

- {{title}}
- {{#items}}{{.}}; {{/items}}

1. {{name}}

[{{title}}]({{url}}) and ![{{name}}]({{url}})

## {{#urgent}}Urgent: {{/urgent}}{{note}}

{{#items}}
* {{.}}
{{/items}}
{{#status=approved}}Approved for {{name}}.{{/status=approved}}

Due {{#date}}{{due}}{{/date}}: ${{#number}}{{amount}}{{/number}}, {{#plural}}{{count}} one{# visit for {{name}}} other{# visits for {{name}}}{{/plural}}.

| {{title}} | {{name}} |
| --- | --- |
| {{note}} | x |
)";

struct Case {
  MessageTemplate tpl;
  json data;
};

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  Result<TemplateSet> set = TemplateSet::Load(kSamples);
  HERALD_FUZZ_CHECK(set.ok());
  for (const std::string& id : set->Ids()) {
    std::ifstream in(kSamples + "/" + id + "/sample.json");
    json sample = json::parse(in, nullptr, false);
    if (sample.is_array()) sample = sample.at(0);
    HERALD_FUZZ_CHECK(sample.is_object());
    for (const std::string& locale : set->Locales(id)) {
      cases.push_back({*set->Find(id, locale), sample});
    }
  }
  Result<MessageTemplate> contexts = ParseTemplate(kContexts, "contexts/en.md", "contexts", "en");
  HERALD_FUZZ_CHECK(contexts.ok());
  cases.push_back({*contexts, json::parse(R"({"title": "Your case", "name": "Ana",
      "note": "bring your ID", "url": "https://benefits.example.org/upload",
      "items": ["pay stubs", "a lease"], "urgent": true, "status": "approved",
      "due": "2026-03-16", "amount": 291.5, "count": 2})")});
  return cases;
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = LoadCases();
  return cases;
}

RenderInput Input(json data, const std::string& locale) {
  RenderInput in;
  in.data = std::move(data);
  in.locale = locale;
  in.timezone = "America/Chicago";
  in.branding.name = "County Human Services";
  in.branding.logo_url = "https://cdn.example.org/logo.png";
  in.branding.footer = "You get this message because you have a case with us.";
  in.branding.address = "100 Main St\nSpringfield, IL 62701";
  in.branding.help_url = "https://benefits.example.org/help";
  in.unsubscribe_url = "https://benefits.example.org/u/token";
  return in;
}

bool IsTimeOrDate(const std::string& s) {
  return ParseRfc3339(s) || ParseRfc3339(s + "T00:00:00Z");
}

// Replaces the string leaves of `j` (not timestamps or dates) by the next fields.
void Fill(json& j, const std::vector<std::string>& fields, size_t* next) {
  if (j.is_object() || j.is_array()) {
    for (json& child : j) Fill(child, fields, next);
  } else if (j.is_string() && *next < fields.size() && !IsTimeOrDate(j.get<std::string>())) {
    j = fields[(*next)++];
  }
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The HTML with each escaped '<' and each marker as one symbol (see the top).
std::string Normalized(const std::string& html) {
  std::string s = Replace(html, "&lt;", "\x01");
  s = Replace(s, kMarker, "\x01");
  for (std::string_view url : {"%3C", "%3c", "%C2%A1", "%c2%a1"}) s = Replace(s, url, "\x02");
  return s;
}

// Every '<' in the HTML opens a tag the layout or CommonMark writes, or a comment (cmark's
// "<!-- raw HTML omitted -->"): markup from a template or from data never gets through,
// whatever its tag name. A check on names alone ("<script") would miss "<img onerror=".
bool OnlyKnownTags(std::string_view html) {
  static constexpr std::string_view kTags[] = {
      "html", "head", "meta", "title",  "body",       "table", "tr",   "td", "div", "p",
      "a",    "img",  "br",   "strong", "em",         "h1",    "h2",   "h3", "h4",  "h5",
      "h6",   "ul",   "ol",   "li",     "blockquote", "pre",   "code", "hr"};
  for (size_t lt = html.find('<'); lt != std::string_view::npos; lt = html.find('<', lt + 1)) {
    std::string_view rest = html.substr(lt + 1);
    if (rest.starts_with("!--") || (lt == 0 && rest.starts_with("!DOCTYPE html>"))) continue;
    if (rest.starts_with('/')) rest.remove_prefix(1);
    const size_t end = rest.find_first_of(" />");
    if (end == std::string_view::npos) return false;
    if (std::find(std::begin(kTags), std::end(kTags), rest.substr(0, end)) == std::end(kTags)) {
      return false;
    }
  }
  return true;
}

// No link or image points to a script: CommonMark's safe mode empties such URLs, whether
// the template or the data wrote them. (`lower` is the HTML in lower case.)
bool NoScriptUrls(std::string_view lower) {
  for (std::string_view attr : {"href=\"", "src=\""}) {
    for (size_t at = lower.find(attr); at != std::string_view::npos;
         at = lower.find(attr, at + 1)) {
      const std::string_view url = lower.substr(at + attr.size());
      for (std::string_view scheme : {"javascript:", "vbscript:", "file:"}) {
        if (url.starts_with(scheme)) return false;
      }
      if (url.starts_with("data:") && !url.starts_with("data:image/")) return false;
    }
  }
  return true;
}

bool HasControl(std::string_view s, std::string_view allowed) {
  return std::any_of(s.begin(), s.end(), [&](char c) {
    return (static_cast<uint8_t>(c) < 0x20 || c == 0x7f) && allowed.find(c) == s.npos;
  });
}

void CheckEmail(const RenderedEmail& e) {
  HERALD_FUZZ_CHECK(!e.subject.empty() && fuzz::IsValidUtf8(e.subject));
  HERALD_FUZZ_CHECK(!HasControl(e.subject, ""));
  HERALD_FUZZ_CHECK(e.subject.front() != ' ' && e.subject.back() != ' ');
  HERALD_FUZZ_CHECK(e.html.starts_with("<!DOCTYPE html>") && fuzz::IsValidUtf8(e.html));
  std::string lower = e.html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  HERALD_FUZZ_CHECK(lower.find("<script") == std::string::npos);
  HERALD_FUZZ_CHECK(lower.find("<xss") == std::string::npos);
  HERALD_FUZZ_CHECK(OnlyKnownTags(e.html));
  HERALD_FUZZ_CHECK(NoScriptUrls(lower));
  HERALD_FUZZ_CHECK(fuzz::IsValidUtf8(e.text) && !HasControl(e.text, "\n\t"));
}

void CheckSms(const RenderedSms& s) {
  HERALD_FUZZ_CHECK(!s.text.empty() && fuzz::IsValidUtf8(s.text));
  HERALD_FUZZ_CHECK(!HasControl(s.text, "\n"));
  const SmsInfo info = CountSms(s.text);
  HERALD_FUZZ_CHECK(s.info.segments == info.segments && s.info.units == info.units);
}

void FuzzData(const std::vector<std::string_view>& input) {
  const std::vector<Case>& cases = Cases();
  const Case* c = nullptr;
  for (const Case& candidate : cases) {
    if (input[0] == candidate.tpl.id + "/" + candidate.tpl.locale) c = &candidate;
  }
  if (c == nullptr) {
    size_t pick = 0;
    for (char ch : input[0]) pick = pick * 31 + static_cast<uint8_t>(ch);
    c = &cases[pick % cases.size()];
  }
  std::vector<std::string> fields, marked, spaced;
  for (size_t i = 1; i < input.size(); ++i) {
    fields.push_back(Replace(fuzz::ValidUtf8(input[i]), kMarker, "!"));
    marked.push_back(Replace(fields.back(), "<", kMarker));
    spaced.push_back(Replace(Replace(fields.back(), "\r", " "), "\n", " "));
  }
  json data = c->data, data_marked = c->data, data_spaced = c->data;
  size_t n = 0, n_marked = 0, n_spaced = 0;
  Fill(data, fields, &n);
  Fill(data_marked, marked, &n_marked);
  Fill(data_spaced, spaced, &n_spaced);

  const Result<RenderedEmail> email = RenderEmail(c->tpl, Input(data, c->tpl.locale));
  const Result<RenderedEmail> email_marked = RenderEmail(c->tpl, Input(data_marked, c->tpl.locale));
  HERALD_FUZZ_CHECK(email.ok() == email_marked.ok());
  if (email.ok()) {
    fuzz::FailureContext() = email->html + "\n----\n" + email_marked->html;
    CheckEmail(*email);
    CheckEmail(*email_marked);
    HERALD_FUZZ_CHECK(Normalized(email->html) == Normalized(email_marked->html));
  }
  const Result<RenderedSms> sms = RenderSms(c->tpl, Input(data, c->tpl.locale));
  const Result<RenderedSms> sms_spaced = RenderSms(c->tpl, Input(data_spaced, c->tpl.locale));
  HERALD_FUZZ_CHECK(sms.ok() == sms_spaced.ok());
  if (sms.ok()) {
    CheckSms(*sms);
    HERALD_FUZZ_CHECK(std::count(sms->text.begin(), sms->text.end(), '\n') ==
                      std::count(sms_spaced->text.begin(), sms_spaced->text.end(), '\n'));
  }
}

// Sets `name` ("a.b.c") in `data` to `value`, unless a prefix of it holds a non-object.
void SetPath(json& data, std::string_view name, const json& value) {
  json* at = &data;
  while (true) {
    const size_t dot = name.find('.');
    const std::string part(name.substr(0, dot));
    if (!at->is_object()) return;
    if (dot == std::string_view::npos) {
      (*at)[part] = value;
      return;
    }
    at = &(*at)[part];
    if (at->is_null()) *at = json::object();
    name.remove_prefix(dot + 1);
  }
}

void FuzzTemplate(std::string_view text) {
  const Result<MessageTemplate> t = ParseTemplate(text, "fuzz/en.md", "fuzz", "en");
  if (!t.ok()) {
    HERALD_FUZZ_CHECK(!t.status().message().empty());
    return;
  }
  // A value with a line break, the same without, a timestamp and a number: whatever
  // renders meets the header properties, and the first two give the same SMS lines.
  const json values[] = {json("<xss>a</xss>\r\nBcc: x@example.org"),
                         json("<xss>a</xss>  Bcc: x@example.org"), json("2026-03-12T15:30:00Z"),
                         json(3)};
  long sms_lines[2] = {-1, -1};
  for (size_t v = 0; v < std::size(values); ++v) {
    json data = json::object();
    for (const VariableUse& use : TemplateVariableUses(*t)) {
      if (use.name != ".") SetPath(data, use.name, values[v]);
    }
    const Result<RenderedEmail> email = RenderEmail(*t, Input(data, "en"));
    if (email.ok()) CheckEmail(*email);
    const Result<RenderedSms> sms = RenderSms(*t, Input(data, "en"));
    if (sms.ok()) {
      CheckSms(*sms);
      if (v < 2) sms_lines[v] = std::count(sms->text.begin(), sms->text.end(), '\n');
    }
  }
  HERALD_FUZZ_CHECK(sms_lines[0] == sms_lines[1]);
}

}  // namespace
}  // namespace herald

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = herald::fuzz::AsText(data, size);
  if (text.starts_with("---")) {
    herald::FuzzTemplate(text);
  } else {
    herald::FuzzData(herald::fuzz::SplitFields(text));
  }
  return 0;
}
