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
// ComposeMany (an Intake step) reads ahead: the plans in one batched read, the planning
// events in ranges of the log, then reads each case view and renders each intent on a
// small pool of threads (the caller's included), and returns the messages in intent order,
// byte-identical to Compose of each (rendering is deterministic and thread-safe). The case
// views are read from the pool's threads (ScheduleStore allows concurrent calls).
//
// Thread safety: Compose and ComposeMany from one thread at a time; SetContent from any
// thread (a reload) takes effect at the next call (a call in progress keeps the content it
// started with: an immutable snapshot held by shared_ptr, never copied per message).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/dispatch/composer.h"
#include "engine/dispatch/message_store.h"
#include "engine/dispatch/worker_pool.h"
#include "engine/rules/campaign.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/event_log.h"
#include "engine/track/track_store.h"
#include "engine/track/tracking_token.h"
#include "templates/branding.h"
#include "templates/template_set.h"

namespace herald {

struct ComposerSettings {
  AgencyConfig agency;
  EmailConfig email;
  std::string public_url;  // tracking, click and unsubscribe links live under it
  // Tracking (both optional, not owned). With `tokens`, every http(s) link of an email and
  // an SMS becomes {public_url}/c/{token}, emails get the open pixel, and the unsubscribe
  // link is {public_url}/u/{token} (engine/track/link_rewriter.h); SMS segments are
  // counted after rewriting. Without it links stay direct and the unsubscribe link is
  // {public_url}/u/{message id}. With `track`, every composed message (sent or settled)
  // is registered there with its link table, in one write per Compose/ComposeMany call
  // and before the messages are returned, so a link works as soon as it can be sent.
  TrackStore* track = nullptr;
  const TokenCodec* tokens = nullptr;
};

class TemplateComposer final : public MessageComposer {
 public:
  // `schedule`, `messages` (for its secret) and `log` must outlive the composer. `log`
  // (optional) gives templates `event.*`: the event that last planned the send.
  // `compose_threads`: threads ComposeMany renders on besides the caller's; kAutoThreads
  // is one fewer than the machine's cores, at most 3. The pool starts at the first
  // ComposeMany of more than one intent.
  static constexpr size_t kAutoThreads = static_cast<size_t>(-1);
  TemplateComposer(ScheduleStore& schedule, const MessageStore& messages, ComposerSettings settings,
                   CampaignSet campaigns, TemplateSet templates, EventLog* log = nullptr,
                   size_t compose_threads = kAutoThreads);
  ~TemplateComposer() override;

  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override;
  Result<std::vector<Message>> ComposeMany(const std::vector<OutboxIntent>& intents,
                                           Micros now) override;

  // Replaces campaigns and templates (a reload).
  void SetContent(CampaignSet campaigns, TemplateSet templates);

  // The unsubscribe link of a message.
  std::string UnsubscribeUrl(const std::string& message_id) const;

 private:
  struct Content {
    CampaignSet campaigns;
    TemplateSet templates;
  };

  std::shared_ptr<const Content> CurrentContent() const;
  // The events at `seqs` (0: none), read in ranges of the log.
  Status ReadEvents(const std::vector<uint64_t>& seqs,
                    std::unordered_map<uint64_t, Event>* events) const;
  // The messages of one intent, given its case view (absent: an empty case) and planning
  // event (may be null). Never fails: what cannot be made is a settled message.
  // `tracked` (when not null) gets each message's registration for the track store.
  std::vector<Message> Render(const Content& content, const OutboxIntent& intent,
                              std::optional<CaseView> view, const Event* event, Micros now,
                              std::vector<TrackedMessage>* tracked) const;
  // Registers `tracked` with settings_.track (nothing to do without one).
  Status Register(const std::vector<TrackedMessage>& tracked) const;

  ScheduleStore& schedule_;
  EventLog* const log_;
  const MessageStore& messages_;
  const ComposerSettings settings_;
  const Branding branding_;
  const size_t compose_threads_;
  mutable std::mutex mu_;
  std::shared_ptr<const Content> content_;  // guarded by mu_; never null
  std::unique_ptr<WorkerPool> pool_;        // made by the first parallel ComposeMany
};

// The Branding the email layout gets from `agency:`.
Branding BrandingFor(const AgencyConfig& agency);

}  // namespace herald
