#include "engine/api/event_parser.h"

#include <algorithm>
#include <climits>
#include <exception>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/core/time_format.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxValueBytes = 200;    // EventError::value
constexpr size_t kMaxMessageBytes = 300;  // text quoted from the JSON parser

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence; marks the cut.
std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out(s.substr(0, n));
  out += "...";
  return out;
}

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), IsJsonSpace);
}

int ClampToInt(size_t v) {
  return v > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(v);
}

struct Position {
  int line;
  int column;
};

// 1-based line and byte column of `offset` in `text`; offset == text.size() is the end.
Position PositionOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {ClampToInt(line), ClampToInt(offset - line_start + 1)};
}

ParsedBatch Fail(int http_status, std::string code, std::string message, Position pos = {0, 0}) {
  ParsedBatch batch;
  batch.failure =
      ParseFailure{http_status, std::move(code), std::move(message), pos.line, pos.column, {}};
  return batch;
}

// Offset of the '{' or '[' that opens nesting level limit+1, or npos. Skips strings
// (a backslash skips the byte after it), so brackets inside strings do not count; on
// the prefix of `text` that is valid JSON it counts exactly what a JSON parser would.
size_t FindTooDeep(std::string_view text, uint64_t limit) {
  uint64_t depth = 0;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    switch (text[i]) {
      case '"':
        for (++i; i < n && text[i] != '"'; ++i) {
          if (text[i] == '\\') ++i;
        }
        break;
      case '{':
      case '[':
        if (++depth > limit) return i;
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

// Where the token `token` (a number nlohmann could not represent) first appears outside
// a string, for the position of an overflow error; 0 if it cannot be found.
size_t FindToken(std::string_view text, std::string_view token) {
  if (token.empty()) return 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (text.substr(i, token.size()) == token) {
      return i;
    }
  }
  return 0;
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while
// parsing value - invalid literal; last read: 'tru'" -> "syntax error while parsing
// value - invalid literal; last read: 'tru'". The position is dropped because nlohmann
// counts it in the text it was given (one NDJSON line), not in the body.
std::string CleanParserMessage(std::string_view what) {
  if (size_t p = what.find("] "); p != std::string_view::npos) what.remove_prefix(p + 2);
  if (what.starts_with("parse error")) {
    if (size_t p = what.find(": "); p != std::string_view::npos) what.remove_prefix(p + 2);
  }
  return Truncate(what, kMaxMessageBytes);
}

// Parses `text` (the body, or one NDJSON line starting at body line `first_line`) or
// describes why it is not JSON.
std::optional<ParseFailure> ParseJson(std::string_view text, int first_line, json* out) {
  size_t offset;
  std::string detail;
  try {
    *out = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true);
    return std::nullopt;
  } catch (const json::parse_error& e) {
    offset = e.byte > 0 ? e.byte - 1 : 0;  // byte is 1-based: the last character read
    detail = CleanParserMessage(e.what());
  } catch (const json::out_of_range& e) {  // a number too large for a double (406)
    detail = CleanParserMessage(e.what());
    std::string_view w = e.what();
    const size_t open = w.find('\''), close = w.rfind('\'');
    offset = open < close && close != std::string_view::npos
                 ? FindToken(text, w.substr(open + 1, close - open - 1))
                 : 0;
  }
  Position pos = PositionOf(text, offset);
  pos.line += first_line - 1;
  ParseFailure f{400, "invalid_json", {}, pos.line, pos.column, {}};
  f.message = "invalid JSON at line " + std::to_string(pos.line) + ", column " +
              std::to_string(pos.column) + ": " + detail;
  return f;
}

// Text of a scalar for EventError::value: strings raw, other scalars as JSON.
std::string ScalarText(const json& v) {
  if (v.is_string()) return Truncate(v.get_ref<const std::string&>(), kMaxValueBytes);
  if (v.is_structured()) return "";
  return Truncate(v.dump(), kMaxValueBytes);
}

bool IsTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

// Validates events one by one, collecting every error, and builds Events by moving
// strings and data out of the parsed JSON.
class EventValidator {
 public:
  explicit EventValidator(const ParseLimits& limits) : limits_(limits) {}

  // Validates `v` as event `index`; on success appends it to `events` (moving out of v).
  void Add(json& v, int64_t index, std::vector<Event>* events) {
    index_ = index;
    const size_t errors_before = error_count_;
    if (!v.is_object()) {
      Error("", ScalarText(v), "must be a JSON object");
    } else {
      Event e;
      ReadEvent(v.get_ref<json::object_t&>(), &e);
      if (error_count_ == errors_before) events->push_back(std::move(e));
    }
    if (error_count_ != errors_before) ++invalid_events_;
  }

  size_t invalid_events() const { return invalid_events_; }

  ParseFailure TakeFailure() {
    ParseFailure f;
    f.http_status = 400;
    f.code = "invalid_event";
    f.message = std::to_string(invalid_events_) +
                (invalid_events_ == 1 ? " event is invalid" : " events are invalid") +
                "; nothing was written";
    if (error_count_ > errors_.size()) {
      f.message += " (showing the first " + std::to_string(errors_.size()) + " of " +
                   std::to_string(error_count_) + " errors)";
    }
    f.errors = std::move(errors_);
    return f;
  }

 private:
  void Error(std::string field, std::string value, std::string message) {
    ++error_count_;
    if (errors_.size() < kMaxEventErrors) {
      errors_.push_back({index_, std::move(field), std::move(value), std::move(message)});
    }
  }

  void ReadEvent(json::object_t& obj, Event* e) {
    bool has_id = false, has_case = false, has_type = false, has_time = false;
    for (auto& [key, v] : obj) {
      if (key == "id") {
        has_id = true;
        TakeIdentifier(v, "id", false, &e->id);
      } else if (key == "case_id") {
        has_case = true;
        TakeIdentifier(v, "case_id", false, &e->case_id);
      } else if (key == "type") {
        has_type = true;
        TakeIdentifier(v, "type", true, &e->type);
      } else if (key == "occurred_at") {
        has_time = true;
        TakeTimestamp(v, e);
      } else if (key == "data") {
        TakeData(v, e);
      } else if (key == "recipient") {
        if (!v.is_null()) ReadRecipient(v, e);
      } else {
        Error(Truncate(key, kMaxValueBytes), ScalarText(v), "unknown field");
      }
    }
    if (!has_id) Error("id", "", "required field is missing");
    if (!has_case) Error("case_id", "", "required field is missing");
    if (!has_type) Error("type", "", "required field is missing");
    if (!has_time) Error("occurred_at", "", "required field is missing");
  }

  // A non-empty string of bounded length without control characters (ids, type).
  void TakeIdentifier(json& v, std::string_view field, bool is_type, std::string* out) {
    if (!v.is_string()) {
      Error(std::string(field), ScalarText(v), "must be a string");
      return;
    }
    std::string& s = v.get_ref<std::string&>();
    std::string problem;
    if (s.empty()) {
      problem = "must not be empty";
    } else if (s.size() > limits_.max_string_bytes) {
      problem = "longer than " + std::to_string(limits_.max_string_bytes) + " bytes";
    } else if (ContainsControl(s)) {
      problem = "must not contain control characters";
    } else if (is_type && !std::all_of(s.begin(), s.end(), IsTypeChar)) {
      problem = "may contain only letters, digits, '_', '.', ':' and '-'";
    }
    if (!problem.empty()) {
      Error(std::string(field), Truncate(s, kMaxValueBytes), std::move(problem));
      return;
    }
    *out = std::move(s);
  }

  void TakeTimestamp(json& v, Event* e) {
    if (!v.is_string()) {
      Error("occurred_at", ScalarText(v), "must be a string");
      return;
    }
    std::string& s = v.get_ref<std::string&>();
    const std::optional<Micros> t = ParseRfc3339(s);
    if (!t) {
      Error("occurred_at", Truncate(s, kMaxValueBytes),
            "not an RFC 3339 timestamp (e.g. 2026-03-01T09:30:00Z)");
      return;
    }
    e->occurred_at_us = *t;
    e->occurred_at = std::move(s);
  }

  void TakeData(json& v, Event* e) {
    if (v.is_null()) return;  // same as absent
    if (!v.is_object()) {
      Error("data", ScalarText(v), "must be an object");
      return;
    }
    std::string path, value, message;
    if (!CheckDataStrings(v, &path, &value, &message)) {
      Error("data" + path, std::move(value), std::move(message));
      return;
    }
    e->data = std::move(v);
  }

  // Finds the first key or string value in `v` longer than max_string_bytes; builds its
  // path on the way back up. Recursion is bounded by max_depth (checked before parsing).
  bool CheckDataStrings(const json& v, std::string* path, std::string* value,
                        std::string* message) {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s.size() <= limits_.max_string_bytes) return true;
      *value = Truncate(s, kMaxValueBytes);
      *message = "string longer than " + std::to_string(limits_.max_string_bytes) + " bytes";
      return false;
    }
    if (v.is_object()) {
      for (const auto& [key, child] : v.get_ref<const json::object_t&>()) {
        if (key.size() > limits_.max_string_bytes) {
          *path = "." + Truncate(key, kMaxValueBytes);
          *message = "key longer than " + std::to_string(limits_.max_string_bytes) + " bytes";
          return false;
        }
        if (!CheckDataStrings(child, path, value, message)) {
          *path = "." + key + *path;
          return false;
        }
      }
    } else if (v.is_array()) {
      const auto& arr = v.get_ref<const json::array_t&>();
      for (size_t i = 0; i < arr.size(); ++i) {
        if (!CheckDataStrings(arr[i], path, value, message)) {
          *path = "[" + std::to_string(i) + "]" + *path;
          return false;
        }
      }
    }
    return true;
  }

  void ReadRecipient(json& v, Event* e) {
    if (!v.is_object()) {
      Error("recipient", ScalarText(v), "must be an object");
      return;
    }
    Recipient r;
    const size_t errors_before = error_count_;
    for (auto& [key, f] : v.get_ref<json::object_t&>()) {
      if (key == "id") {
        TakeIdentifier(f, "recipient.id", false, &r.id);
      } else if (key == "email") {
        TakeChecked(f, "recipient.email", &r.email, &IsValidEmail, nullptr,
                    "not a valid email address (expected name@example.org, without spaces, "
                    "quotes, angle brackets or control characters)");
      } else if (key == "phone") {
        TakeChecked(f, "recipient.phone", &r.phone, &IsE164Phone, &phone_memo_,
                    "not an E.164 phone number (expected + then country code and number, "
                    "e.g. +14155550100)");
      } else if (key == "locale") {
        TakeChecked(f, "recipient.locale", &r.locale, &IsValidLocale, &locale_memo_,
                    "not a BCP 47 language tag (e.g. en, es-MX, zh-Hans)");
      } else if (key == "timezone") {
        TakeChecked(f, "recipient.timezone", &r.timezone, &IsKnownTimezone, &timezone_memo_,
                    "unknown IANA timezone (e.g. America/New_York)");
      } else if (key == "channels") {
        TakeChannels(f, &r);
      } else {
        Error("recipient." + Truncate(key, kMaxValueBytes), ScalarText(f), "unknown field");
      }
    }
    if (error_count_ == errors_before) e->recipient = std::move(r);
  }

  using Memo = std::unordered_map<std::string, bool>;

  // A string field checked by `valid`. `memo` (may be null) caches verdicts within the
  // batch: batches often repeat a recipient, and libphonenumber takes ~10 us per number.
  void TakeChecked(json& v, const char* field, std::optional<std::string>* out,
                   bool (*valid)(std::string_view), Memo* memo, const char* message) {
    if (!v.is_string()) {
      Error(field, ScalarText(v), "must be a string");
      return;
    }
    std::string& s = v.get_ref<std::string&>();
    bool ok;
    if (memo == nullptr || s.size() > 64) {
      ok = valid(s);
    } else if (auto it = memo->find(s); it != memo->end()) {
      ok = it->second;
    } else {
      ok = valid(s);
      memo->emplace(s, ok);
    }
    if (!ok) {
      Error(field, Truncate(s, kMaxValueBytes), message);
      return;
    }
    *out = std::move(s);
  }

  void TakeChannels(json& v, Recipient* r) {
    if (!v.is_array()) {
      Error("recipient.channels", ScalarText(v), "must be an array of \"email\" or \"sms\"");
      return;
    }
    std::vector<Channel> channels;
    const auto& arr = v.get_ref<const json::array_t&>();
    bool ok = true;
    for (size_t i = 0; i < arr.size(); ++i) {
      const std::string field = "recipient.channels[" + std::to_string(i) + "]";
      std::optional<Channel> c;
      if (arr[i].is_string()) c = ChannelFromName(arr[i].get_ref<const std::string&>());
      if (!c) {
        Error(field, ScalarText(arr[i]), "unknown channel (expected \"email\" or \"sms\")");
        ok = false;
      } else if (std::find(channels.begin(), channels.end(), *c) != channels.end()) {
        Error(field, ScalarText(arr[i]), "duplicate channel");
        ok = false;
      } else {
        channels.push_back(*c);
      }
    }
    if (ok) r->channels = std::move(channels);
  }

  const ParseLimits& limits_;
  int64_t index_ = -1;
  std::vector<EventError> errors_;
  size_t error_count_ = 0;
  size_t invalid_events_ = 0;
  Memo phone_memo_, locale_memo_, timezone_memo_;
};

