#include "engine/dispatch/dispatcher.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/core/time_format.h"

namespace herald {
namespace {

MessageStatus StatusForOutcome(SendOutcome::Kind kind) {
  switch (kind) {
    case SendOutcome::Kind::kAccepted:
      return MessageStatus::kSent;
    case SendOutcome::Kind::kPermanent:
      return MessageStatus::kFailed;
    case SendOutcome::Kind::kSuppress:
      return MessageStatus::kSuppressed;
    case SendOutcome::Kind::kTemporary:
      break;
  }
  return MessageStatus::kQueued;
}

std::string OutcomeText(const SendOutcome& o) {
  std::string text = std::string(SendOutcomeKindName(o.kind));
  if (!o.code.empty()) text += " " + o.code;
  if (!o.reason.empty()) text += ": " + o.reason;
  return text;
}

}  // namespace

// The state of one SendReady call.
struct Dispatcher::SendCall {
  struct Claimed {
    Message state;  // as claimed (rendering empty)
    std::string connector;
  };
  std::vector<Claimed> claimed;             // by slot (SendLanes::Job::slot)
  std::unordered_set<std::string> ids;      // claimed in this call: never claimed twice
  std::map<std::string, size_t> in_flight;  // per connector: claimed, outcome not recorded
  size_t handled = 0;                       // claimed or settled
  bool read_more = true;  // false once the ready queue has nothing more for this call
};

Dispatcher::Dispatcher(ScheduleStore& schedule, MessageStore& messages, MessageComposer& composer,
                       const Clock& clock, DispatcherOptions options)
    : schedule_(schedule),
      messages_(messages),
      composer_(composer),
      clock_(clock),
      options_(std::move(options)),
      random_(options_.random_seed) {
  auto default_route = [&](Channel c) {
    std::vector<std::string> route;
    for (const auto& [name, entry] : options_.connectors) {
      const std::vector<Channel> carried = entry.connector->channels();
      if (std::find(carried.begin(), carried.end(), c) != carried.end()) route.push_back(name);
    }
    return route;
  };
  email_route_ =
      options_.email_route.empty() ? default_route(Channel::kEmail) : options_.email_route;
  sms_route_ = options_.sms_route.empty() ? default_route(Channel::kSms) : options_.sms_route;
  const Micros now = clock_.NowMicros();
  for (const auto& [name, entry] : options_.connectors) {
    buckets_.emplace(name, TokenBucket(entry.rate_per_second, entry.burst, now));
  }
  std::map<std::string, Connector*> connectors;
  for (const auto& [name, entry] : options_.connectors) connectors[name] = entry.connector;
  // Only connectors on a route get messages: only theirs count towards what a claim reads.
  const size_t per_lane = std::max<size_t>(1, options_.messages_per_lane);
  for (const std::vector<std::string>* route : {&email_route_, &sms_route_}) {
    for (const std::string& name : *route) {
      auto it = options_.connectors.find(name);
      if (it == options_.connectors.end()) continue;  // refused by config validation
      capacity_[name] =
          static_cast<size_t>(std::max(1, it->second.connector->max_concurrency())) * per_lane;
    }
  }
  lanes_ = std::make_unique<SendLanes>(connectors, options_.send_threads);
}

const std::vector<std::string>& Dispatcher::RouteFor(Channel c) const {
  return c == Channel::kEmail ? email_route_ : sms_route_;
}

void Dispatcher::AddTransition(Message* m, MessageStatus to, const std::string& detail, Micros now,
                               MessageBatch* batch) {
  m->status = to;
  m->updated_at = now;
  m->history.push_back(MessageEvent{now, to, detail, m->connector, m->attempts});
  NoteStatus(*m, to, now);
  if (!options_.status_callbacks || to == MessageStatus::kSending) return;
  StatusCallback cb;
  cb.next_attempt_at = now;
  cb.body = {{"message_id", m->id},
             {"case_id", m->plan.case_id},
             {"campaign", m->plan.campaign},
             {"rule", m->plan.rule},
             {"occurrence", m->occurrence},
             {"channel", ChannelName(m->channel)},
             {"status", MessageStatusName(to)},
             {"at", FormatRfc3339(now)}};
  if (!detail.empty()) cb.body["detail"] = detail;
  batch->add_callbacks.push_back(std::move(cb));
}

OutboundMessage Dispatcher::ToOutbound(const Message& m, MessageBody body,
                                       const std::string& connector) const {
  OutboundMessage out;
  out.id = m.id;
  out.channel = m.channel;
  out.to = m.to;
  out.mime = std::move(body.mime);
  out.sms_text = std::move(body.sms_text);
  if (m.channel == Channel::kSms && !options_.public_url.empty()) {
    out.status_callback_url = options_.public_url + "/v1/receipts/" + connector + "?m=" + m.id;
  }
  out.metadata = {{"campaign", m.plan.campaign}, {"rule", m.plan.rule},
                  {"case_id", m.plan.case_id},   {"occurrence", m.occurrence},
                  {"template", m.template_id},   {"locale", m.locale}};
  return out;
}

Result<size_t> Dispatcher::SendReady(size_t max) {
  SendCall call;
  Result<size_t> handled = Status::Internal("dispatch: no result");
  try {
    handled = SendLoop(call, max);
  } catch (const std::exception& e) {
    handled = Status::Internal(std::string("dispatch: ") + e.what());
  }
  // On an error the sends in flight still finish (their slots point into `call`); their
  // messages stay claimed and go again after the lease.
  lanes_->WaitAll();
  return handled;
}

Result<size_t> Dispatcher::SendLoop(SendCall& call, size_t max) {
  const Micros start = clock_.NowMicros();
  std::vector<SendLanes::Done> done;
  for (;;) {
    if (options_.send_call_us > 0 && clock_.NowMicros() - start >= options_.send_call_us) {
      call.read_more = false;  // long enough: settle what is out, then let intake run
    }
    MessageBatch batch;
    DispatchStats delta;
    std::vector<size_t> jobs;
    size_t progressed = 0;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      uncounted_.clear();  // left by a step that failed before its commit
      if (!done.empty()) {
        if (Status s = RecordOutcomes(call, done, &batch, &delta); !s.ok()) return s;
        done.clear();
      }
      const size_t limit = call.read_more && call.handled < max
                               ? std::min(max - call.handled, FreeCapacity(call))
                               : 0;
      if (limit > 0) {
        Result<size_t> n = Claim(call, limit, clock_.NowMicros(), &batch, &jobs, &delta);
        if (!n.ok()) return n.status();
        progressed = *n;
      }
      // The outcomes of the last sends and the next claims: one write.
      if (Status s = CommitAndCount(batch); !s.ok()) return s;
    }
    AddStats(delta);
    if (Status s = SubmitClaimed(call, jobs); !s.ok()) return s;
    if (lanes_->outstanding() == 0) {
      if (progressed == 0) break;
      continue;  // settled without sending (cancelled, no route): read on
    }
    done = lanes_->Wait();
  }
  return call.handled;
}

