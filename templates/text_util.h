// Small text functions shared by the renderer: UTF-8 decoding, escaping for each part of a
// message and control-character stripping. Internal to herald_templates.
//
// Pure functions on their arguments, safe on any input (ill-formed UTF-8 reads as U+FFFD);
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace herald::templates_internal {

// The code point starting at byte `*i` of `s`; advances `*i` past it. An ill-formed
// sequence reads as U+FFFD and advances one byte. `*i` must be < s.size().
char32_t DecodeUtf8(std::string_view s, size_t* i);

void AppendUtf8(std::string* out, char32_t cp);

// C0 (U+0000..U+001F), DEL, C1 (U+0080..U+009F), U+2028 and U+2029.
bool IsControl(char32_t cp);

// For one-line parts (email subject, SMS): line breaks, tabs and the Unicode line and
// paragraph separators become one space each; every other control character is removed.
// The result never contains CR or LF, so it is safe in a mail header.
std::string StripToLine(std::string_view s);

// For the plain-text email part: CR LF and lone CR become LF; LF and tab are kept; every
// other control character is removed.
std::string StripToText(std::string_view s);

// A case value as Markdown text: StripToLine, surrounding spaces trimmed, then every ASCII
// punctuation character backslash-escaped (CommonMark 2.4), so nothing in the value can
// become markup: no link, emphasis, heading, list, HTML or entity. (The escapes do not
// work inside code spans and autolinks, so templates must not put values there.)
std::string MarkdownEscape(std::string_view s);

// &, <, >, " and ' as character references: safe in element content and quoted attributes.
std::string HtmlEscape(std::string_view s);

// ASCII lower case.
std::string AsciiLower(std::string_view s);

}  // namespace herald::templates_internal
