// ParseEventBatch: the fast path for well-formed batches of valid events, then, when it
// gives up, the general path that finds and explains what is wrong (see
// event_parser_internal.h).

#include "engine/api/event_parser.h"

#include <algorithm>
#include <climits>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/api/event_parser_internal.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

using json = nlohmann::json;
using event_parser_internal::DuplicateFields;
using event_parser_internal::EventValidator;
using event_parser_internal::ScalarText;
using event_parser_internal::SortDuplicates;
using event_parser_internal::Truncate;
using event_parser_internal::VerdictCache;

constexpr size_t kMaxMessageBytes = 300;  // text quoted from the JSON parser

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
// counts it in the text it was given (one NDJSON line), not in the body. The bytes nlohmann
// quotes may end inside a character (a byte order mark within the body reads as
// "last read: '\xEF'"): such bytes show as '?', so the message is valid UTF-8.
std::string CleanParserMessage(std::string_view what) {
  if (size_t p = what.find("] "); p != std::string_view::npos) what.remove_prefix(p + 2);
  if (what.starts_with("parse error")) {
    if (size_t p = what.find(": "); p != std::string_view::npos) what.remove_prefix(p + 2);
  }
  std::string message = Truncate(what, kMaxMessageBytes);
  for (size_t from = 0;
       std::optional<size_t> bad = FindInvalidUtf8(std::string_view(message).substr(from));) {
    message[from + *bad] = '?';
    from += *bad + 1;
  }
  return message;
}

// A SAX handler that builds the DOM json::parse would build (of repeated keys, the last
// wins) and notes the keys repeated in event objects and their recipients, which the
// DOM cannot show. Keeps a parse error instead of throwing it.
class DomBuilder {
 public:
  // `root_index`: the event index of an object at the root. `root_array_holds_events`:
  // the root is a JSON batch, whose array elements are events 0, 1, ...
  DomBuilder(json* root, int64_t root_index, bool root_array_holds_events,
             DuplicateFields* duplicates)
      : root_(root),
        root_index_(root_index),
        root_array_holds_events_(root_array_holds_events),
        duplicates_(duplicates) {}