size_t Dispatcher::FreeCapacity(const SendCall& call) const {
  size_t free = 0;
  for (const auto& [name, capacity] : capacity_) {
    auto it = call.in_flight.find(name);
    const size_t used = it == call.in_flight.end() ? 0 : it->second;
    free += capacity > used ? capacity - used : 0;
  }
  return free;
}

Result<size_t> Dispatcher::Claim(SendCall& call, size_t limit, Micros now, MessageBatch* batch,
                                 std::vector<size_t>* jobs, DispatchStats* delta) {
  // States only, and no more than the lanes can take: the rendering is read below for
  // the claimed messages alone.
  Result<std::vector<Message>> ready = messages_.ReadyStates(now, limit);
  if (!ready.ok()) return ready.status();
  if (ready->size() < limit) call.read_more = false;

  // Candidates: a connector with room for one more. Rate tokens are taken only once the
  // plan says the message still goes.
  struct Candidate {
    Message m;
    const std::string* connector;
  };
  std::vector<Candidate> candidates;
  bool waits_for_room = false;
  size_t settled = 0;
  for (Message& m : *ready) {
    if (call.ids.count(m.id) > 0) continue;  // in a lane now (its lease ran out meanwhile)
    const std::vector<std::string>& route = RouteFor(m.channel);
    if (route.empty()) {
      m.reason = "no connector carries " + std::string(ChannelName(m.channel));
      m.failure = "technical";
      AddTransition(&m, MessageStatus::kFailed, m.reason, now, batch);
      batch->put_states.push_back(std::move(m));
      ++settled;
      continue;
    }
    const std::string& name = route[m.attempts % route.size()];
    size_t& in_flight = call.in_flight[name];
    if (in_flight >= capacity_.at(name)) {
      waits_for_room = true;
      continue;
    }
    ++in_flight;
    candidates.push_back(Candidate{std::move(m), &name});
  }

  // A message whose plan was cancelled while it waited (the case no longer waits for
  // it, or an operator deleted the schedule) is not sent. One read for all the plans.
  std::vector<PlanKey> keys;
  std::map<PlanKey, size_t> key_index;
  for (const Candidate& c : candidates) {
    if (key_index.emplace(c.m.plan, keys.size()).second) keys.push_back(c.m.plan);
  }
  Result<std::vector<std::optional<Plan>>> plans = schedule_.GetPlans(keys);
  if (!plans.ok()) return plans.status();

  size_t claimed = 0;
  for (Candidate& c : candidates) {
    Message& m = c.m;
    const std::string& name = *c.connector;
    const std::optional<Plan>& plan = (*plans)[key_index.at(m.plan)];
    const bool cancelled = plan && plan->status == PlanStatus::kCancelled;
    std::string opt_out;
    if (!cancelled && options_.track != nullptr) {
      Result<bool> out = OptedOut(m, &opt_out);
      if (!out.ok()) return out.status();
      if (*out) {
        // The recipient opted out while the message waited: it is never sent.
        --call.in_flight[name];
        m.reason = opt_out;
        AddTransition(&m, MessageStatus::kSuppressed, m.reason, now, batch);
        batch->put_states.push_back(std::move(m));
        ++settled;
        ++delta->suppressed;
        continue;
      }
    }
    if (!cancelled && !buckets_.at(name).TryTake(now)) {
      --call.in_flight[name];  // rate limit: a later call
      continue;
    }
    if (m.status == MessageStatus::kSending) {
      // The lease ran out: the process stopped (or a send hung) before its outcome was
      // written. Whether the gateway took it is unknown; send it again.
      m.history.push_back(MessageEvent{
          now, MessageStatus::kQueued,
          "no outcome recorded for attempt " + std::to_string(m.attempts) + "; sending again",
          m.connector, m.attempts});
    }
    if (cancelled) {
      --call.in_flight[name];
      m.reason = plan->reason.empty() ? "the plan was cancelled" : plan->reason;
      AddTransition(&m, MessageStatus::kCancelled, m.reason, now, batch);
      batch->put_states.push_back(std::move(m));
      ++settled;
      ++delta->cancelled;
      continue;
    }
    m.attempts += 1;
    m.connector = name;
    m.next_attempt_at = now + options_.delivery.send_lease_us;
    AddTransition(&m, MessageStatus::kSending,
                  "attempt " + std::to_string(m.attempts) + " via " + name, now, batch);
    call.ids.insert(m.id);
    jobs->push_back(call.claimed.size());
    call.claimed.push_back(SendCall::Claimed{m, name});
    batch->put_states.push_back(std::move(m));
    ++claimed;
  }
  // Nothing could go and no lane will free room: the rest waits for rate tokens.
  if (claimed + settled == 0 && !waits_for_room) call.read_more = false;
  call.handled += claimed + settled;
  return claimed + settled;
}

