// The event rules: shared predicates, and the general path's validator that reports
// every violation of them (see event_parser_internal.h).

#include <algorithm>
#include <string>
#include <utility>

#include "engine/api/event_parser_internal.h"
#include "engine/core/time_format.h"

namespace herald {
namespace event_parser_internal {
namespace {

using json = nlohmann::json;

bool IsTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

}  // namespace

IdentifierProblem CheckIdentifier(std::string_view s, bool is_type, uint64_t max_bytes) {
  if (s.empty()) return IdentifierProblem::kEmpty;
  if (s.size() > max_bytes) return IdentifierProblem::kTooLong;
  if (ContainsControl(s)) return IdentifierProblem::kControl;
  if (is_type && !std::all_of(s.begin(), s.end(), IsTypeChar)) return IdentifierProblem::kTypeChar;
  return IdentifierProblem::kNone;
}

bool VerdictCache::Memo::Check(std::string_view s, bool (*valid)(std::string_view)) {
  if (has_last_ && s == last_) return last_ok_;
  bool ok;
  if (s.size() > 64) {  // not worth remembering: real values are short
    return valid(s);
  } else if (auto it = verdicts_.find(s); it != verdicts_.end()) {
    ok = it->second;
  } else {
    ok = valid(s);
    verdicts_.emplace(s, ok);
  }
  last_.assign(s);
  last_ok_ = ok;
  has_last_ = true;
  return ok;
}

std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out(s.substr(0, n));
  out += "...";
  return out;
}

std::string ScalarText(const json& v) {
  if (v.is_string()) return Truncate(v.get_ref<const std::string&>(), kMaxValueBytes);
  if (v.is_structured()) return "";
  return Truncate(v.dump(), kMaxValueBytes);
}

void EventValidator::Add(json& v, int64_t index, std::vector<Event>* events) {
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

ParseFailure EventValidator::TakeFailure() {
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

void EventValidator::Error(std::string field, std::string value, std::string message) {
  ++error_count_;
  if (errors_.size() < kMaxEventErrors) {
    errors_.push_back({index_, std::move(field), std::move(value), std::move(message)});
  }
}

void SortDuplicates(DuplicateFields* duplicates) {
  std::sort(duplicates->begin(), duplicates->end());
  duplicates->erase(std::unique(duplicates->begin(), duplicates->end()), duplicates->end());
}

// A binary search: a hostile body can repeat many keys, and this runs for every key.
bool EventValidator::IsDuplicate(std::string_view prefix, std::string_view key) const {
  if (duplicates_->empty()) return false;
  std::pair<int64_t, std::string> field{index_, prefix};
  field.second += key;
  return std::binary_search(duplicates_->begin(), duplicates_->end(), field);
}

// The DOM kept the last of repeated keys; which one the client meant is anyone's guess,
// so a repeated field is an error (reported once, in place of checking its value).
void EventValidator::DuplicateError(std::string_view prefix, std::string_view key) {
  std::string field = std::string(prefix) + Truncate(key, kMaxValueBytes);
  std::string message = "duplicate field '" + field + "'";
  Error(std::move(field), "", std::move(message));
}

void EventValidator::ReadEvent(json::object_t& obj, Event* e) {
  for (auto& [key, v] : obj) {
    if (IsDuplicate("", key)) {
      DuplicateError("", key);
    } else if (key == "id") {
      TakeIdentifier(v, "id", false, &e->id);
    } else if (key == "case_id") {
      TakeIdentifier(v, "case_id", false, &e->case_id);
    } else if (key == "type") {
      TakeIdentifier(v, "type", true, &e->type);
    } else if (key == "occurred_at") {
      TakeTimestamp(v, e);
    } else if (key == "data") {
      TakeData(v, e);
    } else if (key == "recipient") {
      if (!v.is_null()) ReadRecipient(v, e);
    } else {
      Error(Truncate(key, kMaxValueBytes), ScalarText(v), "unknown field");
    }
  }
  for (const char* required : {"id", "case_id", "type", "occurred_at"}) {
    if (!obj.contains(required)) Error(required, "", "required field is missing");
  }
}

void EventValidator::TakeIdentifier(json& v, std::string_view field, bool is_type,
                                    std::string* out) {
  if (!v.is_string()) {
    Error(std::string(field), ScalarText(v), "must be a string");
    return;
  }
  std::string& s = v.get_ref<std::string&>();
  std::string problem;
  switch (CheckIdentifier(s, is_type, limits_.max_string_bytes)) {
    case IdentifierProblem::kNone:
      *out = std::move(s);
      return;
    case IdentifierProblem::kEmpty:
      problem = "must not be empty";
      break;
    case IdentifierProblem::kTooLong:
      problem = "longer than " + std::to_string(limits_.max_string_bytes) + " bytes";
      break;
    case IdentifierProblem::kControl:
      problem = "must not contain control characters";
      break;
    case IdentifierProblem::kTypeChar:
      problem = "may contain only letters, digits, '_', '.', ':' and '-'";
      break;
  }
  Error(std::string(field), Truncate(s, kMaxValueBytes), std::move(problem));
}

void EventValidator::TakeTimestamp(json& v, Event* e) {
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

void EventValidator::TakeData(json& v, Event* e) {
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
bool EventValidator::CheckDataStrings(const json& v, std::string* path, std::string* value,
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

void EventValidator::ReadRecipient(json& v, Event* e) {
  if (!v.is_object()) {
    Error("recipient", ScalarText(v), "must be an object");
    return;
  }
  Recipient r;
  const size_t errors_before = error_count_;
  for (auto& [key, f] : v.get_ref<json::object_t&>()) {
    if (IsDuplicate("recipient.", key)) {
      DuplicateError("recipient.", key);
    } else if (key == "id") {
      TakeIdentifier(f, "recipient.id", false, &r.id);
    } else if (key == "email") {
      TakeChecked(f, "recipient.email", &r.email, &VerdictCache::Email,
                  "not a valid email address (expected name@example.org, without spaces, "
                  "quotes, angle brackets or control characters)");
    } else if (key == "phone") {
      TakeChecked(f, "recipient.phone", &r.phone, &VerdictCache::Phone,
                  "not an E.164 phone number (expected + then country code and number, "
                  "e.g. +14155550100)");
    } else if (key == "locale") {
      TakeChecked(f, "recipient.locale", &r.locale, &VerdictCache::Locale,
                  "not a BCP 47 language tag (e.g. en, es-MX, zh-Hans)");
    } else if (key == "timezone") {
      TakeChecked(f, "recipient.timezone", &r.timezone, &VerdictCache::Timezone,
                  "unknown IANA timezone (e.g. America/New_York)");
    } else if (key == "channels") {
      TakeChannels(f, &r);
    } else {
      Error("recipient." + Truncate(key, kMaxValueBytes), ScalarText(f), "unknown field");
    }
  }
  if (error_count_ == errors_before) e->recipient = std::move(r);
}

void EventValidator::TakeChecked(json& v, const char* field, std::optional<std::string>* out,
                                 bool (VerdictCache::*valid)(std::string_view),
                                 const char* message) {
  if (!v.is_string()) {
    Error(field, ScalarText(v), "must be a string");
    return;
  }
  std::string& s = v.get_ref<std::string&>();
  if (!(cache_->*valid)(s)) {
    Error(field, Truncate(s, kMaxValueBytes), message);
    return;
  }
  *out = std::move(s);
}

void EventValidator::TakeChannels(json& v, Recipient* r) {
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

}  // namespace event_parser_internal
}  // namespace herald
