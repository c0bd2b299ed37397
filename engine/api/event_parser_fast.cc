// The fast path of ParseEventBatch: one pass over the body, straight into Events, for
// the batches that are well-formed and valid. See event_parser_internal.h for how it
// relates to the general path; in short, every `return false` below hands the body to
// the general path, which decides what, if anything, is wrong. The rules checked here
// are those of the header, through the same predicates as the general path.

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/event_parser_internal.h"
#include "engine/api/event_parser_json.h"
#include "engine/core/time_format.h"

namespace herald {
namespace event_parser_internal {
namespace {

// Data deeper than this goes to the general path (whose parser is iterative) whatever
// max_depth allows: JsonCursor reads values recursively.
constexpr uint32_t kMaxRecursion = 64;

// Event and recipient fields, as bits of a "seen" mask.
constexpr unsigned kId = 1, kCaseId = 2, kType = 4, kOccurredAt = 8, kData = 16, kRecipient = 32;
constexpr unsigned kRecipientId = 1, kEmail = 2, kPhone = 4, kLocale = 8, kTimezone = 16,
                   kChannels = 32;

// A key is compared with at most one or two names of its length.
template <size_t N>
bool Is(std::string_view key, const char (&name)[N]) {
  return std::memcmp(key.data(), name, N - 1) == 0;
}

unsigned EventFieldOf(std::string_view key) {
  switch (key.size()) {
    case 2:
      return Is(key, "id") ? kId : 0;
    case 4:
      return Is(key, "type") ? kType : Is(key, "data") ? kData : 0;
    case 7:
      return Is(key, "case_id") ? kCaseId : 0;
    case 9:
      return Is(key, "recipient") ? kRecipient : 0;
    case 11:
      return Is(key, "occurred_at") ? kOccurredAt : 0;
    default:
      return 0;
  }
}

unsigned RecipientFieldOf(std::string_view key) {
  switch (key.size()) {
    case 2:
      return Is(key, "id") ? kRecipientId : 0;
    case 5:
      return Is(key, "email") ? kEmail : Is(key, "phone") ? kPhone : 0;
    case 6:
      return Is(key, "locale") ? kLocale : 0;
    case 8:
      return Is(key, "timezone") ? kTimezone : Is(key, "channels") ? kChannels : 0;
    default:
      return 0;
  }
}

// Reads events with a JsonCursor, one span of bytes at a time (the body, or one NDJSON
// line). Readers expect the cursor on the first byte of their value.
class Reader {
 public:
  Reader(const ParseLimits& limits, VerdictCache* cache)
      : limits_(limits),
        cache_(cache),
        json_(std::min<uint32_t>(limits.max_depth, kMaxRecursion), limits.max_string_bytes) {}

  JsonCursor& cursor() { return json_; }

  // An event object (level 1) into *e.
  bool ReadEvent(Event* e) {
    if (!json_.Open('{', 1)) return false;
    unsigned seen = 0;
    const bool ok = json_.ReadMembers([&](std::string_view key) {
      const unsigned field = EventFieldOf(key);
      if (field == 0 || (seen & field) != 0) return false;  // unknown, or repeated
      seen |= field;
      switch (field) {
        case kId:
          return ReadIdentifier(false, &e->id);
        case kCaseId:
          return ReadIdentifier(false, &e->case_id);
        case kType:
          return ReadIdentifier(true, &e->type);
        case kOccurredAt:
          return ReadTimestamp(e);
        case kData:  // null is the same as absent
          return json_.ReadNull() || (json_.Peek() == '{' && json_.ReadValue(2, &e->data));
        default:
          return json_.ReadNull() || ReadRecipient(&e->recipient);
      }
    });
    constexpr unsigned kRequired = kId | kCaseId | kType | kOccurredAt;
    return ok && (seen & kRequired) == kRequired;
  }

 private:
  bool ReadIdentifier(bool is_type, std::string* out) {
    std::string_view s;
    if (!json_.ReadString(&s) ||
        CheckIdentifier(s, is_type, limits_.max_string_bytes) != IdentifierProblem::kNone) {
      return false;
    }
    out->assign(s);
    return true;
  }

  bool ReadTimestamp(Event* e) {
    std::string_view s;
    if (!json_.ReadString(&s)) return false;
    const std::optional<Micros> t = ParseRfc3339(s);
    if (!t) return false;
    e->occurred_at_us = *t;
    e->occurred_at.assign(s);
    return true;
  }

