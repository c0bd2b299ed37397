// Template sample data: what `herald validate` and `herald preview` render templates with.
//
// Sample data lives next to a template's locale files, in `<templates>/<id>/sample.json`
// (docs/templates.md, "Sample data"): a JSON object shaped like a case's state (its
// fields at the top level), with optional members `event` ({id, type, occurred_at,
// data}: the event the message comes from, for `event.*`; its data is merged into the
// case, as the engine merges events), `recipient` ({id, locale, timezone}) and `case`
// ({id}); or a non-empty array of such objects when one case cannot show every branch of
// the template (an approval and a denial). `campaign`, `rule` and `message` are refused:
// they come from the campaign that sends the template. TemplateSet::Load ignores the file
// (it is not a .md).
//
// Pure functions of their arguments except ReadSamples, which reads a file. Nothing here
// prints. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config.h"  // ConfigError
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/rules/campaign.h"
#include "templates/branding.h"
#include "templates/render.h"

namespace herald::cli {

// One sample case: what the template data is built from.
struct TemplateSample {
  nlohmann::json state = nlohmann::json::object();  // the case's fields (no reserved members)
  std::string case_id = "SAMPLE-1";                 // `case.id`
  std::optional<Event> event;                       // `event`, when given
  Recipient recipient;                              // `recipient`: id, locale, timezone
};

// The samples of one template, and where they came from (for messages).
struct TemplateSamples {
  std::string file;                     // the sample.json path, or a --data path
  std::vector<TemplateSample> samples;  // non-empty
};

// Parses JSON text, reporting a syntax error as "file:line:column: message" (line and
// column 1-based, column in bytes) in an InvalidArgument status.
Result<nlohmann::json> ParseJsonText(std::string_view text, const std::string& file);

// Parses sample data (see the top of this file). Every problem is reported: as
// "file: message" lines (JSON syntax errors with line:column) in the InvalidArgument
// status, and appended to `errors` when given. Problems name the sample (when the file
// holds several) and the member: "sample 2: event.occurred_at: not an RFC 3339 time".
Result<TemplateSamples> ParseSamples(std::string_view text, const std::string& file,
                                     std::vector<ConfigError>* errors = nullptr);

// Reads and parses a samples file. NotFound when the file does not exist; otherwise as
// ParseSamples (an unreadable file is one error).
Result<TemplateSamples> ReadSamples(const std::string& path,
                                    std::vector<ConfigError>* errors = nullptr);

// `<templates_dir>/<id>/sample.json`.
std::string SamplePath(const std::string& templates_dir, std::string_view id);

// A campaign rule that sends template `id`: the first in campaign and rule order.
// {nullptr, nullptr} when no campaign sends it.
RuleRef FirstSender(const CampaignSet& campaigns, std::string_view id);

// What RenderEmail/RenderSms get for `sample`, as TemplateComposer builds it for a
// recipient whose locale is `locale`: BuildTemplateData over the sample (recipient.locale
// set to `locale`), the sample recipient's time zone, the campaign's as default (UTC
// without a campaign), the campaign, rule and occurrence 1 as context ("sample" for the
// campaign and rule when none sends the template; recipient id "sample-recipient" when the
// sample gives none). `unsubscribe_url` and `rewrite_link` are left empty.
RenderInput SampleRenderInput(const TemplateSample& sample, std::string_view locale,
                              const RuleRef& sender, const Branding& branding);

}  // namespace herald::cli
