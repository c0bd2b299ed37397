// Internals of ParseEventBatch (engine/api/event_parser.h), shared by its two paths:
//
//  - the fast path (event_parser_fast.cc, reading JSON with event_parser_json.h) reads
//    the body once, straight into Events. It knows only the common case, a well-formed
//    batch of valid events, and gives up at the first thing that is wrong or merely
//    unusual (a byte order mark, a repeated key, a number it cannot convert exactly,
//    ...). It reports nothing but success;
//  - the general path (event_parser.cc, event_parser_validator.cc) runs when the fast
//    path gives up: it checks the body step by step, parses it into a nlohmann DOM and
//    validates that, and is the only one that explains failures (codes, positions,
//    every field error).
//
// The contract between them: when the fast path succeeds, the general path would have
// accepted the body too and produced equal Events. The fast path therefore mirrors each
// rule the general path applies to a valid event, using the same predicates below, and
// is conservative everywhere else: giving up costs time, never correctness. (A rejected
// batch costs the fast path's attempt, cut short at the first problem, on top of the
// general path; tests/api/event_parser_test.cc checks valid events read on either path.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/event_parser.h"
#include "engine/core/event.h"
#include "engine/core/validate.h"

namespace herald {
namespace event_parser_internal {

// What is wrong with an identifier (id, case_id, type, recipient.id), if anything.
enum class IdentifierProblem { kNone, kEmpty, kTooLong, kControl, kTypeChar };
IdentifierProblem CheckIdentifier(std::string_view s, bool is_type, uint64_t max_bytes);

// The recipient checks, with the verdicts of the slow ones (libphonenumber takes ~10 us
// per number, ICU lookups ~1 us) remembered for one batch: batches often repeat a
// recipient, a locale or a time zone. Not thread-safe; one per ParseEventBatch call.
class VerdictCache {
 public:
  bool Email(std::string_view s) { return IsValidEmail(s); }  // cheap, and rarely repeated
  bool Phone(std::string_view s) { return phone_.Check(s, &IsE164Phone); }
  bool Locale(std::string_view s) { return locale_.Check(s, &IsValidLocale); }
  bool Timezone(std::string_view s) { return timezone_.Check(s, &IsKnownTimezone); }

 private:
  class Memo {
   public:
    bool Check(std::string_view s, bool (*valid)(std::string_view));

   private:
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, bool, Hash, std::equal_to<>> verdicts_;
    // The last value looked up: consecutive events usually share it, and comparing is
    // cheaper than hashing.
    std::string last_;
    bool last_ok_ = false;
    bool has_last_ = false;
  };
  Memo phone_, locale_, timezone_;
};

// Fast path. True when `body` is a well-formed batch of valid events; *events then
// holds them. False when anything is wrong or unusual (*events is then unspecified and
// the caller runs the general path). Expects the size and emptiness checks done.
bool ParseValidBatch(std::string_view body, BodyFormat format, const ParseLimits& limits,
                     VerdictCache* cache, std::vector<Event>* events);

// ---- General path ------------------------------------------------------------------

inline constexpr size_t kMaxValueBytes = 200;  // EventError::value

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence; marks the cut.
std::string Truncate(std::string_view s, size_t max);

// Text of a scalar for EventError::value: strings raw, other scalars as JSON.
std::string ScalarText(const nlohmann::json& v);

// Keys that appear more than once in an event object or in its recipient, found while
// parsing (the DOM keeps only the last value): (event index, field path). Sorted and
// without repeats before an EventValidator looks at them (SortDuplicates).
using DuplicateFields = std::vector<std::pair<int64_t, std::string>>;
void SortDuplicates(DuplicateFields* duplicates);

// Validates DOM events one by one, collecting every error, and builds Events by moving
// strings and data out of the DOM.
class EventValidator {
 public:
  EventValidator(const ParseLimits& limits, VerdictCache* cache, const DuplicateFields* duplicates)
      : limits_(limits), cache_(cache), duplicates_(duplicates) {}

  // Validates `v` as event `index`; on success appends it to `events` (moving out of v).
  void Add(nlohmann::json& v, int64_t index, std::vector<Event>* events);

  size_t invalid_events() const { return invalid_events_; }
  ParseFailure TakeFailure();

 private:
  void Error(std::string field, std::string value, std::string message);
  bool IsDuplicate(std::string_view prefix, std::string_view key) const;
  void DuplicateError(std::string_view prefix, std::string_view key);
  void ReadEvent(nlohmann::json::object_t& obj, Event* e);
  void TakeIdentifier(nlohmann::json& v, std::string_view field, bool is_type, std::string* out);
  void TakeTimestamp(nlohmann::json& v, Event* e);
  void TakeData(nlohmann::json& v, Event* e);
  bool CheckDataStrings(const nlohmann::json& v, std::string* path, std::string* value,
                        std::string* message);
  void ReadRecipient(nlohmann::json& v, Event* e);
  void TakeChecked(nlohmann::json& v, const char* field, std::optional<std::string>* out,
                   bool (VerdictCache::*valid)(std::string_view), const char* message);
  void TakeChannels(nlohmann::json& v, Recipient* r);

  const ParseLimits& limits_;
  VerdictCache* const cache_;
  const DuplicateFields* const duplicates_;
  int64_t index_ = -1;
  std::vector<EventError> errors_;
  size_t error_count_ = 0;
  size_t invalid_events_ = 0;
};

}  // namespace event_parser_internal
}  // namespace herald
