#include "engine/rules/rule_engine.h"

#include <algorithm>
#include <exception>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/time_format.h"
#include "engine/rules/case_fold.h"
#include "engine/rules/send_slot.h"

namespace herald {
namespace {

// The value at `ref` (state and recipient roots; event fields are per event and never
// "change"), null when missing: what decides whether an event changed a field an `at:`
// reads.
nlohmann::json FieldValue(const rules::FieldRef& ref, const nlohmann::json& state,
                          const nlohmann::json& recipient) {
  const nlohmann::json* node = nullptr;
  switch (ref.root) {
    case rules::FieldRef::Root::kState:
      node = &state;
      break;
    case rules::FieldRef::Root::kRecipient:
      node = &recipient;
      break;
    case rules::FieldRef::Root::kEvent:
      return nullptr;
  }
  for (const std::string& name : ref.path) {
    if (node->is_object()) {
      auto it = node->find(name);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && !name.empty() &&
               name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10) {
      const size_t i = std::stoul(name);
      if (i >= node->size()) return nullptr;
      node = &(*node)[i];
    } else {
      return nullptr;
    }
  }
  return *node;
}

std::vector<nlohmann::json> AtFieldValues(const Rule& rule, const nlohmann::json& state,
                                          const nlohmann::json& recipient) {
  std::vector<nlohmann::json> out;
  for (const rules::FieldRef& f : rule.at->Fields()) out.push_back(FieldValue(f, state, recipient));
  return out;
}

std::string EventText(const Event& e) {
  return "event " + e.id + " (" + e.type + ")";
}

// The due time of the next send of a pending plan whose series (re)starts at `first`.
Micros SeriesDue(const Plan& existing, const Rule& rule, Micros first) {
  if (!rule.every || rule.times <= 1) return first;
  // Sends of the current series: the plan's sends since it last started a series of
  // rule.times (Plan::times is the plan's lifetime total).
  const int before_series = existing.times - rule.times;
  const int in_series = std::clamp(existing.sent - before_series, 0, rule.times - 1);
  return first + *rule.every * in_series;
}

}  // namespace

void CancelPlan(ScheduleTxn& txn, Plan plan, const std::string& reason, Micros now) {
  txn.RemoveTimer(plan.fire_at, plan.key);
  plan.status = PlanStatus::kCancelled;
  plan.reason = reason;
  plan.updated_at = now;
  PlanRecord rec;
  rec.plan = plan.key;
  rec.what = "cancelled";
  rec.at = now;
  rec.due = plan.due;
  rec.fire_at = plan.fire_at;
  rec.occurrence = plan.sent + 1;
  rec.reason = reason;
  txn.PutPlan(std::move(plan));
  txn.AddRecord(std::move(rec));
}

RuleEngine::RuleEngine(const CampaignSet& campaigns, EventLog& log, ScheduleStore& store,
                       const Clock& clock, ZoneCache& zones, std::mutex* write_mu)
    : campaigns_(campaigns),
      log_(log),
      store_(store),
      clock_(clock),
      zones_(zones),
      write_mu_(write_mu) {}

Result<size_t> RuleEngine::ProcessAvailable(size_t max_events) {
  try {
    size_t processed = 0;
    while (processed < max_events) {
      // Per chunk, not per call: an API cancel waits for one batch at most.
      std::unique_lock<std::mutex> lock;
      if (write_mu_ != nullptr) lock = std::unique_lock<std::mutex>(*write_mu_);
      Result<uint64_t> cursor = store_.Cursor();
      if (!cursor.ok()) return cursor.status();
      Result<std::vector<StoredEvent>> events =
          log_.ReadAfter(*cursor, std::min(kChunkEvents, max_events - processed));
      if (!events.ok()) return events.status();
      if (events->empty()) break;
      ScheduleTxn txn(store_);
      const Micros now = clock_.NowMicros();
      for (const StoredEvent& e : *events) {
        if (Status s = ProcessEvent(txn, e, now); !s.ok()) return s;
      }
      txn.SetCursor(events->back().seq);
      if (Status s = txn.Commit(); !s.ok()) return s;
      processed += events->size();
    }
    return processed;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("rule engine: ") + e.what());
  }
}