  // A recipient object (level 2).
  bool ReadRecipient(std::optional<Recipient>* out) {
    if (!json_.Open('{', 2)) return false;
    Recipient& r = out->emplace();
    unsigned seen = 0;
    return json_.ReadMembers([&](std::string_view key) {
      const unsigned field = RecipientFieldOf(key);
      if (field == 0 || (seen & field) != 0) return false;
      seen |= field;
      if (field == kChannels) return ReadChannels(&r.channels);
      if (field == kRecipientId) return ReadIdentifier(false, &r.id);
      std::string_view s;
      if (!json_.ReadString(&s)) return false;
      std::optional<std::string>* slot;
      bool ok;
      switch (field) {
        case kEmail:
          ok = cache_->Email(s);
          slot = &r.email;
          break;
        case kPhone:
          ok = cache_->Phone(s);
          slot = &r.phone;
          break;
        case kLocale:
          ok = cache_->Locale(s);
          slot = &r.locale;
          break;
        default:
          ok = cache_->Timezone(s);
          slot = &r.timezone;
          break;
      }
      if (ok) slot->emplace(s);
      return ok;
    });
  }

  // recipient.channels (level 3): distinct channel names.
  bool ReadChannels(std::optional<std::vector<Channel>>* out) {
    if (!json_.Open('[', 3)) return false;
    std::vector<Channel>& channels = out->emplace();
    return json_.ReadElements([&] {
      std::string_view s;
      if (!json_.ReadString(&s)) return false;
      const std::optional<Channel> c = ChannelFromName(s);
      if (!c || std::find(channels.begin(), channels.end(), *c) != channels.end()) return false;
      channels.push_back(*c);
      return true;
    });
  }

  const ParseLimits& limits_;
  VerdictCache* const cache_;
  JsonCursor json_;
};

bool ParseJsonBody(std::string_view body, Reader& reader, const ParseLimits& limits,
                   std::vector<Event>* events) {
  JsonCursor& cursor = reader.cursor();
  cursor.Reset(body.data(), body.data() + body.size());
  cursor.SkipSpace();
  if (cursor.AtEnd()) return false;
  if (cursor.Peek() == '{') {  // a single event; max_events does not apply
    if (!reader.ReadEvent(&events->emplace_back())) return false;
  } else if (cursor.Consume('[')) {
    if (cursor.Consume(']')) return false;  // empty: the general path explains
    do {
      cursor.SkipSpace();
      if (cursor.AtEnd() || events->size() >= limits.max_events) return false;
      if (!reader.ReadEvent(&events->emplace_back())) return false;
      if (events->size() == 1) {
        // Batches hold events of similar size: guess the count from the first one's
        // rather than grow (and move every Event) ten times for a thousand events.
        const auto first_bytes = static_cast<size_t>(cursor.position() - body.data());
        const size_t guess = body.size() / std::max<size_t>(first_bytes, 64) + 1;
        events->reserve(std::min<uint64_t>(guess, limits.max_events));
      }
    } while (cursor.Consume(','));
    if (!cursor.Consume(']')) return false;
  } else {
    return false;
  }
  cursor.SkipSpace();
  return cursor.AtEnd();
}

bool ParseNdjsonBody(std::string_view body, Reader& reader, const ParseLimits& limits,
                     std::vector<Event>* events) {
  const auto newlines = static_cast<uint64_t>(std::count(body.begin(), body.end(), '\n'));
  events->reserve(std::min<uint64_t>(newlines + 1, limits.max_events));
  JsonCursor& cursor = reader.cursor();
  const char* line = body.data();
  const char* const end = body.data() + body.size();
  while (true) {
    const auto* nl = static_cast<const char*>(std::memchr(line, '\n', end - line));
    const char* const line_end = nl != nullptr ? nl : end;
    // Within a line, the '\r' of a CRLF is whitespace like any other.
    cursor.Reset(line, line_end);
    cursor.SkipSpace();
    if (!cursor.AtEnd()) {  // blank lines are skipped
      if (events->size() >= limits.max_events) return false;
      if (!reader.ReadEvent(&events->emplace_back())) return false;
      cursor.SkipSpace();
      if (!cursor.AtEnd()) return false;
    }
    if (nl == nullptr) return true;
    line = nl + 1;
  }
}

}  // namespace

bool ParseValidBatch(std::string_view body, BodyFormat format, const ParseLimits& limits,
                     VerdictCache* cache, std::vector<Event>* events) {
  Reader reader(limits, cache);
  return format == BodyFormat::kJson ? ParseJsonBody(body, reader, limits, events)
                                     : ParseNdjsonBody(body, reader, limits, events);
}

}  // namespace event_parser_internal
}  // namespace herald
