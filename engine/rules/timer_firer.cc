#include "engine/rules/timer_firer.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "engine/rules/case_fold.h"
#include "engine/rules/channels.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/send_slot.h"

namespace herald {

TimerFirer::TimerFirer(const CampaignSet& campaigns, ScheduleStore& store, const Clock& clock,
                       ZoneCache& zones, std::mutex* write_mu)
    : campaigns_(campaigns), store_(store), clock_(clock), zones_(zones), write_mu_(write_mu) {}

Result<size_t> TimerFirer::FireDue(size_t max) {
  try {
    size_t handled = 0;
    while (handled < max) {
      // Per chunk: the due timers are read under the lock, so a plan cancelled by the API
      // just before is seen as cancelled and its stale timer dropped, never fired.
      std::unique_lock<std::mutex> lock;
      if (write_mu_ != nullptr) lock = std::unique_lock<std::mutex>(*write_mu_);
      const Micros now = clock_.NowMicros();
      Result<std::vector<TimerEntry>> due =
          store_.DueTimers(now, std::min(kChunkTimers, max - handled));
      if (!due.ok()) return due.status();
      if (due->empty()) break;
      ScheduleTxn txn(store_);
      for (const TimerEntry& t : *due) {
        if (Status s = FireOne(txn, t, now); !s.ok()) return s;
      }
      if (Status s = txn.Commit(); !s.ok()) return s;
      handled += due->size();
    }
    return handled;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("timer firer: ") + e.what());
  }
}

Status TimerFirer::FireOne(ScheduleTxn& txn, const TimerEntry& timer, Micros now) {
  Result<std::optional<Plan>> loaded = txn.GetPlan(timer.plan);
  if (!loaded.ok()) return loaded.status();
  if (!*loaded || (*loaded)->status != PlanStatus::kPending ||
      (*loaded)->fire_at != timer.fire_at) {
    txn.RemoveTimer(timer.fire_at, timer.plan);  // stale: the plan moved on without it
    return Status::Ok();
  }
  Plan plan = std::move(**loaded);
  const Campaign* campaign = campaigns_.Find(plan.key.campaign);
  const Rule* rule = campaign != nullptr ? FindRule(*campaign, plan.key.rule) : nullptr;
  if (rule == nullptr) {
    CancelPlan(txn, std::move(plan), "the rule is no longer in the campaigns", now);
    return Status::Ok();
  }
  Result<std::optional<CaseView>> case_view = txn.GetCase(plan.key.case_id);
  if (!case_view.ok()) return case_view.status();
  CaseView view;
  if (*case_view) {
    view = std::move(**case_view);
  } else {
    view.case_id = plan.key.case_id;
  }
  const nlohmann::json recipient_json = RecipientJson(view);
  const rules::EvalContext ctx{&view.state, nullptr, &recipient_json, now};
  if (rule->while_cond && !rule->while_cond->Truthy(ctx)) {
    CancelPlan(txn, std::move(plan), "while became false at send time", now);
    return Status::Ok();
  }

  const std::string recipient_id = RecipientIdFor(view);
  const Zone zone = ZoneFor(*campaign, view, zones_);
  Result<SendSlot> slot = NextSendSlot(txn, *campaign, recipient_id, zone, now);
  if (!slot.ok()) return slot.status();
  PlanRecord rec;
  rec.plan = plan.key;
  rec.at = now;
  rec.due = plan.due;
  rec.occurrence = plan.sent + 1;
  txn.RemoveTimer(timer.fire_at, plan.key);
  plan.recipient_id = recipient_id;
  plan.updated_at = now;

  if (slot->fire_at > now) {
    plan.fire_at = slot->fire_at;
    plan.deferred_by = slot->deferred_by;
    txn.AddTimer(plan.fire_at, plan.key);
    rec.what = "deferred";
    rec.fire_at = plan.fire_at;
    rec.reason = slot->reason;
    txn.AddRecord(std::move(rec));
    txn.PutPlan(std::move(plan));
    return Status::Ok();
  }

  // Fire.
  const Recipient recipient = view.recipient.value_or(Recipient{});
  OutboxIntent intent;
  intent.plan = plan.key;
  intent.occurrence = plan.sent + 1;
  intent.key = OutboxKey(plan.key, intent.occurrence);
  intent.recipient_id = recipient_id;
  intent.template_id = plan.template_id;
  std::string channel_text;
  for (Channel c : SelectChannels(rule->channels, recipient)) {
    intent.channels.emplace_back(ChannelName(c));
    channel_text += (channel_text.empty() ? "" : ", ") + std::string(ChannelName(c));
  }
  intent.locale = ResolveLocale(recipient.locale, campaign->locales);
  intent.due = plan.due;
  intent.fired_at = now;
  txn.AddIntent(std::move(intent));
  if (campaign->frequency_cap) {
    // Sends are kept only for caps, and only as far back as a cap looks.
    txn.AddSend(recipient_id, campaign->id, now);
    txn.PruneSends(recipient_id, campaign->id, now - campaign->frequency_cap->per);
  }
  rec.what = "fired";
  rec.fire_at = now;
  rec.reason = channel_text.empty() ? "no usable channel" : channel_text;
  txn.AddRecord(rec);
  plan.sent += 1;

  if (plan.sent < plan.times && rule->every) {
    Micros next = plan.due + *rule->every;
    if (next <= now) next = now + *rule->every;
    Result<SendSlot> next_slot = NextSendSlot(txn, *campaign, recipient_id, zone, next);
    if (!next_slot.ok()) return next_slot.status();
    plan.due = next;
    plan.fire_at = next_slot->fire_at;
    plan.deferred_by = next_slot->deferred_by;
    txn.AddTimer(plan.fire_at, plan.key);
    rec.what = "planned";
    rec.due = plan.due;
    rec.fire_at = plan.fire_at;
    rec.occurrence = plan.sent + 1;
    rec.reason = "repeat " + std::to_string(plan.sent + 1) + " of " + std::to_string(plan.times);
    txn.AddRecord(rec);
    if (!next_slot->deferred_by.empty()) {
      rec.what = "deferred";
      rec.reason = next_slot->reason;
      txn.AddRecord(std::move(rec));
    }
  } else {
    plan.status = PlanStatus::kDone;
    plan.deferred_by.clear();
    plan.reason = "sent " + std::to_string(plan.sent) + " of " + std::to_string(plan.times);
    rec.what = "done";
    rec.reason = plan.reason;
    txn.AddRecord(std::move(rec));
  }
  txn.PutPlan(std::move(plan));
  return Status::Ok();
}

}  // namespace herald
