// TemplateComposer: the MessageComposer of `herald serve` and `herald simulate`.
//
// For an intent it reads the case as the rule engine last saw it (ScheduleStore's
// CaseView: state and recipient) and the event that planned the send (for `event.*`), resolves the
// template for the intent's locale (TemplateSet::Resolve, falling back to the campaign default),
// and renders per channel:
// - email: RenderEmail, then BuildMimeMessage (From from `email:`, Message-ID from the
//   message id, Date from the clock, List-Unsubscribe + One-Click when public_url is
//   https), so the stored bytes are what every attempt sends;
// - SMS: RenderSms, checked against the campaign's max_segments.
// Failures become settled messages (see composer.h): a missing address on the channel
// is suppressed; a template gone, a rendering error or an SMS too long is failed
// (permanent) with the reason. The reason names the template and variable, never a value.
//
// Thread safety: Compose from one thread at a time; SetContent from any thread (a reload)
// takes effect at the next Compose.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/dispatch/composer.h"
#include "engine/dispatch/message_store.h"
#include "engine/rules/campaign.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/event_log.h"
#include "templates/branding.h"
#include "templates/template_set.h"

namespace herald {

struct ComposerSettings {
  AgencyConfig agency;
  EmailConfig email;
  std::string public_url;  // links to /u/{message id} for unsubscribing
};

class TemplateComposer final : public MessageComposer {
 public:
  // `schedule`, `messages` (for its secret) and `log` must outlive the composer. `log`
  // (optional) gives templates `event.*`: the event that last planned the send.
  TemplateComposer(ScheduleStore& schedule, const MessageStore& messages, ComposerSettings settings,
                   CampaignSet campaigns, TemplateSet templates, EventLog* log = nullptr);

  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override;

  // Replaces campaigns and templates (a reload).
  void SetContent(CampaignSet campaigns, TemplateSet templates);

  // The unsubscribe link of a message.
  std::string UnsubscribeUrl(const std::string& message_id) const;

 private:
  ScheduleStore& schedule_;
  EventLog* const log_;
  const MessageStore& messages_;
  const ComposerSettings settings_;
  const Branding branding_;
  std::mutex mu_;
  CampaignSet campaigns_;  // guarded by mu_
  TemplateSet templates_;  // guarded by mu_
};

// The Branding the email layout gets from `agency:`.
Branding BrandingFor(const AgencyConfig& agency);

}  // namespace herald
