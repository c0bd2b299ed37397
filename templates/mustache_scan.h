// The Mustache tags of one template part, found and checked before kainjow parses it.
// Internal to herald_templates.
//
// kainjow reports a parse problem as a byte offset in English ("Unclosed tag at 12") and
// renders a missing variable as nothing. herald wants every problem of a file at once with
// its line and column, and a missing variable to be an error. So each part is scanned here
// first: the scanner follows kainjow 4.1's tokenizer exactly (same tag start and end, same
// trimming), checks what kainjow would accept and what herald does not allow, and rewrites
// the source kainjow gets:
// - every variable tag `{{name}}` becomes `{{@name}}`, so the render context
//   (render_context.h) can tell a variable lookup (a missing name is an error) from a
//   section lookup (a missing name is false);
// - standalone lines (only section, inverted, close and comment tags and whitespace on
//   the line) lose their whitespace and line break, as the Mustache spec says, so a false
//   section leaves no blank line behind (kainjow 4.1 only does this for true sections);
// - kLineKeeper follows every section, inverted and close tag. kainjow drops any line that
//   is blank after a section tag was rendered on it, which after the step above would
//   drop real blank lines (the paragraph break after a list); the keeper makes such lines
//   non-blank for kainjow and is removed from the output (and from a helper's text).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::templates_internal {

// The character added after block tags in the kainjow source (ASCII record separator; the
// loader rejects control characters in templates and values never keep them).
inline constexpr char kLineKeeper = '\x1e';

enum class TagKind {
  kVariable,  // {{name}}
  kSection,   // {{#name}}
  kInverted,  // {{^name}}
  kClose,     // {{/name}}
  kComment,   // {{! ... }}
};

struct MustacheTag {
  TagKind kind = TagKind::kVariable;
  std::string name;        // as written, trimmed ("recipient.first_name", ".", "status=approved")
  size_t offset = 0;       // byte offset of "{{" in the part's text
  size_t end = 0;          // byte offset just after the closing "}}"
  int depth = 0;           // number of enclosing sections
  int data_depth = 0;      // number of enclosing sections that are not helpers
  size_t name_offset = 0;  // variables: byte offset of the name
  bool in_helper = false;  // inside a helper section ({{#date}}...{{/date}})
};

struct ScanError {
  size_t offset = 0;  // byte offset in the part's text
  std::string message;
};

struct ScanResult {
  std::vector<MustacheTag> tags;  // every tag in text order, closes included
  std::vector<ScanError> errors;  // empty: the part is valid
  std::string kainjow_source;     // the text kainjow parses (see above); empty on errors
};

// The helpers: section names that call a formatter instead of reading the data
// (docs/templates.md). A helper name is never looked up in the data as a section.
bool IsHelperName(std::string_view name);

// Scans one part (subject, sms or body).
ScanResult ScanMustache(std::string_view text);

// The data path a section or variable name reads: "status" for "status=approved", the name
// itself otherwise; empty for "." and ".=value" (the current item).
std::string_view DataPathOf(std::string_view name);

}  // namespace herald::templates_internal