Status Dispatcher::SubmitClaimed(SendCall& call, const std::vector<size_t>& jobs) {
  if (jobs.empty()) return Status::Ok();
  std::vector<std::string> ids;
  ids.reserve(jobs.size());
  for (size_t slot : jobs) ids.push_back(call.claimed[slot].state.id);
  // Bodies never change after intake: read outside state_mu_.
  Result<std::vector<std::optional<MessageBody>>> bodies = messages_.GetBodies(ids);
  if (!bodies.ok()) return bodies.status();
  for (size_t i = 0; i < jobs.size(); ++i) {
    const SendCall::Claimed& c = call.claimed[jobs[i]];
    if (!(*bodies)[i]) {
      lanes_->Complete(
          SendLanes::Done{jobs[i], SendOutcome::Failure(SendOutcome::Kind::kPermanent, "",
                                                        "the message's rendering is gone")});
      continue;
    }
    lanes_->Submit(
        c.connector,
        SendLanes::Job{jobs[i], ToOutbound(c.state, std::move(*(*bodies)[i]), c.connector)});
  }
  return Status::Ok();
}

Status Dispatcher::RecordOutcomes(SendCall& call, const std::vector<SendLanes::Done>& done,
                                  MessageBatch* batch, DispatchStats* delta) {
  // On the stored versions: a receipt may have come in meanwhile.
  std::vector<std::string> ids;
  ids.reserve(done.size());
  for (const SendLanes::Done& d : done) ids.push_back(call.claimed[d.slot].state.id);
  Result<std::vector<std::optional<Message>>> stored = messages_.GetStates(ids);
  if (!stored.ok()) return stored.status();
  const Micros done_at = clock_.NowMicros();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < done.size(); ++i) {
    const SendCall::Claimed& claimed = call.claimed[done[i].slot];
    --call.in_flight[claimed.connector];
    ++delta->sends;
    if (!(*stored)[i]) continue;
    Message m = std::move(*(*stored)[i]);
    const SendOutcome& o = done[i].outcome;
    if (m.status != MessageStatus::kSending || m.attempts != claimed.state.attempts) {
      // A receipt settled it first; keep that, note the gateway's id.
      if (o.kind == SendOutcome::Kind::kAccepted && m.provider_id.empty()) {
        m.provider_id = o.provider_id;
        m.sent_at = done_at;
        batch->put_states.push_back(std::move(m));
      }
      continue;
    }
    const std::string text = OutcomeText(o);
    switch (o.kind) {
      case SendOutcome::Kind::kAccepted:
        m.provider_id = o.provider_id;
        m.sent_at = done_at;
        AddTransition(&m, MessageStatus::kSent,
                      o.provider_id.empty() ? "" : "gateway id " + o.provider_id, done_at, batch);
        ++delta->accepted;
        break;
      case SendOutcome::Kind::kTemporary: {
        std::optional<Micros> next = NextAttemptAt(options_.delivery, m.attempts, done_at,
                                                   m.created_at, unit(random_), o.retry_after);
        if (next) {
          m.next_attempt_at = *next;
          AddTransition(&m, MessageStatus::kQueued, text + "; retry at " + FormatRfc3339(*next),
                        done_at, batch);
          ++delta->retried;
        } else {
          m.failure = "technical";
          m.reason = "gave up after " + std::to_string(m.attempts) + " attempts: " + text;
          AddTransition(&m, MessageStatus::kFailed, m.reason, done_at, batch);
          ++delta->failed;
        }
        break;
      }
      case SendOutcome::Kind::kPermanent:
        m.failure = "permanent";
        m.reason = text;
        AddTransition(&m, MessageStatus::kFailed, text, done_at, batch);
        ++delta->failed;
        break;
      case SendOutcome::Kind::kSuppress:
        m.reason = text;
        AddTransition(&m, StatusForOutcome(o.kind), text, done_at, batch);
        ++delta->suppressed;
        break;
    }
    batch->put_states.push_back(std::move(m));
  }
  return Status::Ok();
}