ParsedBatch TooManyEvents(uint64_t max_events) {
  return Fail(413, "too_many_events",
              "the batch has more than " + std::to_string(max_events) +
                  " events; split it into smaller batches");
}

ParsedBatch TooDeep(std::string_view text, size_t offset, int first_line, uint32_t max_depth) {
  Position pos = PositionOf(text, offset);
  pos.line += first_line - 1;
  return Fail(400, "too_deep",
              "JSON nesting deeper than " + std::to_string(max_depth) + " levels at line " +
                  std::to_string(pos.line) + ", column " + std::to_string(pos.column),
              pos);
}

ParsedBatch Finish(std::vector<Event> events, EventValidator& validator) {
  ParsedBatch batch;
  if (validator.invalid_events() > 0) {
    batch.failure = validator.TakeFailure();
  } else {
    batch.events = std::move(events);
  }
  return batch;
}

ParsedBatch ParseJsonBatch(std::string_view body, const ParseLimits& limits) {
  // The batch array is not a level (see the header): allow one more when there is one.
  const size_t first = body.find_first_not_of(" \t\r\n");
  const bool is_array = first != std::string_view::npos && body[first] == '[';
  const uint64_t depth_limit = uint64_t{limits.max_depth} + (is_array ? 1 : 0);
  if (size_t at = FindTooDeep(body, depth_limit); at != std::string_view::npos) {
    return TooDeep(body, at, 1, limits.max_depth);
  }
  json doc;
  if (auto failure = ParseJson(body, 1, &doc)) {
    ParsedBatch batch;
    batch.failure = std::move(failure);
    return batch;
  }

  EventValidator validator(limits);
  std::vector<Event> events;
  if (doc.is_object()) {
    validator.Add(doc, 0, &events);
  } else if (doc.is_array()) {
    auto& arr = doc.get_ref<json::array_t&>();
    if (arr.empty()) return Fail(400, "empty_body", "the batch array is empty");
    if (arr.size() > limits.max_events) return TooManyEvents(limits.max_events);
    events.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) validator.Add(arr[i], static_cast<int64_t>(i), &events);
  } else {
    ParsedBatch batch =
        Fail(400, "invalid_event", "the body must be an event object or an array of event objects");
    batch.failure->errors.push_back({-1, "", ScalarText(doc), "not an object or array"});
    return batch;
  }
  return Finish(std::move(events), validator);
}

