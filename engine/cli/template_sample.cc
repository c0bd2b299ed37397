#include "engine/cli/template_sample.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "engine/core/time_format.h"
#include "engine/core/validate.h"
#include "templates/template_data.h"

namespace herald::cli {
namespace {

using nlohmann::json;

class SampleParser {
 public:
  SampleParser(const std::string& file, std::vector<ConfigError>* errors)
      : file_(file), errors_(errors) {}

  std::optional<TemplateSample> Parse(const json& item, const std::string& prefix) {
    prefix_ = prefix;
    const size_t before = errors_->size();
    TemplateSample s;
    for (const auto& [key, value] : item.items()) {
      if (key == "event") {
        ParseEvent(value, &s);
      } else if (key == "recipient") {
        ParseRecipient(value, &s.recipient);
      } else if (key == "case") {
        if (!value.is_object() || value.size() != 1 || !value.contains("id") ||
            !value["id"].is_string() || value["id"].get<std::string>().empty()) {
          Error("case: must be {\"id\": \"...\"}, the case id ({{case.id}})");
        } else {
          s.case_id = value["id"].get<std::string>();
        }
      } else if (key == "campaign" || key == "rule" || key == "message") {
        Error(key +
              ": filled in by herald from the campaign and rule that send the template; "
              "leave it out");
      } else {
        s.state[key] = value;
      }
    }
    // The case as the rule engine sees it after the event: its data merged in (RFC 7396).
    if (s.event && s.event->data.is_object()) s.state.merge_patch(s.event->data);
    if (errors_->size() != before) return std::nullopt;
    return s;
  }

 private:
  void Error(const std::string& message) { errors_->push_back({file_, 0, 0, prefix_ + message}); }

  void ParseEvent(const json& v, TemplateSample* s) {
    static constexpr const char* kShape =
        "event: must be an object like {\"type\": \"case.status_changed\", \"occurred_at\": "
        "\"2026-03-04T18:45:00Z\", \"data\": {...}}";
    if (!v.is_object()) return Error(kShape);
    Event e;
    e.id = "sample-event";
    e.case_id = s->case_id;
    e.data = json::object();
    bool type = false, at = false;
    for (const auto& [key, value] : v.items()) {
      if (key == "id" || key == "type" || key == "occurred_at") {
        if (!value.is_string() || value.get<std::string>().empty()) {
          Error("event." + key + ": must be a non-empty string");
          continue;
        }
        const std::string text = value.get<std::string>();
        if (key == "id") {
          e.id = text;
        } else if (key == "type") {
          e.type = text;
          type = true;
        } else {
          std::optional<Micros> us = ParseRfc3339(text);
          if (!us) {
            Error("event.occurred_at: not an RFC 3339 time such as 2026-03-04T18:45:00Z");
            continue;
          }
          e.occurred_at = text;
          e.occurred_at_us = *us;
          at = true;
        }
      } else if (key == "data") {
        if (value.is_null()) continue;
        if (!value.is_object()) {
          Error("event.data: must be an object (the fields the event sent)");
          continue;
        }
        e.data = value;
      } else {
        Error("event: unknown key '" + key + "' (an event has id, type, occurred_at and data)");
      }
    }
    if (!type) Error("event: needs a type, such as \"case.status_changed\"");
    if (!at) Error("event: needs occurred_at, such as \"2026-03-04T18:45:00Z\"");
    s->event = std::move(e);
  }

  void ParseRecipient(const json& v, Recipient* r) {
    if (!v.is_object()) return Error("recipient: must be an object like {\"timezone\": ...}");
    for (const auto& [key, value] : v.items()) {
      if (key == "email" || key == "phone" || key == "channels") {
        Error("recipient." + key +
              ": not template data (templates never see addresses); "
              "leave it out");
        continue;
      }
      if (key != "id" && key != "locale" && key != "timezone") {
        Error("recipient: unknown key '" + key + "' (a recipient has id, locale and timezone)");
        continue;
      }
      if (!value.is_string() || value.get<std::string>().empty()) {
        Error("recipient." + key + ": must be a non-empty string");
        continue;
      }
      const std::string text = value.get<std::string>();
      if (key == "id") {
        r->id = text;
      } else if (key == "locale") {
        if (!IsValidLocale(text)) {
          Error("recipient.locale: '" + text + "' is not a BCP 47 locale such as es-MX");
          continue;
        }
        r->locale = text;
      } else {
        if (!IsKnownTimezone(text)) {
          Error("recipient.timezone: unknown time zone '" + text + "'");
          continue;
        }
        r->timezone = text;
      }
    }
  }