  bool null() { return Keep(nullptr); }
  bool boolean(bool v) { return Keep(v); }
  bool number_integer(json::number_integer_t v) { return Keep(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Keep(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return Keep(v); }
  bool string(json::string_t& v) { return Keep(std::move(v)); }
  bool binary(json::binary_t& v) { return Keep(json::binary(std::move(v))); }

  bool start_object(size_t) {
    Kind kind = Kind::kOther;
    int64_t index = -1;
    if (stack_.empty()) {
      kind = Kind::kEvent;
      index = root_index_;
    } else if (stack_.size() == 1 && root_array_holds_events_ && stack_[0].value->is_array()) {
      kind = Kind::kEvent;
      index = static_cast<int64_t>(stack_[0].value->size());
    } else if (stack_.back().kind == Kind::kEvent && next_is_recipient_) {
      kind = Kind::kRecipient;
      index = stack_.back().event_index;
    }
    stack_.push_back({Place(json::object()), kind, index});
    return true;
  }

  bool key(json::string_t& k) {
    const Frame& top = stack_.back();
    auto& obj = top.value->get_ref<json::object_t&>();
    if (top.kind != Kind::kOther && obj.find(k) != obj.end()) {
      duplicates_->emplace_back(top.event_index,
                                (top.kind == Kind::kRecipient ? "recipient." : "") + k);
    }
    next_is_recipient_ = top.kind == Kind::kEvent && k == "recipient";
    slot_ = &obj[std::move(k)];
    return true;
  }

  bool start_array(size_t) {
    stack_.push_back({Place(json::array()), Kind::kOther, -1});
    return true;
  }

  bool end_object() { return Pop(); }
  bool end_array() { return Pop(); }

  bool parse_error(size_t position, const std::string&, const json::exception& e) {
    error_position_ = position;
    error_what_ = e.what();
    error_is_overflow_ = dynamic_cast<const json::out_of_range*>(&e) != nullptr;
    return false;
  }

  size_t error_position() const { return error_position_; }
  const std::string& error_what() const { return error_what_; }
  bool error_is_overflow() const { return error_is_overflow_; }

 private:
  enum class Kind { kEvent, kRecipient, kOther };
  struct Frame {
    json* value;
    Kind kind;
    int64_t event_index;
  };

  bool Keep(json&& v) {
    Place(std::move(v));
    return true;
  }

  // Puts a new value where the parser is: the root, the end of an array, or the slot of
  // the last key. Returns where it went.
  json* Place(json&& v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    json& top = *stack_.back().value;
    if (top.is_array()) {
      auto& arr = top.get_ref<json::array_t&>();
      arr.push_back(std::move(v));
      return &arr.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }

  bool Pop() {
    stack_.pop_back();
    return true;
  }

  json* const root_;
  const int64_t root_index_;
  const bool root_array_holds_events_;
  DuplicateFields* const duplicates_;
  std::vector<Frame> stack_;
  json* slot_ = nullptr;
  bool next_is_recipient_ = false;
  size_t error_position_ = 0;
  std::string error_what_;
  bool error_is_overflow_ = false;
};

// Parses `text` (the body, or one NDJSON line starting at body line `first_line`) or
// describes why it is not JSON. See DomBuilder for the other arguments.
std::optional<ParseFailure> ParseJson(std::string_view text, int first_line, int64_t root_index,
                                      bool root_array_holds_events, json* out,
                                      DuplicateFields* duplicates) {
  DomBuilder builder(out, root_index, root_array_holds_events, duplicates);
  if (json::sax_parse(text.begin(), text.end(), &builder)) return std::nullopt;
  size_t offset;
  const std::string detail = CleanParserMessage(builder.error_what());
  if (!builder.error_is_overflow()) {
    // error_position counts the bytes read, the last one being the offending one.
    offset = builder.error_position() > 0 ? builder.error_position() - 1 : 0;
  } else {  // a number too large for a double (406): find its token from the message
    std::string_view w = builder.error_what();
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

ParsedBatch ParseJsonBatch(std::string_view body, const ParseLimits& limits, VerdictCache* cache) {
  // The batch array is not a level (see the header): allow one more when there is one,
  // after the byte order mark nlohmann skips, if any.
  const std::string_view text = body.starts_with("\xEF\xBB\xBF") ? body.substr(3) : body;
  const size_t first = text.find_first_not_of(" \t\r\n");
  const bool is_array = first != std::string_view::npos && text[first] == '[';
  const uint64_t depth_limit = uint64_t{limits.max_depth} + (is_array ? 1 : 0);
  if (size_t at = FindTooDeep(body, depth_limit); at != std::string_view::npos) {
    return TooDeep(body, at, 1, limits.max_depth);
  }
  json doc;
  DuplicateFields duplicates;
  if (auto failure = ParseJson(body, 1, 0, true, &doc, &duplicates)) {
    ParsedBatch batch;
    batch.failure = std::move(failure);
    return batch;
  }

  SortDuplicates(&duplicates);
  EventValidator validator(limits, cache, &duplicates);
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

ParsedBatch ParseNdjsonBatch(std::string_view body, const ParseLimits& limits,
                             VerdictCache* cache) {
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

  DuplicateFields duplicates;
  EventValidator validator(limits, cache, &duplicates);
  std::vector<Event> events;
  events.reserve(lines.size());
  json doc;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    duplicates.clear();  // this line's
    if (auto failure = ParseJson(lines[i].text, lines[i].number, index, false, &doc, &duplicates)) {
      failure->errors.push_back({index, "", "", failure->message});
      ParsedBatch batch;
      batch.failure = std::move(failure);
      return batch;
    }
    SortDuplicates(&duplicates);
    validator.Add(doc, index, &events);
  }
  return Finish(std::move(events), validator);
}

ParsedBatch ParseUnchecked(std::string_view body, BodyFormat format, const ParseLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Fail(413, "body_too_large",
                "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (IsBlank(body)) return Fail(400, "empty_body", "the body is empty");

  VerdictCache cache;
  {
    ParsedBatch batch;
    if (event_parser_internal::ParseValidBatch(body, format, limits, &cache, &batch.events)) {
      return batch;
    }
  }
  // The general path: every check in the order of the header, each one explaining.
  if (std::optional<size_t> bad = FindInvalidUtf8(body)) {
    const Position pos = PositionOf(body, *bad);
    return Fail(400, "invalid_utf8",
                "invalid UTF-8 at byte offset " + std::to_string(*bad) + " (line " +
                    std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ")",
                pos);
  }
  return format == BodyFormat::kJson ? ParseJsonBatch(body, limits, &cache)
                                     : ParseNdjsonBatch(body, limits, &cache);
}

}  // namespace

ParsedBatch ParseEventBatch(std::string_view body, BodyFormat format, const ParseLimits& limits) {
  // Exceptions stay inside this layer: the parser reports errors to DomBuilder without
  // throwing, but allocation can fail on a large hostile body.
  try {
    return ParseUnchecked(body, format, limits);
  } catch (const std::bad_alloc&) {
    return Fail(413, "body_too_large", "the body needs more memory than the server allows");
  } catch (const std::exception& e) {
    return Fail(400, "invalid_json", Truncate(e.what(), kMaxMessageBytes));
  }
}

}  // namespace herald
