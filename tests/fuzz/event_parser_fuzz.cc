// Fuzzes POST /v1/events bodies (engine/api/event_parser.h) as JSON and as NDJSON.
//
// Properties, besides "no crash, no sanitizer report":
// - a rejection is well-formed: a known code with its status, a position inside the
//   body, at most kMaxEventErrors errors, and every text valid UTF-8 (the server quotes
//   them in a JSON answer, and nlohmann's dump throws on ill-formed UTF-8);
// - an accepted event is valid (the header's rules) and round-trips: its EventToJson
//   form, alone, in an array or as NDJSON, parses back to the same Event;
// - the fast path agrees with the general path: a body the fast path accepts gives the
//   same events when forced onto the general path (a byte order mark in front, which
//   only the general path takes; NDJSON as the equivalent JSON array), and a body takes
//   the same decision with or without the mark.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/event_parser.h"
#include "engine/api/event_parser_internal.h"
#include "engine/core/event.h"
#include "engine/core/time_format.h"
#include "tests/fuzz/fuzz_util.h"

namespace herald {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

ParseLimits Limits() {
  ParseLimits l;
  l.max_body_bytes = 1 << 20;
  l.max_events = 64;
  l.max_depth = 8;
  l.max_string_bytes = 256;
  return l;
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void CheckFailure(const ParseFailure& f, std::string_view body) {
  fuzz::FailureContext() = f.code + ": " + f.message;
  const bool too_large = f.code == "body_too_large" || f.code == "too_many_events";
  HERALD_FUZZ_CHECK(f.http_status == (too_large ? 413 : 400));
  HERALD_FUZZ_CHECK(too_large || f.code == "empty_body" || f.code == "invalid_utf8" ||
                    f.code == "too_deep" || f.code == "invalid_json" || f.code == "invalid_event");
  HERALD_FUZZ_CHECK(!f.message.empty() && fuzz::IsValidUtf8(f.message));
  const bool positioned =
      f.code == "invalid_utf8" || f.code == "too_deep" || f.code == "invalid_json";
  if (positioned) HERALD_FUZZ_CHECK(f.line >= 1 && f.column >= 1);
  HERALD_FUZZ_CHECK(f.line >= 0 && f.column >= 0);
  const auto lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  HERALD_FUZZ_CHECK(static_cast<size_t>(f.line) <= lines);
  HERALD_FUZZ_CHECK(static_cast<size_t>(f.column) <= body.size() + 1);
  if (f.code == "invalid_event") HERALD_FUZZ_CHECK(!f.errors.empty());
  HERALD_FUZZ_CHECK(f.errors.size() <= kMaxEventErrors);
  for (const EventError& e : f.errors) {
    HERALD_FUZZ_CHECK(fuzz::IsValidUtf8(e.field) && fuzz::IsValidUtf8(e.value) &&
                      fuzz::IsValidUtf8(e.message));
    HERALD_FUZZ_CHECK(e.value.size() <= event_parser_internal::kMaxValueBytes + 8);
    HERALD_FUZZ_CHECK(e.event_index >= -1);
  }
}

bool ValidIdentifier(std::string_view s, bool is_type, const ParseLimits& l) {
  return event_parser_internal::CheckIdentifier(s, is_type, l.max_string_bytes) ==
         event_parser_internal::IdentifierProblem::kNone;
}

void CheckEvent(const Event& e, const ParseLimits& l) {
  HERALD_FUZZ_CHECK(ValidIdentifier(e.id, false, l));
  HERALD_FUZZ_CHECK(ValidIdentifier(e.case_id, false, l));
  HERALD_FUZZ_CHECK(ValidIdentifier(e.type, true, l));
  HERALD_FUZZ_CHECK(ParseRfc3339(e.occurred_at) == e.occurred_at_us);
  HERALD_FUZZ_CHECK(e.data.is_null() || e.data.is_object());
  if (e.recipient) {
    const Recipient& r = *e.recipient;
    HERALD_FUZZ_CHECK(r.id.empty() || ValidIdentifier(r.id, false, l));
    HERALD_FUZZ_CHECK(!r.email || IsValidEmail(*r.email));
    HERALD_FUZZ_CHECK(!r.phone || IsE164Phone(*r.phone));
    HERALD_FUZZ_CHECK(!r.locale || IsValidLocale(*r.locale));
    HERALD_FUZZ_CHECK(!r.timezone || IsKnownTimezone(*r.timezone));
  }
}

// The body parses, as `format`, to exactly `events`.
void CheckParsesTo(std::string_view body, BodyFormat format, const std::vector<Event>& events) {
  const ParsedBatch again = ParseEventBatch(body, format, Limits());
  HERALD_FUZZ_CHECK(!again.failure);
  HERALD_FUZZ_CHECK(again.events == events);
}

void CheckAccepted(const std::vector<Event>& events, const ParseLimits& l) {
  HERALD_FUZZ_CHECK(!events.empty() && events.size() <= l.max_events);
  std::string array = "[", ndjson;
  for (const Event& e : events) {
    CheckEvent(e, l);
    // dump() throws on ill-formed UTF-8: an accepted event must never hold any.
    const std::string one = EventToJson(e).dump();
    CheckParsesTo(one, BodyFormat::kJson, {e});
    array += (array.size() > 1 ? "," : "") + one;
    ndjson += one + "\n";
  }
  CheckParsesTo(array + "]", BodyFormat::kJson, events);
  CheckParsesTo(ndjson, BodyFormat::kNdjson, events);
}

// NDJSON `body` as the equivalent JSON array, with a byte order mark (general path).
std::string NdjsonAsArray(std::string_view body) {
  std::string array = std::string(kBom) + "[";
  bool first = true;
  for (size_t start = 0; start <= body.size();) {
    size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    const std::string_view line = body.substr(start, nl - start);
    if (!IsBlank(line)) {
      array += first ? "" : ",";
      array += line;
      first = false;
    }
    start = nl + 1;
  }
  return array + "]";
}

void FuzzFormat(std::string_view body, BodyFormat format) {
  const ParseLimits limits = Limits();
  const ParsedBatch batch = ParseEventBatch(body, format, limits);
  if (batch.failure) {
    HERALD_FUZZ_CHECK(batch.events.empty());
    CheckFailure(*batch.failure, body);
  } else {
    CheckAccepted(batch.events, limits);
  }

  // The fast path alone (it expects the size and emptiness checks done).
  event_parser_internal::VerdictCache cache;
  std::vector<Event> fast;
  const bool fast_ok =
      !IsBlank(body) && event_parser_internal::ParseValidBatch(body, format, limits, &cache, &fast);
  if (fast_ok) {
    HERALD_FUZZ_CHECK(!batch.failure && fast == batch.events);
  }
  if (format == BodyFormat::kJson && !IsBlank(body) && !body.starts_with(kBom)) {
    const std::string marked = std::string(kBom) + std::string(body);
    const ParsedBatch general = ParseEventBatch(marked, format, limits);
    HERALD_FUZZ_CHECK(general.failure.has_value() == batch.failure.has_value());
    if (general.failure) {
      HERALD_FUZZ_CHECK(general.failure->code == batch.failure->code);
    } else {
      HERALD_FUZZ_CHECK(general.events == batch.events);
    }
  }
  if (format == BodyFormat::kNdjson && fast_ok) {
    const ParsedBatch general = ParseEventBatch(NdjsonAsArray(body), BodyFormat::kJson, limits);
    HERALD_FUZZ_CHECK(!general.failure && general.events == fast);
  }
}

}  // namespace
}  // namespace herald

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = herald::fuzz::AsText(data, size);
  herald::FuzzFormat(body, herald::BodyFormat::kJson);
  herald::FuzzFormat(body, herald::BodyFormat::kNdjson);
  return 0;
}
