#include "engine/config/config_sections.h"

#include <algorithm>
#include <cctype>

#include "engine/config/config_values.h"
#include "engine/core/duration.h"
#include "engine/core/validate.h"

namespace herald::config_internal {
namespace {

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A non-empty single-line string.
std::optional<std::string> ReadLine(const YamlEntry& e, Diagnostics* diag) {
  auto s = ReadString(e, diag);
  if (!s) return std::nullopt;
  if (s->empty() || HasControl(*s) || FindInvalidUtf8(*s).has_value()) {
    diag->Add(e.value, e.name + ": expected one line of UTF-8 text", e.key);
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> ReadHttpUrl(const YamlEntry& e, Diagnostics* diag) {
  auto s = ReadLine(e, diag);
  if (!s) return std::nullopt;
  std::string normalised, error;
  if (!NormalisePublicUrl(*s, &normalised, &error)) {
    // NormalisePublicUrl refuses queries; a logo or help URL may well have one.
    if (!(s->rfind("https://", 0) == 0 || s->rfind("http://", 0) == 0) ||
        s->find_first_of(" <>\"") != std::string::npos) {
      diag->Add(e.value, e.name + ": expected an http:// or https:// URL", e.key);
      return std::nullopt;
    }
  }
  return s;
}

std::optional<int64_t> ReadDuration(const YamlEntry& e, Diagnostics* diag) {
  auto s = ReadString(e, diag);
  if (!s) return std::nullopt;
  Result<Micros> d = ParseDurationOrError(*s);
  if (!d.ok()) {
    diag->Add(e.value, e.name + ": " + d.status().message(), e.key);
    return std::nullopt;
  }
  return *d;
}

}  // namespace

bool ParseMailbox(std::string_view text, std::string* name, std::string* address,
                  std::string* error) {
  std::string_view addr = text;
  std::string_view display;
  if (size_t lt = text.rfind('<'); lt != std::string_view::npos) {
    if (text.back() != '>') {
      *error = "expected \"Name <address>\" or an address";
      return false;
    }
    addr = text.substr(lt + 1, text.size() - lt - 2);
    display = text.substr(0, lt);
    while (!display.empty() && std::isspace(static_cast<unsigned char>(display.back()))) {
      display.remove_suffix(1);
    }
    if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
      display = display.substr(1, display.size() - 2);
    }
  }
  if (HasControl(text) || FindInvalidUtf8(text).has_value()) {
    *error = "control characters or invalid UTF-8";
    return false;
  }
  if (!IsValidEmail(addr)) {
    *error = "'" + std::string(addr) + "' is not an email address";
    return false;
  }
  *name = std::string(display);
  *address = std::string(addr);
  return true;
}

void ReadAgency(const YamlEntry& e, Diagnostics* diag, AgencyConfig* out) {
  YamlMap map(e.value, "agency", diag, e.key);
  if (auto v = map.Take("name")) {
    if (auto s = ReadLine(*v, diag)) out->name = *s;
  }
  if (auto v = map.Take("logo_url")) {
    if (auto s = ReadHttpUrl(*v, diag)) out->logo_url = *s;
  }
  if (auto v = map.Take("help_url")) {
    if (auto s = ReadHttpUrl(*v, diag)) out->help_url = *s;
  }
  if (auto v = map.Take("footer")) {
    if (auto s = ReadString(*v, diag)) out->footer = *s;
  }
  if (auto v = map.Take("address")) {
    if (auto s = ReadString(*v, diag)) out->address = *s;
  }
  if (auto v = map.Take("primary_color")) {
    if (auto s = ReadString(*v, diag)) {
      bool ok = s->size() == 7 && (*s)[0] == '#';
      for (size_t i = 1; ok && i < s->size(); ++i) ok = std::isxdigit((*s)[i]) != 0;
      if (ok) {
        out->primary_color = *s;
      } else {
        diag->Add(v->value, "primary_color: expected a colour as #rrggbb", v->key);
      }
    }
  }
  map.RejectUnknown();
}

void ReadEmail(const YamlEntry& e, Diagnostics* diag, EmailConfig* out) {
  YamlMap map(e.value, "email", diag, e.key);
  if (auto v = map.Take("from")) {
    if (auto s = ReadString(*v, diag)) {
      std::string error;
      if (!ParseMailbox(*s, &out->from_name, &out->from_address, &error)) {
        diag->Add(v->value, "from: " + error, v->key);
      }
    }
  }
  if (auto v = map.Take("reply_to")) {
    if (auto s = ReadString(*v, diag)) {
      if (IsValidEmail(*s)) {
        out->reply_to = *s;
      } else {
        diag->Add(v->value, "reply_to: '" + *s + "' is not an email address", v->key);
      }
    }
  }
  map.RejectUnknown();
}

void ReadDelivery(const YamlEntry& e, Diagnostics* diag, DeliveryConfig* out) {
  YamlMap map(e.value, "delivery", diag, e.key);
  if (auto v = map.Take("max_attempts")) {
    if (auto n = ReadInteger(*v, 1, 100, diag)) out->max_attempts = static_cast<uint32_t>(*n);
  }
  const std::pair<const char*, int64_t*> durations[] = {
      {"retry_initial", &out->retry_initial_us},
      {"retry_max", &out->retry_max_us},
      {"max_age", &out->max_age_us},
      {"send_lease", &out->send_lease_us},
  };
  for (const auto& [name, field] : durations) {
    if (auto v = map.Take(name)) {
      if (auto d = ReadDuration(*v, diag)) *field = *d;
    }
  }
  if (out->retry_max_us < out->retry_initial_us) {
    diag->Add(map.node(), "delivery: retry_max must not be shorter than retry_initial", e.key);
  }
  map.RejectUnknown();
}

void ReadRetention(const YamlEntry& e, Diagnostics* diag, RetentionConfig* out) {
  YamlMap map(e.value, "retention", diag, e.key);
  if (auto v = map.Take("pii")) {
    if (auto d = ReadDuration(*v, diag)) {
      // Shorter than a day would purge messages still being retried and links just sent.
      if (*d != 0 && *d < 24LL * 3600 * 1000000) {
        diag->Add(v->value, "pii: keep personal data at least 1d (or 0 to keep it)", v->key);
      } else {
        out->pii_us = *d;
      }
    }
  }
  if (auto v = map.Take("purge_every")) {
    if (auto d = ReadDuration(*v, diag)) {
      if (*d < 60LL * 1000000) {
        diag->Add(v->value, "purge_every: at least 1m", v->key);
      } else {
        out->purge_every_us = *d;
      }
    }
  }
  map.RejectUnknown();
}

void ReadStatusCallbacks(const YamlEntry& e, Diagnostics* diag, const EnvLookup& env,
                         StatusCallbackConfig* out) {
  YamlMap map(e.value, "status_callbacks", diag, e.key);
  if (auto v = map.Require("url")) {
    if (auto s = ReadHttpUrl(*v, diag)) out->url = *s;
  }
  if (auto v = map.Require("secret_env")) {
    if (auto name = ReadString(*v, diag)) {
      std::optional<std::string> secret = env(*name);
      if (!secret || secret->size() < 16) {
        diag->Add(v->value,
                  "secret_env: the environment variable " + *name +
                      (secret ? " holds fewer than 16 bytes" : " is not set"),
                  v->key);
      } else {
        out->secret = *secret;
      }
    }
  }
  if (auto v = map.Take("max_attempts")) {
    if (auto n = ReadInteger(*v, 1, 1000, diag)) out->max_attempts = static_cast<uint32_t>(*n);
  }
  const std::pair<const char*, int64_t*> durations[] = {
      {"retry_initial", &out->retry_initial_us},
      {"retry_max", &out->retry_max_us},
      {"max_age", &out->max_age_us},
  };
  for (const auto& [name, field] : durations) {
    if (auto v = map.Take(name)) {
      if (auto d = ReadDuration(*v, diag)) *field = *d;
    }
  }
  if (out->retry_max_us < out->retry_initial_us) {
    diag->Add(map.node(), "status_callbacks: retry_max must not be shorter than retry_initial",
              e.key);
  }
  map.RejectUnknown("secrets are never written in the file: use secret_env");
}

void ReadChannels(const YamlEntry& e, Diagnostics* diag, DeliveryConfig* out,
                  std::vector<std::pair<std::string, YAML::Node>>* refs) {
  YamlMap map(e.value, "channels", diag, e.key);
  const std::pair<const char*, std::vector<std::string>*> channels[] = {
      {"email", &out->email_connectors}, {"sms", &out->sms_connectors}};
  for (const auto& [name, list] : channels) {
    auto v = map.Take(name);
    if (!v) continue;
    auto items = ReadList(*v, diag);
    if (!items) continue;
    if (items->empty()) diag->Add(v->value, std::string(name) + ": list at least one connector");
    for (const YAML::Node& item : *items) {
      if (!item.IsScalar()) {
        diag->Add(item, std::string(name) + ": expected a connector name");
        continue;
      }
      list->push_back(item.Scalar());
      refs->emplace_back(item.Scalar(), item);
    }
  }
  map.RejectUnknown();
}

namespace {

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One reply text; `e.name` is its whole path ("sms_replies.es.help").
bool ReadReplyText(const YamlEntry& e, Diagnostics* diag, SmsReplyText* out) {
  auto s = ReadString(e, diag);
  if (!s) return false;
  if (s->find_first_not_of(' ') == std::string::npos) {
    diag->Add(e.value, e.name + ": must not be empty (leave it out for the built-in reply)", e.key);
    return false;
  }
  if (FindInvalidUtf8(*s).has_value()) {
    diag->Add(e.value, e.name + ": is not valid UTF-8", e.key);
    return false;
  }
  if (ContainsControl(*s)) {
    diag->Add(e.value, e.name + ": must be one line without control characters", e.key);
    return false;
  }
  out->text = *s;
  out->line = e.value.Mark().line + 1;
  out->column = e.value.Mark().column + 1;
  return true;
}

}  // namespace

void ReadSmsReplies(const YamlEntry& e, Diagnostics* diag, std::vector<SmsReplySet>* out) {
  YamlMap map(e.value, "sms_replies", diag, e.key);
  std::vector<YamlEntry> seen;
  for (const YamlEntry& l : map.TakeRest()) {
    const std::string path = "sms_replies." + l.name;
    bool ok = true;
    if (!IsValidLocale(l.name)) {
      diag->Add(l.key, "sms_replies: '" + l.name +
                           "' is not a BCP 47 locale (a language such as en, es or es-MX)");
      ok = false;
    }
    for (const YamlEntry& earlier : seen) {
      if (!EqualsIgnoreAsciiCase(earlier.name, l.name)) continue;
      diag->Add(l.key, "sms_replies: locale '" + l.name + "' is given twice (as '" + earlier.name +
                           "' at line " + std::to_string(earlier.key.Mark().line + 1) + ")");
      ok = false;
      break;
    }
    seen.push_back(l);
    YamlMap texts(l.value, path, diag, l.key);
    if (!texts.valid()) continue;
    SmsReplySet set;
    set.locale = l.name;
    const std::pair<const char*, SmsReplyText*> fields[] = {
        {"help", &set.help}, {"stop", &set.stop}, {"start", &set.start}};
    bool any = false;
    for (const auto& [name, field] : fields) {
      auto v = texts.Take(name);
      if (!v) continue;
      any = true;
      ok = ReadReplyText({path + "." + name, v->key, v->value}, diag, field) && ok;
    }
    texts.RejectUnknown("the replies are help, stop and start");
    // With only unknown keys, those are the errors; an empty mapping is one of its own.
    if (!any && l.value.size() == 0) {
      diag->Add(l.value, path + ": give at least one of help, stop and start", l.key);
    }
    ok = ok && any;
    if (ok) out->push_back(std::move(set));
  }
}

bool ReadConnectorRate(const YamlEntry& e, Diagnostics* diag, ConnectorConfig* out) {
  YamlMap map(e.value, "rate", diag, e.key);
  if (!map.valid()) return false;
  bool ok = true;
  if (auto v = map.Require("per_second")) {
    bool good = false;
    if (v->value.IsScalar()) {
      try {
        size_t used = 0;
        double d = std::stod(v->value.Scalar(), &used);
        good = used == v->value.Scalar().size() && d > 0 && d <= 1e6;
        if (good) out->rate_per_second = d;
      } catch (const std::exception&) {
      }
    }
    if (!good) diag->Add(v->value, "per_second: expected a number above 0", v->key);
    ok = ok && good;
  } else {
    ok = false;
  }
  if (auto v = map.Take("burst")) {
    if (auto n = ReadInteger(*v, 1, 100000, diag)) {
      out->burst = static_cast<uint32_t>(*n);
    } else {
      ok = false;
    }
  }
  map.RejectUnknown();
  return ok;
}

}  // namespace herald::config_internal
