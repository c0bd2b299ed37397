// The engine of `herald simulate`: the real rule engine and timer firer on a virtual
// clock over temporary stores, turning a list of events into what would be sent.
//
// Discrete-event simulation: events are posted in the order given, each at its `post_at`
// (the clock never goes back); before each one, every timer due strictly before that
// instant fires, in time order, with the clock moved to each timer's fire time; after the
// last one, timers keep firing up to `until` (inclusive). So events posted at the same
// instant (one batch of a replayed log) are all processed before the timers of that
// instant fire, as on the live engine, which processes what the log holds and then fires.
// Events after `until` are not posted (a warning counts them) and nothing after `until`
// is printed.
//
// What comes out is one JSON object a line (keys sorted, nlohmann's order), in time order:
// - a message: {"at","campaign","rule","case_id","recipient_id","channel","locale","to",
//   "subject","body","segments","status":"sent"}, one line per channel; `to` is the
//   recipient's address on that channel as of the send; subject (email), body (the email's
//   plain-text part or the SMS text) and segments (SMS) as rendered by the same composer
//   as serve's (null where they do not apply). A message that cannot be rendered (a
//   missing variable, an SMS over max_segments) has "status":"failed" and a reason; a
//   recipient with no usable channel gives one line with channel and to null,
//   "status":"suppressed" and a reason;
// - a cancelled send: {"at","campaign","rule","case_id","recipient_id","status":"cancelled",
//   "due","reason"};
// - a deferred send: {"at","campaign","rule","case_id","recipient_id","status":"deferred",
//   "due","until","reason"}, at the time the send would have gone (its due time, or when
//   its timer came up): a deferral decided ahead of time that a later re-plan or
//   cancellation made moot before that moment is left out;
// - with all_records, every other record too (planned, replanned, skipped, fired, done),
//   with "status" the record's kind, at the time it was made.
// Ties in time are ordered by case, campaign, rule, then deferred, cancelled, messages,
// other records. Same input, same bytes: nothing reads the wall clock.
#pragma once

#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/event.h"
#include "engine/core/result.h"
#include "engine/dispatch/template_composer.h"
#include "engine/rules/campaign.h"
#include "templates/template_set.h"

namespace herald::cli {

struct SimEvent {
  Event event;
  Micros post_at = 0;  // when it reaches the engine: occurred_at, or received_at for a replay
  size_t line = 0;     // where it came from, for warnings (0: not from a file)
};

struct SimulationOptions {
  std::string work_dir;  // an empty directory for the stores; the caller removes it
  Micros until = 0;      // fire timers up to here (inclusive) after the last event
  bool all_records = false;
  // Rendering: every message is rendered as serve would (TemplateComposer).
  TemplateSet templates;
  ComposerSettings composer;
};

struct SimulationOutput {
  std::vector<std::string> lines;     // NDJSON, without newlines, in output order
  std::vector<std::string> warnings;  // for stderr: events the log refused
};

// Runs the simulation. Errors: the stores' (opening, writing) and the engine's.
Result<SimulationOutput> RunSimulation(const CampaignSet& campaigns,
                                       const std::vector<SimEvent>& events,
                                       const SimulationOptions& options);

}  // namespace herald::cli
