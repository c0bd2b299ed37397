// Rendering one compiled template part with kainjow against JSON data. Internal to
// herald_templates.
//
// kainjow renders from its own `data` tree through a `basic_context`. JsonContext is a
// context over nlohmann::json that converts only what the template reads (a
// `data` stand-in per value looked up), reports missing variables instead of printing
// nothing, and resolves the helpers ({{#date}}...) for section tags.
//
// Compiled templates are shared between threads, so everything that varies per render
// (the escaping of the part, the locale and zone of the helpers, the errors found) lives
// in a RenderState that RenderPart makes current for the calling thread (a thread_local
// pointer) while it renders. The escape function and helper lambdas installed in the
// shared templates read it. kainjow's render does not modify a template that parsed
// without error and has no partials (herald forbids them), so concurrent renders of one
// compiled template are safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "templates/message_template.h"
#include "templates/mustache_scan.h"

namespace herald::templates_internal {

// How values are escaped in the part being rendered.
enum class EscapeMode {
  kLine,           // subject and SMS: StripToLine
  kRaw,            // inside a helper: the value as is, for parsing
  kMessageFormat,  // inside {{#plural}}: quoted for ICU MessageFormat
  // The email body, rendered once for both email parts: StripToText, between
  // kValueStart and kValueEnd; SplitMarked then makes the Markdown and the text versions.
  kMarked,
};

inline constexpr char kValueStart = '\x02';
inline constexpr char kValueEnd = '\x03';

// Splits a kMarked render into the Markdown source (each marked value MarkdownEscape'd)
// and the plain text (values as they are). Templates cannot contain the markers (the
// loader rejects control characters) and values never keep them (StripToText).
void SplitMarked(std::string_view marked, std::string* markdown, std::string* text);

// One part of a template, parsed once.
struct CompiledPart {
  std::string source;                // the part's text as written
  ScanResult scan;                   // tags and the rewritten kainjow source
  std::vector<TextPosition> tag_at;  // file position of each scan.tags[i] (0,0 when unknown)
  // Parsed by kainjow, escape handler installed; null when the part did not parse. Only
  // ever rendered (never mutated) after construction: see the comment at the top.
  std::unique_ptr<kainjow::mustache::mustache> tmpl;
};

struct CompiledTemplate {
  CompiledPart subject;
  CompiledPart sms;
  CompiledPart body;
};

// Scans and parses `source`. Problems are in part.scan.errors (kainjow's own message is
// added, at offset 0, if it rejects what the scanner accepted).
CompiledPart CompilePart(std::string_view source);

// `t.compiled`, or a fresh compile of its parts when it has none (a hand-built template;
// tag positions are then unknown).
std::shared_ptr<const CompiledTemplate> CompiledOf(const MessageTemplate& t);

struct RenderState {
  const nlohmann::json* data = nullptr;  // the root object
  std::string locale;                    // for the helpers' ICU formatting
  std::string timezone;                  // IANA id for the time helpers
  EscapeMode escape = EscapeMode::kLine;
  std::string_view part;  // "subject", "sms", "body": prefixes error messages

  std::vector<std::string> missing;  // variable paths not in the data, unique, in order
  std::vector<std::string> errors;   // other problems, each prefixed with the part
  // internal bookkeeping
  size_t missing_events = 0;
  std::vector<std::string>* used = nullptr;  // collects variable paths inside a helper
};

// Renders `part` with `state` current on this thread. The result is meaningful only when
// state->missing and state->errors are still empty afterwards.
std::string RenderPart(const CompiledPart& part, RenderState* state);

// `value` escaped for `mode`.
std::string EscapeValue(const std::string& value, EscapeMode mode);

}  // namespace herald::templates_internal
