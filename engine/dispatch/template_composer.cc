#include "engine/dispatch/template_composer.h"

#include <algorithm>
#include <thread>
#include <unordered_map>
#include <utility>

#include "engine/rules/case_fold.h"
#include "engine/track/link_rewriter.h"
#include "templates/mime/mime_message.h"
#include "templates/render.h"
#include "templates/sms.h"
#include "templates/template_data.h"

namespace herald {
namespace {

// One fewer than the cores (the caller renders too), at most 3: rendering is CPU-bound,
// and the message store and RocksDB need the rest.
size_t AutoThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : std::min<size_t>(cores - 1, 3);
}

}  // namespace

Branding BrandingFor(const AgencyConfig& agency) {
  Branding b;
  b.name = agency.name;
  b.logo_url = agency.logo_url;
  b.primary_color = agency.primary_color;
  b.footer = agency.footer;
  b.address = agency.address;
  b.help_url = agency.help_url;
  return b;
}

TemplateComposer::TemplateComposer(ScheduleStore& schedule, const MessageStore& messages,
                                   ComposerSettings settings, CampaignSet campaigns,
                                   TemplateSet templates, EventLog* log, size_t compose_threads)
    : schedule_(schedule),
      log_(log),
      messages_(messages),
      settings_(std::move(settings)),
      branding_(BrandingFor(settings_.agency)),
      compose_threads_(compose_threads == kAutoThreads ? AutoThreads() : compose_threads),
      content_(
          std::make_shared<const Content>(Content{std::move(campaigns), std::move(templates)})) {}

TemplateComposer::~TemplateComposer() = default;

void TemplateComposer::SetContent(CampaignSet campaigns, TemplateSet templates) {
  auto content =
      std::make_shared<const Content>(Content{std::move(campaigns), std::move(templates)});
  std::lock_guard<std::mutex> lock(mu_);
  content_ = std::move(content);
}

std::shared_ptr<const TemplateComposer::Content> TemplateComposer::CurrentContent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return content_;
}

std::string TemplateComposer::UnsubscribeUrl(const std::string& message_id) const {
  if (settings_.tokens != nullptr) {
    Result<std::string> token =
        settings_.tokens->Encode(TrackingToken{TokenKind::kUnsubscribe, message_id, 0});
    if (token.ok()) return settings_.public_url + "/u/" + *token;
  }
  return settings_.public_url + "/u/" + message_id;
}

Status TemplateComposer::Register(const std::vector<TrackedMessage>& tracked) const {
  if (settings_.track == nullptr || tracked.empty()) return Status::Ok();
  return settings_.track->RegisterMessages(tracked);
}

Result<std::vector<Message>> TemplateComposer::Compose(const OutboxIntent& intent, Micros now) {
  const std::shared_ptr<const Content> content = CurrentContent();
  Result<std::optional<CaseView>> loaded = schedule_.GetCase(intent.plan.case_id);
  if (!loaded.ok()) return loaded.status();
  // The event that last (re)planned this send, for `event.*` in templates.
  std::optional<Event> event;
  if (log_ != nullptr) {
    Result<std::optional<Plan>> plan = schedule_.GetPlan(intent.plan);
    if (!plan.ok()) return plan.status();
    if (*plan && (*plan)->planned_seq > 0) {
      Result<std::vector<StoredEvent>> read = log_->ReadAfter((*plan)->planned_seq - 1, 1);
      if (!read.ok()) return read.status();
      if (!read->empty() && read->front().seq == (*plan)->planned_seq) {
        event = std::move(read->front().event);
      }
    }
  }
  std::vector<TrackedMessage> tracked;
  std::vector<Message> made =
      Render(*content, intent, std::move(loaded).value(), event ? &*event : nullptr, now, &tracked);
  if (Status s = Register(tracked); !s.ok()) return s;
  return made;
}

