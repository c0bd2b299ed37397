#include "templates/locale_format.h"

#include <memory>
#include <unordered_map>

#include <unicode/datefmt.h>
#include <unicode/fmtable.h>
#include <unicode/locid.h>
#include <unicode/msgfmt.h>
#include <unicode/numberformatter.h>
#include <unicode/parseerr.h>
#include <unicode/timezone.h>

#include "engine/core/time_format.h"
#include "engine/core/validate.h"

namespace herald::templates_internal {
namespace {

// Cache bounds per thread: formatters are large (tens of KiB each), results small.
constexpr size_t kMaxFormatters = 128;
constexpr size_t kMaxResults = 1024;

std::string ToUtf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// The locale for formatting: the tag with the Gregorian calendar forced.
std::optional<icu::Locale> FormattingLocale(const std::string& tag) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale loc = icu::Locale::forLanguageTag(tag, status);
  if (U_FAILURE(status) || loc.isBogus()) return std::nullopt;
  loc.setKeywordValue("calendar", "gregorian", status);
  if (U_FAILURE(status)) return std::nullopt;
  return loc;
}

template <typename V>
V* CacheFind(std::unordered_map<std::string, V>& cache, const std::string& key) {
  auto it = cache.find(key);
  return it == cache.end() ? nullptr : &it->second;
}

template <typename V>
V& CachePut(std::unordered_map<std::string, V>& cache, std::string key, V value,
            size_t max = kMaxFormatters) {
  if (cache.size() >= max) cache.clear();
  return cache.emplace(std::move(key), std::move(value)).first->second;
}

// A date formatter for (locale, zone, style), built once per thread.
Result<icu::DateFormat*> DateFormatter(const std::string& locale, const std::string& zone,
                                       DateStyle style) {
  thread_local std::unordered_map<std::string, std::unique_ptr<icu::DateFormat>> cache;
  std::string key = locale + '\n' + zone + '\n' + std::to_string(static_cast<int>(style));
  if (auto* f = CacheFind(cache, key)) return f->get();

  if (!IsKnownTimezone(zone)) {
    return Status::InvalidArgument("unknown time zone '" + zone + "'");
  }
  auto loc = FormattingLocale(locale);
  if (!loc) return Status::InvalidArgument("ICU cannot format for locale '" + locale + "'");
  std::unique_ptr<icu::DateFormat> f;
  switch (style) {
    case DateStyle::kDate:
      f.reset(icu::DateFormat::createDateInstance(icu::DateFormat::kLong, *loc));
      break;
    case DateStyle::kDateFull:
      f.reset(icu::DateFormat::createDateInstance(icu::DateFormat::kFull, *loc));
      break;
    case DateStyle::kTime:
      f.reset(icu::DateFormat::createTimeInstance(icu::DateFormat::kShort, *loc));
      break;
    case DateStyle::kDateTime:
      f.reset(icu::DateFormat::createDateTimeInstance(icu::DateFormat::kLong,
                                                      icu::DateFormat::kShort, *loc));
      break;
    case DateStyle::kDateTimeFull:
      f.reset(icu::DateFormat::createDateTimeInstance(icu::DateFormat::kFull,
                                                      icu::DateFormat::kShort, *loc));
      break;
  }
  if (!f) return Status::InvalidArgument("ICU cannot format dates for locale '" + locale + "'");
  f->adoptTimeZone(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(zone)));
  return CachePut(cache, std::move(key), std::move(f)).get();
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// -?digits[.digits][(e|E)[+-]digits]
bool IsDecimal(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (s[0] == '-') s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.remove_prefix(1);
    if (!IsDigits(exp) || exp.size() > 3) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return IsDigits(mantissa);
  return IsDigits(mantissa.substr(0, dot)) && IsDigits(mantissa.substr(dot + 1));
}

bool IsDateOnly(std::string_view s) {
  return s.size() == 10 && IsDigits(s.substr(0, 4)) && s[4] == '-' && IsDigits(s.substr(5, 2)) &&
         s[7] == '-' && IsDigits(s.substr(8, 2));
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool BracesBalance(std::string_view s) {
  int depth = 0;
  for (char c : s) {
    if (c == '{') ++depth;
    if (c == '}' && --depth < 0) return false;
  }
  return depth == 0;
}

// A MessageFormat for "{0,plural,<forms>}", built once per thread and (locale, forms).
Result<icu::MessageFormat*> PluralFormat(std::string_view forms, const std::string& locale) {
  thread_local std::unordered_map<std::string, std::unique_ptr<icu::MessageFormat>> cache;
  std::string key = locale + '\n' + std::string(forms);
  if (auto* f = CacheFind(cache, key)) return f->get();
  auto loc = FormattingLocale(locale);
  if (!loc) return Status::InvalidArgument("ICU cannot format for locale '" + locale + "'");
  std::string pattern = "{0,plural," + std::string(forms) + "}";
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  auto f = std::make_unique<icu::MessageFormat>(icu::UnicodeString::fromUTF8(pattern), *loc,
                                                parse_error, status);
  if (U_FAILURE(status)) {
    std::string why;
    if (status == U_DEFAULT_KEYWORD_MISSING) {
      why = "there is no 'other' form (every plural needs one: other{# days})";
    } else if (!BracesBalance(forms)) {
      why = "the braces { } do not match";
    } else {
      why = std::string("ICU says ") + u_errorName(status);
    }
    return Status::InvalidArgument("the plural forms are not valid: " + why +
                                   "; write them as one{# day} other{# days}");
  }
  return CachePut(cache, std::move(key), std::move(f)).get();
}

}  // namespace

Result<std::string> FormatDateText(std::string_view text, DateStyle style,
                                   const std::string& locale, const std::string& timezone) {
  text = TrimSpaces(text);
  const bool date_style = style == DateStyle::kDate || style == DateStyle::kDateFull;
  std::optional<Micros> t;
  std::string zone = timezone;
  if (IsDateOnly(text)) {
    if (!date_style) {
      return Status::InvalidArgument("is a date without a time of day; use {{#date}}");
    }
    t = ParseRfc3339(std::string(text) + "T12:00:00Z");
    zone = "UTC";  // a calendar date is the same day everywhere
    if (!t) return Status::InvalidArgument("is not a valid calendar date");
  } else {
    t = ParseRfc3339(text);
    if (!t) {
      return Status::InvalidArgument(
          "is not a timestamp (RFC 3339, such as 2026-03-12T15:30:00Z" +
          std::string(date_style ? ", or a date such as 2026-03-16)" : ")"));
    }
  }
  // Messages of one batch share dates (a due date, an interview day): formatting one
  // costs more than the rest of a subject, so results are kept per thread too.
  thread_local std::unordered_map<std::string, std::string> results;
  std::string key = std::to_string(static_cast<int>(style)) + '\n' + locale + '\n' + zone + '\n' +
                    std::to_string(*t);
  if (const std::string* hit = CacheFind(results, key)) return *hit;
  auto f = DateFormatter(locale, zone, style);
  if (!f.ok()) return f.status();
  // ICU's UDate: milliseconds, floor division for instants before 1970.
  Micros ms = *t / 1000 - ((*t % 1000) < 0 ? 1 : 0);
  icu::UnicodeString out;
  (*f)->format(static_cast<UDate>(ms), out);
  return CachePut(results, std::move(key), ToUtf8(out), kMaxResults);
}

Result<std::string> FormatNumberText(std::string_view text, const std::string& locale) {
  text = TrimSpaces(text);
  if (!IsDecimal(text)) {
    return Status::InvalidArgument("is not a number (such as 1234 or 12.5)");
  }
  thread_local std::unordered_map<std::string, icu::number::LocalizedNumberFormatter> cache;
  icu::number::LocalizedNumberFormatter* f = CacheFind(cache, locale);
  if (!f) {
    auto loc = FormattingLocale(locale);
    if (!loc) return Status::InvalidArgument("ICU cannot format for locale '" + locale + "'");
    f = &CachePut(cache, locale, icu::number::NumberFormatter::withLocale(*loc));
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::number::FormattedNumber n =
      f->formatDecimal(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), status);
  icu::UnicodeString out = n.toString(status);
  if (U_FAILURE(status)) {
    return Status::InvalidArgument("could not be formatted as a number");
  }
  return ToUtf8(out);
}

Result<std::string> FormatPluralText(std::string_view text, const std::string& locale) {
  text = TrimSpaces(text);
  size_t space = text.find_first_of(" \t\n");
  std::string_view count = text.substr(0, space);
  std::string_view forms = space == std::string_view::npos ? "" : TrimSpaces(text.substr(space));
  if (!IsDecimal(count)) {
    return Status::InvalidArgument(
        "is not a number; write the count first: {{#plural}}{{days}} one{# day} "
        "other{# days}{{/plural}}");
  }
  if (forms.empty()) {
    return Status::InvalidArgument(
        "no plural forms after the count; write them as "
        "one{# day} other{# days}");
  }
  auto f = PluralFormat(forms, locale);
  if (!f.ok()) return f.status();
  UErrorCode status = U_ZERO_ERROR;
  icu::Formattable arg(icu::StringPiece(count.data(), static_cast<int32_t>(count.size())), status);
  icu::UnicodeString out;
  icu::FieldPosition pos;
  (*f)->format(&arg, 1, out, pos, status);
  if (U_FAILURE(status)) {
    return Status::InvalidArgument("the plural forms could not be applied to the count");
  }
  return ToUtf8(out);
}

Status CheckPluralForms(std::string_view forms, const std::string& locale) {
  forms = TrimSpaces(forms);
  if (forms.empty()) {
    return Status::InvalidArgument(
        "no plural forms after the count; write them as "
        "one{# day} other{# days}");
  }
  auto f = PluralFormat(forms, locale);
  return f.ok() ? Status::Ok() : f.status();
}

bool IsRightToLeft(std::string_view locale) {
  // Asked for every email; parsing the tag with ICU costs more than the answer is worth
  // recomputing, and a thread sees few locales.
  thread_local std::unordered_map<std::string, bool> cache;
  std::string key(locale);
  if (const bool* rtl = CacheFind(cache, key)) return *rtl;
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale loc = icu::Locale::forLanguageTag(key, status);
  const bool rtl = !U_FAILURE(status) && !loc.isBogus() && loc.isRightToLeft();
  return CachePut(cache, std::move(key), rtl, kMaxResults);
}

}  // namespace herald::templates_internal
