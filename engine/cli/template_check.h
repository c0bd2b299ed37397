// The template checks of `herald validate`: every template rendered with its sample data
// (template_sample.h) in every locale, as serve would render it.
//
// CheckTemplateSamples renders every locale of every template that has samples, email and
// SMS, with each sample, and reports what would fail at send time, at the position in the
// template file where it is written: variables no sample provides, render errors (a value
// a helper cannot read), and an SMS over the max_segments of a campaign that sends the
// template.
//
// CheckTemplateSamples reads the sample files; CheckTemplate is a pure function of its
// arguments. Nothing here prints: callers print the ConfigErrors. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/template_sample.h"
#include "engine/config/config.h"  // ConfigError
#include "engine/rules/campaign.h"
#include "templates/branding.h"
#include "templates/template_set.h"

namespace herald::cli {

// What CheckTemplateSamples found. Errors and warnings in file order, then position.
struct TemplateCheckReport {
  std::vector<ConfigError> errors;
  std::vector<ConfigError> warnings;  // templates without sample data
  size_t templates_checked = 0;       // templates that had samples
  size_t renders = 0;                 // email and SMS renders done
};

// Checks one template id (every locale) with `samples`; appends to `report`. Errors:
// - "<part>: missing variable 'x': the sample data does not provide it" at the first
//   use of a variable ({{x}}, not a section) that no sample has (or has null), with the
//   other uses of it in that part listed; a name inside a section counts as provided when
//   an object a section of the template reaches has it (a field of a list item);
// - a render error of a sample ("body: missing variable 'x' with sample 2",
//   "body: {{#date}}: the value of 'due_date' is not ... with the sample") at the use of
//   the variable it names, else at the start of the part;
// - "sms: renders to 3 segments (UCS-2, 143 units) with the sample; campaign c allows 2"
//   for each campaign that sends the template and sets max_segments, rendered in that
//   campaign's time zone.
void CheckTemplate(const TemplateSet& templates, std::string_view id,
                   const TemplateSamples& samples, const CampaignSet& campaigns,
                   const Branding& branding, TemplateCheckReport* report);

// Checks every template of `templates` with its `<templates_dir>/<id>/sample.json`. A
// template without one gets a warning ("its variables were not checked"); a sample.json
// that does not parse is an error.
TemplateCheckReport CheckTemplateSamples(const TemplateSet& templates,
                                         const std::string& templates_dir,
                                         const CampaignSet& campaigns, const Branding& branding);

}  // namespace herald::cli