Status RuleEngine::ProcessEvent(ScheduleTxn& txn, const StoredEvent& stored, Micros now) {
  const Event& event = stored.event;
  Result<std::optional<CaseView>> loaded = txn.GetCase(event.case_id);
  if (!loaded.ok()) return loaded.status();
  CaseView view;
  if (*loaded) {
    view = std::move(**loaded);
  } else {
    view.case_id = event.case_id;
  }
  Result<std::vector<Plan>> plans = txn.PlansForCase(event.case_id);
  if (!plans.ok()) return plans.status();

  // What the `at:` of each pending plan reads, before the event, to see what it changes.
  std::vector<std::pair<PlanKey, std::vector<nlohmann::json>>> at_before;
  {
    const nlohmann::json recipient = RecipientJson(view);
    for (const Plan& p : *plans) {
      if (p.status != PlanStatus::kPending) continue;
      const Campaign* c = campaigns_.Find(p.key.campaign);
      const Rule* r = c != nullptr ? FindRule(*c, p.key.rule) : nullptr;
      if (r != nullptr && r->at) {
        at_before.emplace_back(p.key, AtFieldValues(*r, view.state, recipient));
      }
    }
  }

  FoldEvent(view, event, stored.seq);
  txn.PutCase(view);
  const nlohmann::json event_json = EventToJson(event);
  const nlohmann::json recipient_json = RecipientJson(view);
  const rules::EvalContext ctx{&view.state, &event_json, &recipient_json, now};

  // (a) `while` on the new state.
  for (const Plan& p : *plans) {
    if (p.status != PlanStatus::kPending) continue;
    const Campaign* c = campaigns_.Find(p.key.campaign);
    const Rule* r = c != nullptr ? FindRule(*c, p.key.rule) : nullptr;
    if (r == nullptr) {
      CancelPlan(txn, p,
                 "the rule is no longer in the campaigns (seen at " + EventText(event) + ")", now);
    } else if (r->while_cond && !r->while_cond->Truthy(ctx)) {
      CancelPlan(txn, p, "while became false after " + EventText(event), now);
    }
  }

  // (b) rules listening for this event type.
  std::set<std::pair<std::string, std::string>> handled;
  for (const RuleRef& ref : campaigns_.RulesFor(event.type)) {
    if (ref.rule->when && !ref.rule->when->Truthy(ctx)) continue;
    handled.emplace(ref.campaign->id, ref.rule->id);
    if (Status s = PlanRule(txn, *ref.campaign, *ref.rule, view, ctx, stored, Trigger::kOn, now);
        !s.ok()) {
      return s;
    }
  }

  // (c) pending `at:` plans whose fields the event changed.
  for (const auto& [key, before] : at_before) {
    if (handled.count({key.campaign, key.rule}) > 0) continue;
    Result<std::optional<Plan>> current = txn.GetPlan(key);
    if (!current.ok()) return current.status();
    if (!*current || (*current)->status != PlanStatus::kPending) continue;  // cancelled by (a)
    const Campaign* c = campaigns_.Find(key.campaign);
    const Rule* r = FindRule(*c, key.rule);
    if (AtFieldValues(*r, view.state, recipient_json) == before) continue;
    if (Status s = PlanRule(txn, *c, *r, view, ctx, stored, Trigger::kFieldChange, now); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status RuleEngine::PlanRule(ScheduleTxn& txn, const Campaign& campaign, const Rule& rule,
                            const CaseView& view, const rules::EvalContext& ctx,
                            const StoredEvent& stored, Trigger trigger, Micros now) {
  const Event& event = stored.event;
  const PlanKey key{campaign.id, rule.id, view.case_id};
  Result<std::optional<Plan>> loaded = txn.GetPlan(key);
  if (!loaded.ok()) return loaded.status();
  const std::optional<Plan>& existing = *loaded;
  const bool pending = existing && existing->status == PlanStatus::kPending;

  const std::string cause = trigger == Trigger::kReload ? "reload" : EventText(event);
  auto skip = [&](const std::string& why) {
    if (pending) {
      CancelPlan(txn, *existing, why + " after " + cause, now);
      return;
    }
    PlanRecord rec;
    rec.plan = key;
    rec.what = "skipped";
    rec.at = now;
    rec.reason = why + " after " + cause;
    txn.AddRecord(std::move(rec));
  };

  // `at` first: when it gives no time, that is the more useful thing to tell (a `while`
  // reading the same field is usually false then too).
  Micros first = 0;
  if (rule.at) {
    const std::optional<Micros> t = rule.at->Time(ctx);
    if (!t) {
      skip("at: did not yield a time");
      return Status::Ok();
    }
    first = *t;
  } else {
    first = event.occurred_at_us + rule.after.value_or(0);
  }
  if (rule.while_cond && !rule.while_cond->Truthy(ctx)) {
    skip("while: is not true");
    return Status::Ok();
  }

  const std::string recipient_id = RecipientIdFor(view);
  Plan plan;
  std::string what;
  if (pending) {
    const Micros due = SeriesDue(*existing, rule, first);
    if (due == existing->due && recipient_id == existing->recipient_id) return Status::Ok();
    plan = *existing;
    txn.RemoveTimer(existing->fire_at, key);
    plan.due = due;
    what = "replanned";
  } else if (existing) {
    const Micros series_span =
        rule.every && rule.times > 1 ? *rule.every * (rule.times - 1) : Micros{0};
    if (existing->status == PlanStatus::kDone && existing->due == first + series_span) {
      return Status::Ok();  // this very series was already sent
    }
    plan = *existing;
    plan.times = existing->sent + rule.times;
    plan.due = first;
    what = "planned";
  } else {
    plan.key = key;
    plan.times = rule.times;
    plan.sent = 0;
    plan.due = first;
    what = "planned";
  }
  plan.recipient_id = recipient_id;
  plan.template_id = rule.send;
  plan.status = PlanStatus::kPending;
  plan.reason.clear();
  plan.planned_seq = stored.seq;
  plan.updated_at = now;

  Result<SendSlot> slot = NextSendSlot(txn, campaign, recipient_id, ZoneFor(campaign, view, zones_),
                                       std::max(plan.due, now));
  if (!slot.ok()) return slot.status();
  plan.fire_at = slot->fire_at;
  plan.deferred_by = slot->deferred_by;
  txn.AddTimer(plan.fire_at, key);

  PlanRecord rec;
  rec.plan = key;
  rec.what = what;
  rec.at = now;
  rec.due = plan.due;
  rec.fire_at = plan.fire_at;
  rec.occurrence = plan.sent + 1;
  if (trigger == Trigger::kReload) {
    rec.reason = "rule changed by reload";
  } else if (trigger == Trigger::kFieldChange) {
    std::string fields;
    for (const std::string& f : rule.at->FieldPaths()) fields += (fields.empty() ? "" : ", ") + f;
    rec.reason = "at: " + fields + " changed by " + EventText(event);
  } else {
    rec.reason = EventText(event);
  }
  if (pending && trigger != Trigger::kReload)
    rec.reason += "; was due " + FormatRfc3339(existing->due);
  txn.AddRecord(rec);
  if (!slot->deferred_by.empty()) {
    rec.what = "deferred";
    rec.reason = slot->reason;
    txn.AddRecord(std::move(rec));
  }
  txn.PutPlan(std::move(plan));
  return Status::Ok();
}

Status RuleEngine::ReplanForReload(ScheduleTxn& txn, const Plan& plan, Micros now) {
  const Campaign* campaign = campaigns_.Find(plan.key.campaign);
  const Rule* rule = campaign != nullptr ? FindRule(*campaign, plan.key.rule) : nullptr;
  if (rule == nullptr) return Status::Ok();
  Result<std::optional<CaseView>> loaded = txn.GetCase(plan.key.case_id);
  if (!loaded.ok()) return loaded.status();
  CaseView view;
  if (*loaded) {
    view = std::move(**loaded);
  } else {
    view.case_id = plan.key.case_id;
  }
  // The planning event gives `after:` its occurred_at and `event.*` its fields.
  StoredEvent stored;
  if (plan.planned_seq > 0) {
    Result<std::vector<StoredEvent>> read = log_.ReadAfter(plan.planned_seq - 1, 1);
    if (!read.ok()) return read.status();
    if (!read->empty() && read->front().seq == plan.planned_seq) stored = read->front();
  }
  if (stored.seq == 0) {
    // Not in the log (should not happen): keep `after:` anchored where it was.
    stored.seq = plan.planned_seq;
    stored.event.case_id = plan.key.case_id;
    stored.event.occurred_at_us = plan.due - rule->after.value_or(0);
  }
  const nlohmann::json event_json = EventToJson(stored.event);
  const nlohmann::json recipient_json = RecipientJson(view);
  const rules::EvalContext ctx{&view.state, &event_json, &recipient_json, now};
  return PlanRule(txn, *campaign, *rule, view, ctx, stored, Trigger::kReload, now);
}

Status RuleEngine::RescheduleForReload(ScheduleTxn& txn, const Plan& plan, Micros now,
                                       bool* moved) {
  *moved = false;
  const Campaign* campaign = campaigns_.Find(plan.key.campaign);
  if (campaign == nullptr) return Status::Ok();
  Result<std::optional<CaseView>> loaded = txn.GetCase(plan.key.case_id);
  if (!loaded.ok()) return loaded.status();
  CaseView view;
  if (*loaded) {
    view = std::move(**loaded);
  } else {
    view.case_id = plan.key.case_id;
  }
  Result<SendSlot> slot = NextSendSlot(txn, *campaign, RecipientIdFor(view),
                                       ZoneFor(*campaign, view, zones_), std::max(plan.due, now));
  if (!slot.ok()) return slot.status();
  if (slot->fire_at == plan.fire_at) return Status::Ok();
  Plan next = plan;
  txn.RemoveTimer(plan.fire_at, plan.key);
  next.fire_at = slot->fire_at;
  next.deferred_by = slot->deferred_by;
  next.updated_at = now;
  txn.AddTimer(next.fire_at, next.key);
  PlanRecord rec;
  rec.plan = plan.key;
  rec.what = "replanned";
  rec.at = now;
  rec.due = next.due;
  rec.fire_at = next.fire_at;
  rec.occurrence = next.sent + 1;
  rec.reason = "campaign send settings changed by reload";
  txn.AddRecord(rec);
  if (!slot->deferred_by.empty()) {
    rec.what = "deferred";
    rec.reason = slot->reason;
    txn.AddRecord(std::move(rec));
  }
  txn.PutPlan(std::move(next));
  *moved = true;
  return Status::Ok();
}

}  // namespace herald
