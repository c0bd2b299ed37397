// Parsing and validation of POST /v1/events bodies.
//
// The body is hostile client input. ParseEventBatch never throws and never crashes:
// every problem comes back as a ParseFailure the server can turn into a response.
// A batch is all or nothing: when any event is invalid, no event is returned.
//
// Checks run in this order; the first failing one decides the answer:
//   1. size         > max_body_bytes                        413 body_too_large
//   2. emptiness    only whitespace (or, JSON, "[]")        400 empty_body
//   3. encoding     any ill-formed UTF-8 byte               400 invalid_utf8
//   4. nesting      deeper than max_depth                   400 too_deep
//   5. syntax       not JSON / a line that is not JSON      400 invalid_json
//   6. count        more than max_events events             413 too_many_events
//   7. events       any field of any event wrong            400 invalid_event
// (For NDJSON, 6 runs before 5: events are counted by non-blank lines, before any line
// is parsed.)
//
// Positions (ParseFailure::line/column, for invalid_utf8, too_deep and invalid_json) are
// 1-based; lines are separated by '\n' (a '\r' before it is just a byte of the line);
// the column counts BYTES from the start of the line, not characters: it is well-defined
// even for ill-formed UTF-8, and it is what byte-oriented tools (and nlohmann) report.
//
// Depth: an event object is level 1, each object or array inside it one more level, so
// {"data":{"tags":["a"]}} has depth 3. The array around a JSON batch is not counted: a
// batch passes exactly when each of its events would pass alone, in JSON or NDJSON. Deep
// input is refused before any parser recurses into it.
//
// Cost: a well-formed batch of valid events is read in one pass, straight into Events
// (~1 us for a typical 340-byte event); anything else is then checked step by step to
// say exactly what is wrong (see event_parser_internal.h).
//
// Thread-safe: no shared state (the ICU/libphonenumber lookups are thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/event.h"

namespace herald {

enum class BodyFormat {
  kJson,    // application/json: one event object, or a non-empty array of event objects
  kNdjson,  // application/x-ndjson: one event object per line; blank lines ignored
};

struct ParseLimits {
  uint64_t max_body_bytes = 10 * 1024 * 1024;
  uint64_t max_events = 10000;
  uint32_t max_depth = 32;
  // Longest string, in bytes, anywhere in an event: ids, type, recipient fields, and every
  // key and string value inside data.
  uint64_t max_string_bytes = 4096;
};

// One problem with one event.
struct EventError {
  // Index of the event in the batch (JSON: array index, 0 for a single object; NDJSON:
  // index among non-blank lines). -1 for a problem with the body as a whole.
  int64_t event_index = -1;
  std::string field;    // path, e.g. "occurred_at", "recipient.phone", "data.items[2]"
  std::string value;    // the offending value when it is a scalar (strings raw, others as
                        // JSON), at most ~200 bytes; "" for objects, arrays, missing fields
  std::string message;  // what is wrong and what is expected
};

struct ParseFailure {
  int http_status = 400;  // 400 or 413
  // "invalid_json", "invalid_utf8", "too_deep", "invalid_event", "too_many_events",
  // "body_too_large", "empty_body"
  std::string code;
  std::string message;  // one sentence for humans
  int line = 0;         // 1-based position for invalid_json, invalid_utf8 and too_deep;
  int column = 0;       // 0 otherwise. Column in bytes (see above).
  // invalid_event: every field error found, in event order, at most kMaxEventErrors.
  // invalid_json in NDJSON: one entry naming the event_index of the broken line.
  std::vector<EventError> errors;
};

// At most this many EventErrors are reported; the message says when there were more.
inline constexpr size_t kMaxEventErrors = 100;

struct ParsedBatch {
  std::vector<Event> events;            // in body order; empty when failure is set
  std::optional<ParseFailure> failure;  // set when the batch is rejected
};

// Parses and validates a whole batch. Each event must be an object with exactly:
//   id, case_id   string, 1..max_string_bytes bytes, no control characters
//   type          same, and only [A-Za-z0-9_.:-]
//   occurred_at   RFC 3339 (see engine/core/time_format.h); also fills occurred_at_us
//   data          optional object (null: absent); strings in it <= max_string_bytes
//   recipient     optional object (null: absent) with only these optional fields:
//                 id (as above), email (IsValidEmail), phone (IsE164Phone),
//                 locale (IsValidLocale), timezone (IsKnownTimezone): strings, null is an
//                 error (omit the field instead); channels: array of "email"/"sms"
//                 without duplicates, possibly empty (the recipient wants no messages)
// Unknown fields, at the top level or in recipient, are errors, and so is a field given
// twice there ("duplicate field 'id'"): parsers disagree on which one counts. Inside data,
// as in most JSON parsers, the last of repeated keys wins.
ParsedBatch ParseEventBatch(std::string_view body, BodyFormat format, const ParseLimits& limits);

}  // namespace herald