Result<std::vector<Message>> TemplateComposer::ComposeMany(const std::vector<OutboxIntent>& intents,
                                                           Micros now) {
  const std::shared_ptr<const Content> content = CurrentContent();
  const size_t n = intents.size();
  // The planning events: the plans in one batched read, then the events in ranges of the
  // log (an Intake step's intents were mostly planned by neighbouring events).
  std::vector<uint64_t> planned(n, 0);
  std::unordered_map<uint64_t, Event> events;
  if (log_ != nullptr && n > 0) {
    std::vector<PlanKey> keys;
    keys.reserve(n);
    for (const OutboxIntent& intent : intents) keys.push_back(intent.plan);
    Result<std::vector<std::optional<Plan>>> plans = schedule_.GetPlans(keys);
    if (!plans.ok()) return plans.status();
    for (size_t i = 0; i < n && i < plans->size(); ++i) {
      if ((*plans)[i]) planned[i] = (*plans)[i]->planned_seq;
    }
    if (Status s = ReadEvents(planned, &events); !s.ok()) return s;
  }

  // Each intent: its case view (a point read, on the rendering thread), then its messages.
  std::vector<Result<std::vector<Message>>> made(n, std::vector<Message>());
  std::vector<std::vector<TrackedMessage>> tracked(n);
  auto one = [&](size_t i) {
    const OutboxIntent& intent = intents[i];
    Result<std::optional<CaseView>> view = schedule_.GetCase(intent.plan.case_id);
    if (!view.ok()) {
      made[i] = view.status();
      return;
    }
    const Event* event = nullptr;
    if (planned[i] > 0) {
      auto it = events.find(planned[i]);
      if (it != events.end()) event = &it->second;
    }
    made[i] = Render(*content, intent, std::move(view).value(), event, now, &tracked[i]);
  };
  if (n > 1 && compose_threads_ > 0 && pool_ == nullptr) {
    pool_ = std::make_unique<WorkerPool>(compose_threads_);
  }
  if (pool_ != nullptr) {
    pool_->ParallelFor(n, one);
  } else {
    for (size_t i = 0; i < n; ++i) one(i);
  }

  size_t total = 0;
  for (const auto& r : made) {
    if (!r.ok()) return r.status();
    total += r->size();
  }
  std::vector<TrackedMessage> all_tracked;
  for (auto& t : tracked) {
    for (TrackedMessage& m : t) all_tracked.push_back(std::move(m));
  }
  if (Status s = Register(all_tracked); !s.ok()) return s;
  std::vector<Message> out;
  out.reserve(total);
  for (auto& r : made) {
    for (Message& m : *r) out.push_back(std::move(m));
  }
  return out;
}

