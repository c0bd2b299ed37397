#include "engine/dispatch/template_composer.h"

#include <utility>

#include "engine/rules/case_fold.h"
#include "templates/mime/mime_message.h"
#include "templates/render.h"
#include "templates/template_data.h"

namespace herald {
namespace {

std::string DomainOf(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
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
                                   TemplateSet templates, EventLog* log)
    : schedule_(schedule),
      log_(log),
      messages_(messages),
      settings_(std::move(settings)),
      branding_(BrandingFor(settings_.agency)),
      campaigns_(std::move(campaigns)),
      templates_(std::move(templates)) {}

void TemplateComposer::SetContent(CampaignSet campaigns, TemplateSet templates) {
  std::lock_guard<std::mutex> lock(mu_);
  campaigns_ = std::move(campaigns);
  templates_ = std::move(templates);
}

std::string TemplateComposer::UnsubscribeUrl(const std::string& message_id) const {
  return settings_.public_url + "/u/" + message_id;
}

Result<std::vector<Message>> TemplateComposer::Compose(const OutboxIntent& intent, Micros now) {
  CampaignSet campaigns;
  TemplateSet templates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    campaigns = campaigns_;
    templates = templates_;
  }
  Result<std::optional<CaseView>> loaded = schedule_.GetCase(intent.plan.case_id);
  if (!loaded.ok()) return loaded.status();
  CaseView view;
  if (*loaded) view = std::move(**loaded);
  const Recipient recipient = view.recipient.value_or(Recipient{});
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

  auto base = [&](Channel c) { return MessageSkeleton(intent, c, messages_.Secret(), now); };
  auto settle = [](Message* m, MessageStatus s, std::string failure, std::string reason) {
    m->status = s;
    m->failure = std::move(failure);
    m->reason = std::move(reason);
  };

  std::vector<Message> out;
  if (intent.channels.empty()) {
    Message m = base(Channel::kEmail);
    settle(&m, MessageStatus::kSuppressed, "", "no usable channel");
    out.push_back(std::move(m));
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
      out.push_back(std::move(m));
      continue;
    }
    m.to = *address;
    if (tmpl == nullptr) {
      settle(&m, MessageStatus::kFailed, "permanent",
             "no template '" + intent.template_id + "' for locale " + intent.locale);
      out.push_back(std::move(m));
      continue;
    }
    m.locale = tmpl->locale;

    RenderInput in;
    in.data = BuildTemplateData(view.state, event ? &*event : nullptr, &recipient, context);
    in.locale = recipient.locale.value_or(tmpl->locale);
    in.timezone = recipient.timezone.value_or("");
    in.default_timezone = campaign != nullptr ? campaign->timezone : "UTC";
    in.now = now;
    in.branding = branding_;

    if (*channel == Channel::kEmail) {
      in.unsubscribe_url = UnsubscribeUrl(m.id);
      Result<RenderedEmail> email = RenderEmail(*tmpl, in);
      if (!email.ok()) {
        settle(&m, MessageStatus::kFailed, "permanent", email.status().message());
        out.push_back(std::move(m));
        continue;
      }
      MimeMessageSpec spec;
      spec.from.address = settings_.email.from_address;
      spec.from.display_name =
          settings_.email.from_name.empty() ? settings_.agency.name : settings_.email.from_name;
      spec.to.address = *address;
      if (!settings_.email.reply_to.empty())
        spec.reply_to = MailAddress{settings_.email.reply_to, ""};
      spec.subject = email->subject;
      spec.text = email->text;
      m.text = std::move(email->text);
      spec.html = std::move(email->html);
      spec.date = now;
      spec.message_id = m.id;
      spec.message_id_domain = DomainOf(settings_.email.from_address);
      if (settings_.public_url.rfind("https://", 0) == 0) spec.unsubscribe_url = in.unsubscribe_url;
      spec.extra_headers.push_back({"Content-Language", tmpl->locale});
      Result<std::string> mime = BuildMimeMessage(spec);
      if (!mime.ok()) {
        // The address passed validation at ingest; a failure here is a bad address or a
        // configuration problem, not something a retry fixes.
        settle(&m, MessageStatus::kFailed, "permanent", mime.status().message());
        out.push_back(std::move(m));
        continue;
      }
      m.subject = std::move(spec.subject);
      m.mime = std::move(mime).value();
    } else {
      Result<RenderedSms> sms = RenderSms(*tmpl, in);
      if (!sms.ok()) {
        settle(&m, MessageStatus::kFailed, "permanent", sms.status().message());
        out.push_back(std::move(m));
        continue;
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
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace herald