void Dispatcher::AddStats(const DispatchStats& delta) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  stats_.sends += delta.sends;
  stats_.accepted += delta.accepted;
  stats_.retried += delta.retried;
  stats_.failed += delta.failed;
  stats_.suppressed += delta.suppressed;
  stats_.cancelled += delta.cancelled;
}

Result<std::optional<Micros>> Dispatcher::NextWakeAt() {
  Result<std::optional<Micros>> next = messages_.NextReady();
  if (!next.ok() || !next->has_value()) return next;
  // A message held back by a rate limit is ready already; wake when a token is back.
  const Micros now = clock_.NowMicros();
  if (**next > now) return next;
  Micros soonest = std::numeric_limits<Micros>::max();
  for (auto& [name, bucket] : buckets_) soonest = std::min(soonest, bucket.NextTokenAt(now));
  return std::optional<Micros>(std::max(**next, soonest));
}

Status Dispatcher::ApplyReceipt(const Receipt& r, bool* found) {
  *found = false;
  std::lock_guard<std::mutex> lock(state_mu_);
  uncounted_.clear();  // left by a step that failed before its commit
  Result<std::optional<Message>> m = Status::NotFound("");
  if (!r.message_id.empty()) {
    Result<std::vector<std::optional<Message>>> states = messages_.GetStates({r.message_id});
    if (states.ok()) {
      m = std::move(states->front());
    } else {
      m = states.status();
    }
    if (m.ok() && *m && (*m)->connector != r.connector) m = std::optional<Message>();
  }
  if ((!m.ok() || !*m) && !r.provider_id.empty()) {
    m = messages_.FindByProvider(r.connector, r.provider_id);
  }
  if (!m.ok()) return m.status().IsNotFound() ? Status::Ok() : m.status();
  if (!*m) return Status::Ok();
  *found = true;
  Message msg = std::move(**m);
  MessageStatus to;
  if (r.status == "delivered") {
    to = MessageStatus::kDelivered;
  } else if (r.status == "bounced" || r.status == "failed") {
    to = MessageStatus::kBounced;
  } else if (r.status == "suppressed" || r.status == "complained") {
    to = MessageStatus::kSuppressed;
  } else {
    return Status::Ok();  // progress (queued, sent) the store does not keep
  }
  // Final states stay final; a sending or queued message can be settled by a receipt
  // when the gateway's reply was lost but it took the message.
  if (msg.status != MessageStatus::kSent && msg.status != MessageStatus::kSending &&
      msg.status != MessageStatus::kQueued) {
    return Status::Ok();
  }
  if (msg.provider_id.empty() && !r.provider_id.empty()) msg.provider_id = r.provider_id;
  std::string detail = r.status;
  if (!r.code.empty()) detail += " " + r.code;
  if (!r.reason.empty()) detail += ": " + r.reason;
  if (to != MessageStatus::kDelivered) msg.reason = detail;
  MessageBatch batch;
  AddTransition(&msg, to, detail, clock_.NowMicros(), &batch);
  batch.put_states.push_back(std::move(msg));
  return CommitAndCount(batch);
}

