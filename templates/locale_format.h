// ICU formatting behind the template helpers ({{#date}}, {{#number}}, {{#plural}}, ...):
// dates and times in a locale and time zone, numbers, and plural forms. Internal to
// herald_templates (the helpers' syntax is in docs/templates.md).
//
// Thread-safe: every function keeps its ICU formatters in thread_local caches keyed by
// (locale, time zone, style), so a formatter is built once per thread and never shared
// between threads (ICU's DateFormat and MessageFormat are not safe for concurrent use).
// Each cache is cleared when it grows past a few hundred entries, which bounds memory
// whatever locales and zones callers pass.
//
// Dates are always in the Gregorian calendar, whatever the locale's default (ar-SA,
// fa or th would otherwise get the Islamic, Persian or Buddhist calendar): appointment
// dates must match the agency's calendar. Digits follow the locale (Arabic-Indic for ar).
#pragma once

#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace herald::templates_internal {

enum class DateStyle {
  kDate,          // long date: "March 16, 2026", "16 de marzo de 2026", "2026年3月16日"
  kDateFull,      // with the weekday: "Monday, March 16, 2026"
  kTime,          // short time: "10:30 AM" (U+202F before AM in ICU 72), "10:30"
  kDateTime,      // long date and short time: "March 12, 2026 at 10:30 AM"
  kDateTimeFull,  // full date and short time: "Thursday, March 12, 2026 at 10:30 AM"
};

// `text` is an RFC 3339 date-time (engine/core/time_format.h), shown in `timezone`; for
// kDate and kDateFull it may also be a calendar date YYYY-MM-DD, shown as that date
// whatever the zone. `locale` is a BCP 47 tag; `timezone` an IANA id.
// Errors (InvalidArgument): not a timestamp, a date given where a time is needed, an unknown
// time zone, a locale ICU cannot format. Messages about the value never quote it (it may
// be personal data) and read as a predicate: "is not a timestamp (RFC 3339, ...)", for the
// caller to prefix with what was formatted.
Result<std::string> FormatDateText(std::string_view text, DateStyle style,
                                   const std::string& locale, const std::string& timezone);

// `text` is a decimal number (-?digits[.digits][e[+-]digits], at most 64 bytes), formatted
// with the locale's separators and digits, rounded to at most 6 fraction digits: "1,234.5",
// "1.234,5", "١٬٢٣٤٫٥".
Result<std::string> FormatNumberText(std::string_view text, const std::string& locale);

// `text` is "<count> <forms>": a number as for FormatNumberText, then ICU plural forms
// (the inside of a MessageFormat plural argument): "3 one{# day} other{# days}". Chooses
// the form by the locale's plural rules (CLDR: zero, one, two, few, many, other, or =N for
// an exact value) and replaces # with the count formatted for the locale.
Result<std::string> FormatPluralText(std::string_view text, const std::string& locale);

// Checks plural forms as written in a template, at load time: OK, or InvalidArgument with
// what is wrong (unbalanced braces, no `other` form, an unknown keyword).
Status CheckPluralForms(std::string_view forms, const std::string& locale);

// True for locales written right to left: ar, he, fa, ur (and their regional variants),
// and every other locale whose likely script is right-to-left (ICU's Locale::isRightToLeft).
bool IsRightToLeft(std::string_view locale);

}  // namespace herald::templates_internal
