// Loading the campaigns directory: every `*.yaml` / `*.yml` file in it, each one
// campaign, checked completely and compiled into a CampaignSet.
//
// Like the configuration, campaigns are validated once, before they are used, and every
// problem in every file is reported in one pass with file:line:column (ConfigError), so
// an agency fixes a directory in one round. The file format and every message:
// docs/campaigns.md.
#pragma once

#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/rules/campaign.h"

namespace herald {

// The outcome of loading a campaigns directory.
struct CampaignLoad {
  CampaignSet campaigns;            // every campaign; empty unless `errors` is empty
  std::vector<ConfigError> errors;  // files in name order, each file's errors by position
  size_t files = 0;                 // campaign files found

  bool ok() const { return errors.empty(); }
};

// Loads every campaign file of `campaigns_dir`: the regular files (or links to them)
// whose names end in ".yaml" or ".yml" and do not start with '.' (editors' lock and
// backup files), in byte order of their names; sub-directories are not read. Error
// positions name a file as campaigns_dir + "/" + its name.
//
// - `campaigns_dir` empty (no `campaigns:` configured): no campaigns, no errors.
// - `campaigns_dir` missing or not a directory: one error without position. An existing
//   directory without campaign files: no campaigns, no errors.
// - Templates: each rule's `send: <id>` needs the directory `<templates_dir>/<id>/` with
//   a `<locale>.md` for every locale of the campaign (the locale as written). An empty
//   or missing `templates_dir` is one error (when there are campaigns to check).
//
// Checks, besides types and unknown keys, everything docs/campaigns.md lists: ids,
// durations, locales, time zone, quiet hours, frequency cap, expressions (a syntax error
// is reported at its exact place in the file, the expression with a caret below it on the
// following lines), contradictory timing options, channels, duplicate rule ids in a file
// and duplicate campaign ids across files (reported in both files).
//
// Reads only the files named above; never throws (allocation failure aside).
CampaignLoad LoadCampaigns(const std::string& campaigns_dir, const std::string& templates_dir);

}  // namespace herald