ParsedBatch ParseNdjsonBatch(std::string_view body, const ParseLimits& limits) {
  struct Line {
    std::string_view text;
    int number;  // 1-based line in the body
  };
  std::vector<Line> lines;
  int number = 0;
  for (size_t start = 0; start < body.size();) {
    const size_t nl = body.find('\n', start);
    const size_t end = nl == std::string_view::npos ? body.size() : nl;
    std::string_view text = body.substr(start, end - start);
    ++number;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!IsBlank(text)) {
      if (size_t at = FindTooDeep(text, limits.max_depth); at != std::string_view::npos) {
        return TooDeep(text, at, number, limits.max_depth);
      }
      lines.push_back({text, number});
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (lines.size() > limits.max_events) return TooManyEvents(limits.max_events);

  EventValidator validator(limits);
  std::vector<Event> events;
  events.reserve(lines.size());
  json doc;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (auto failure = ParseJson(lines[i].text, lines[i].number, &doc)) {
      failure->errors.push_back({static_cast<int64_t>(i), "", "", failure->message});
      ParsedBatch batch;
      batch.failure = std::move(failure);
      return batch;
    }
    validator.Add(doc, static_cast<int64_t>(i), &events);
  }
  return Finish(std::move(events), validator);
}

ParsedBatch ParseUnchecked(std::string_view body, BodyFormat format, const ParseLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Fail(413, "body_too_large",
                "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (IsBlank(body)) return Fail(400, "empty_body", "the body is empty");
  if (std::optional<size_t> bad = FindInvalidUtf8(body)) {
    const Position pos = PositionOf(body, *bad);
    return Fail(400, "invalid_utf8",
                "invalid UTF-8 at byte offset " + std::to_string(*bad) + " (line " +
                    std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ")",
                pos);
  }
  return format == BodyFormat::kJson ? ParseJsonBatch(body, limits)
                                     : ParseNdjsonBatch(body, limits);
}

}  // namespace

ParsedBatch ParseEventBatch(std::string_view body, BodyFormat format, const ParseLimits& limits) {
  // Exceptions stay inside this layer: the parser only throws for what is caught in
  // ParseJson, but allocation can fail on a large hostile body.
  try {
    return ParseUnchecked(body, format, limits);
  } catch (const std::bad_alloc&) {
    return Fail(413, "body_too_large", "the body needs more memory than the server allows");
  } catch (const std::exception& e) {
    return Fail(400, "invalid_json", Truncate(e.what(), kMaxMessageBytes));
  }
}

}  // namespace herald
