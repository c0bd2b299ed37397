// One message template: a template id in one locale, parsed from
// `<templates dir>/<template-id>/<locale>.md`.
//
// The file is YAML front matter between two `---` lines with exactly two keys, `subject:`
// (the email subject) and `sms:` (the SMS text), then the email body in Markdown. All three
// are Mustache templates (docs/templates.md). A MessageTemplate is an immutable value once
// parsed; copies share the parsed (compiled) form, and rendering one from many threads at
// once is safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"  // ConfigError
#include "engine/core/result.h"

namespace herald {

namespace templates_internal {
struct CompiledTemplate;
}

// A 1-based position in a template file; {0, 0} when unknown.
struct TextPosition {
  int line = 0;
  int column = 0;  // bytes from the start of the line, as in every herald error position
  bool operator==(const TextPosition&) const = default;
};

struct MessageTemplate {
  std::string id;       // the directory name: [a-z0-9_-]{1,64}
  std::string locale;   // BCP 47, as the file name writes it ("es", "zh-Hans")
  std::string file;     // the path it was read from (or the name given to ParseTemplate)
  std::string subject;  // Mustache source, one line
  std::string sms;      // Mustache source; may contain line breaks
  std::string body;     // Markdown + Mustache: everything after the closing '---' line
  TextPosition subject_at, sms_at, body_at;  // where each starts in the file
  // The parsed form, shared by copies; set by ParseTemplate. A MessageTemplate built by
  // hand (compiled == nullptr) is parsed on every render: slower, same result.
  std::shared_ptr<const templates_internal::CompiledTemplate> compiled;
};

// Parses the text of one template file. `file` names it in error positions; `id` and
// `locale` are taken as given (TemplateSet::Load checks them against the path).
// Every problem is reported, as "file:line:column: message" lines in the InvalidArgument
// status and, when `errors` is given, appended to it in file order: front matter that is
// missing, not closed or not valid YAML; unknown keys; a missing, empty or non-string
// subject or sms; control characters in them (a line break in the subject); an empty body;
// ill-formed UTF-8; and every Mustache problem (unclosed tags and sections, bad names,
// partials, delimiter changes, unescaped output, helpers used wrongly, invalid plural
// forms) at its own line and column.
Result<MessageTemplate> ParseTemplate(std::string_view text, const std::string& file,
                                      const std::string& id, const std::string& locale,
                                      std::vector<ConfigError>* errors = nullptr);

enum class TemplatePart { kSubject, kSms, kBody };
std::string_view PartName(TemplatePart part);  // "subject", "sms", "body"

// A name the template reads from the data.
struct VariableUse {
  std::string name;  // as written: "due_date", "event.data.benefit_amount", "documents"
  TemplatePart part;
  TextPosition at;  // the tag's "{{" in the file
  // {{#name}}, {{^name}} or {{#name=value}}: a section, for which a missing value is false.
  // Otherwise a variable {{name}}, which must be present when it is rendered.
  bool section = false;
  // Not inside any section: a variable that every render needs. A name inside a section
  // may be relative to the section's value (a field of a list item).
  bool top_level = false;
};

// Every variable and section name of the subject, SMS and body, in that order and in text
// order; helper sections ({{#date}}) and the current item ({{.}}) are left out.
std::vector<VariableUse> TemplateVariableUses(const MessageTemplate& t);

// The distinct names of TemplateVariableUses, sorted: what `herald validate` compares with
// sample data.
std::vector<std::string> TemplateVariables(const MessageTemplate& t);

}  // namespace herald