  const std::string& file_;
  std::vector<ConfigError>* errors_;
  std::string prefix_;
};

std::string JoinErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) out += (out.empty() ? "" : "\n") + e.ToString();
  return out;
}

}  // namespace

Result<json> ParseJsonText(std::string_view text, const std::string& file) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.byte counts the bytes read, up to and including the one that failed.
    const size_t last = std::min<size_t>(e.byte, text.size());
    const size_t index = last == 0 ? 0 : last - 1;
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < index; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::string message = e.what();
    if (const size_t at = message.find("parse error"); at != std::string::npos) {
      const size_t colon = message.find(": ", at);
      if (colon != std::string::npos) message = message.substr(colon + 2);
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) message = "the file is empty";
    return Status::InvalidArgument(file + ":" + std::to_string(line) + ":" +
                                   std::to_string(index - line_start + 1) + ": " + message);
  }
}

Result<TemplateSamples> ParseSamples(std::string_view text, const std::string& file,
                                     std::vector<ConfigError>* errors) {
  std::vector<ConfigError> found;
  Result<json> root = ParseJsonText(text, file);
  TemplateSamples out;
  out.file = file;
  if (!root.ok()) {
    // "file:line:column: message" back into its parts.
    const std::string& m = root.status().message();
    ConfigError e{file, 0, 0, m};
    int line = 0, column = 0, used = 0;
    if (std::sscanf(m.c_str() + file.size(), ":%d:%d: %n", &line, &column, &used) == 2 &&
        used > 0) {
      e = {file, line, column, m.substr(file.size() + used)};
    }
    found.push_back(std::move(e));
  } else {
    std::vector<const json*> items;
    if (root->is_object()) {
      items.push_back(&*root);
    } else if (root->is_array() && !root->empty() &&
               std::all_of(root->begin(), root->end(),
                           [](const json& j) { return j.is_object(); })) {
      for (const json& j : *root) items.push_back(&j);
    } else {
      found.push_back({file, 0, 0,
                       "sample data must be a JSON object (the case's fields, with optional "
                       "event and recipient) or a list of them"});
    }
    SampleParser parser(file, &found);
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string prefix = items.size() == 1 ? "" : "sample " + std::to_string(i + 1) + ": ";
      if (std::optional<TemplateSample> s = parser.Parse(*items[i], prefix)) {
        out.samples.push_back(std::move(*s));
      }
    }
  }
  if (!found.empty()) {
    std::string message = JoinErrors(found);
    if (errors) errors->insert(errors->end(), found.begin(), found.end());
    return Status::InvalidArgument(std::move(message));
  }
  return out;
}

Result<TemplateSamples> ReadSamples(const std::string& path, std::vector<ConfigError>* errors) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  if (in) buffer << in.rdbuf();
  if (!in) {
    ConfigError e{path, 0, 0, "cannot read the file"};
    if (errors) errors->push_back(e);
    return Status::InvalidArgument(e.ToString());
  }
  return ParseSamples(buffer.str(), path, errors);
}

std::string SamplePath(const std::string& templates_dir, std::string_view id) {
  return templates_dir + "/" + std::string(id) + "/sample.json";
}

RuleRef FirstSender(const CampaignSet& campaigns, std::string_view id) {
  for (const Campaign& c : campaigns.campaigns()) {
    for (const Rule& r : c.rules) {
      if (r.send == id) return {&c, &r};
    }
  }
  return {};
}

RenderInput SampleRenderInput(const TemplateSample& sample, std::string_view locale,
                              const RuleRef& sender, const Branding& branding) {
  TemplateContext context;
  context.case_id = sample.case_id;
  context.campaign_id = sender.campaign != nullptr ? sender.campaign->id : "sample";
  context.campaign_name = sender.campaign != nullptr ? sender.campaign->name : "sample";
  context.rule_id = sender.rule != nullptr ? sender.rule->id : "sample";
  context.occurrence = 1;
  Recipient recipient = sample.recipient;
  if (recipient.id.empty()) recipient.id = "sample-recipient";
  recipient.locale = std::string(locale);
  RenderInput in;
  in.data =
      BuildTemplateData(sample.state, sample.event ? &*sample.event : nullptr, &recipient, context);
  in.locale = std::string(locale);
  in.timezone = recipient.timezone.value_or("");
  in.default_timezone = sender.campaign != nullptr ? sender.campaign->timezone : "UTC";
  in.now = sample.event ? sample.event->occurred_at_us : 0;
  in.branding = branding;
  return in;
}
}  // namespace herald::cli