Result<bool> Dispatcher::OptedOut(const Message& m, std::string* reason) {
  if (options_.track == nullptr) return false;
  Result<Suppression> s = options_.track->CheckSuppression(m.recipient_id, m.channel, m.to);
  if (!s.ok()) return s.status();
  if (!s->suppressed) return false;
  // For people and for the counters' reason code; never the address itself.
  *reason = "opted_out: the " + std::string(s->source == "address" ? "address" : "recipient") +
            " opted out of " + std::string(ChannelName(m.channel)) +
            (s->opt_out.by.empty() ? "" : " (" + s->opt_out.by + ")");
  return true;
}

void Dispatcher::NoteStatus(const Message& m, MessageStatus to, Micros at) {
  if (options_.track == nullptr || to == MessageStatus::kQueued || to == MessageStatus::kSending) {
    return;
  }
  // A reason code for the counters (they outlive retention: never gateway text).
  std::string code;
  if (to == MessageStatus::kFailed) {
    code = m.failure;
  } else if (to == MessageStatus::kSuppressed) {
    code = m.reason.rfind("opted_out", 0) == 0              ? "opted_out"
           : m.reason.rfind("the recipient has no", 0) == 0 ? "no_address"
           : m.reason == "no usable channel"                ? "no_channel"
                                                            : "gateway";
  } else if (to == MessageStatus::kCancelled) {
    code = "plan_cancelled";
  } else if (to == MessageStatus::kBounced) {
    code = "bounced";
  }
  uncounted_.push_back(TrackStore::StatusChange{m.id, to, at, std::move(code)});
}

Status Dispatcher::CommitAndCount(const MessageBatch& batch) {
  Status s = messages_.Commit(batch);
  std::vector<TrackStore::StatusChange> changes;
  changes.swap(uncounted_);
  if (!s.ok() || changes.empty() || options_.track == nullptr) return s;
  if (Status t = options_.track->RecordStatuses(changes); !t.ok()) {
    // The messages are safe; only report counts are missed. Logged without personal data.
    spdlog::warn("dispatch: {} status change(s) not counted for reports: {}", changes.size(),
                 t.ToString());
  }
  return s;
}

DispatchStats Dispatcher::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace herald