Status TemplateComposer::ReadEvents(const std::vector<uint64_t>& seqs,
                                    std::unordered_map<uint64_t, Event>* events) const {
  std::vector<uint64_t> wanted;
  for (uint64_t seq : seqs) {
    if (seq > 0) wanted.push_back(seq);
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // Neighbouring seqs are read as one range, through gaps of up to kMaxGap events (reading
  // a few events not needed costs less than seeking again).
  constexpr uint64_t kMaxGap = 8;
  size_t i = 0;
  while (i < wanted.size()) {
    size_t j = i;
    while (j + 1 < wanted.size() && wanted[j + 1] - wanted[j] <= kMaxGap) ++j;
    const uint64_t first = wanted[i], last = wanted[j];
    Result<std::vector<StoredEvent>> read = log_->ReadAfter(first - 1, last - first + 1);
    if (!read.ok()) return read.status();
    size_t k = i;  // the next wanted seq in this range
    for (StoredEvent& e : *read) {
      while (k <= j && wanted[k] < e.seq) ++k;
      if (k <= j && wanted[k] == e.seq) events->emplace(e.seq, std::move(e.event));
    }
    i = j + 1;
  }
  return Status::Ok();
}

std::vector<Message> TemplateComposer::Render(const Content& content, const OutboxIntent& intent,
                                              std::optional<CaseView> loaded, const Event* event,
                                              Micros now,
                                              std::vector<TrackedMessage>* tracked) const {
  const CampaignSet& campaigns = content.campaigns;
  const TemplateSet& templates = content.templates;
  CaseView view;
  if (loaded) view = std::move(*loaded);
  const Recipient recipient = view.recipient.value_or(Recipient{});

  auto base = [&](Channel c) { return MessageSkeleton(intent, c, messages_.Secret(), now); };
  auto settle = [](Message* m, MessageStatus s, std::string failure, std::string reason) {
    m->status = s;
    m->failure = std::move(failure);
    m->reason = std::move(reason);
  };

  std::vector<Message> out;
  LinkRewriteOptions rewrite;
  rewrite.public_url = settings_.public_url;
  const bool rewriting = settings_.tokens != nullptr && !settings_.public_url.empty();
  // What the track store keeps of each message (links filled in as they are rewritten).
  auto track = [&](const Message& m, std::vector<std::string> links) {
    if (tracked == nullptr) return;
    TrackedMessage t;
    t.id = m.id;
    t.campaign = intent.plan.campaign;
    t.rule = intent.plan.rule;
    t.locale = m.locale.empty() ? intent.locale : m.locale;
    t.channel = m.channel;
    t.recipient_id = m.recipient_id;
    t.address = m.to;
    t.case_event_at = event != nullptr ? event->occurred_at_us : 0;
    t.created_at = now;
    t.links = std::move(links);
    tracked->push_back(std::move(t));
  };
  std::vector<std::string> links;  // the current message's link table
  auto emit = [&](Message&& m) {
    track(m, std::move(links));
    links.clear();
    out.push_back(std::move(m));
  };
  if (intent.channels.empty()) {
    Message m = base(Channel::kEmail);
    settle(&m, MessageStatus::kSuppressed, "", "no usable channel");
    emit(std::move(m));
    return out;
  }

  const Campaign* campaign = campaigns.Find(intent.plan.campaign);
  const std::string default_locale =
      campaign != nullptr ? campaign->default_locale() : intent.locale;
  const MessageTemplate* tmpl =
      templates.Resolve(intent.template_id, intent.locale, default_locale);

  TemplateContext context;
  context.case_id = intent.plan.case_id;
  context.campaign_id = intent.plan.campaign;
  context.campaign_name = campaign != nullptr ? campaign->name : intent.plan.campaign;
  context.rule_id = intent.plan.rule;
  context.occurrence = intent.occurrence;

  RenderInput in;
  bool prepared = false;
  for (const std::string& channel_name : intent.channels) {
    std::optional<Channel> channel = ChannelFromName(channel_name);
    if (!channel) continue;
    Message m = base(*channel);
    const std::optional<std::string>& address =
        *channel == Channel::kEmail ? recipient.email : recipient.phone;
    if (!address || address->empty()) {
      settle(&m, MessageStatus::kSuppressed, "",
             "the recipient has no " +
                 std::string(*channel == Channel::kEmail ? "email address" : "phone number"));
      emit(std::move(m));
      continue;
    }
    m.to = *address;
    if (tmpl == nullptr) {
      settle(&m, MessageStatus::kFailed, "permanent",
             "no template '" + intent.template_id + "' for locale " + intent.locale);
      emit(std::move(m));
      continue;
    }
    m.locale = tmpl->locale;

    // The same input for every channel of the intent, made once: the case state moves in.
    if (!prepared) {
      in.data = BuildTemplateData(std::move(view.state), event, &recipient, context);
      in.locale = recipient.locale.value_or(tmpl->locale);
      in.timezone = recipient.timezone.value_or("");
      in.default_timezone = campaign != nullptr ? campaign->timezone : "UTC";
      in.now = now;
      in.branding = branding_;
      prepared = true;
    }
    in.unsubscribe_url.clear();

    if (*channel == Channel::kEmail) {
      in.unsubscribe_url = UnsubscribeUrl(m.id);
      Result<RenderedEmail> email = RenderEmail(*tmpl, in);
      if (!email.ok()) {
        settle(&m, MessageStatus::kFailed, "permanent", email.status().message());
        emit(std::move(m));
        continue;
      }
      if (rewriting) {
        Result<MessageTokens> tokens = MakeMessageTokens(*settings_.tokens, m.id);
        if (tokens.ok()) {
          RewrittenEmail r = RewriteEmail(email->html, email->text, rewrite, *tokens);
          email->html = std::move(r.html);
          email->text = std::move(r.text);
          links = std::move(r.links);
        }
      }
      MimeMessageSpec spec;
      spec.from.address = settings_.email.from_address;
      spec.from.display_name =
          settings_.email.from_name.empty() ? settings_.agency.name : settings_.email.from_name;
      spec.to.address = *address;
      if (!settings_.email.reply_to.empty())
        spec.reply_to = MailAddress{settings_.email.reply_to, ""};
      spec.subject = std::move(email->subject);
      spec.text = std::move(email->text);  // back into m.text once the MIME is built
      spec.html = std::move(email->html);
      spec.date = now;
      spec.message_id = m.id;
      if (settings_.public_url.rfind("https://", 0) == 0) spec.unsubscribe_url = in.unsubscribe_url;
      spec.extra_headers.push_back({"Content-Language", tmpl->locale});
      Result<std::string> mime = BuildMimeMessage(spec);
      m.text = std::move(spec.text);
      if (!mime.ok()) {
        // The address passed validation at ingest; a failure here is a bad address or a
        // configuration problem, not something a retry fixes.
        settle(&m, MessageStatus::kFailed, "permanent", mime.status().message());
        emit(std::move(m));
        continue;
      }
      m.subject = std::move(spec.subject);
      m.mime = std::move(mime).value();
    } else {
      Result<RenderedSms> sms = RenderSms(*tmpl, in);
      if (!sms.ok()) {
        settle(&m, MessageStatus::kFailed, "permanent", sms.status().message());
        emit(std::move(m));
        continue;
      }
      if (rewriting) {
        Result<MessageTokens> tokens = MakeMessageTokens(*settings_.tokens, m.id);
        if (tokens.ok()) {
          RewrittenSms r = RewriteSms(sms->text, rewrite, *tokens);
          sms->text = std::move(r.text);
          sms->info = CountSms(sms->text);  // the tracked links have other lengths
          links = std::move(r.links);
        }
      }
      m.sms_text = std::move(sms->text);
      m.sms_encoding = sms->info.encoding;
      m.sms_segments = sms->info.segments;
      if (campaign != nullptr && campaign->max_segments &&
          m.sms_segments > *campaign->max_segments) {
        settle(&m, MessageStatus::kFailed, "permanent",
               "the SMS is " + std::to_string(m.sms_segments) + " segments, over max_segments " +
                   std::to_string(*campaign->max_segments) + " of campaign " + campaign->id);
      }
    }
    emit(std::move(m));
  }
  return out;
}

}  // namespace herald
