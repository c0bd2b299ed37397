#include "engine/dispatch/dispatcher.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

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

struct Dispatcher::Lane {
  Connector* connector = nullptr;
  std::string connector_name;
  std::vector<size_t> items;  // indexes into the round's claimed messages
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
  if (options_.send_threads > 0) pool_ = std::make_unique<WorkerPool>(options_.send_threads);
}

const std::vector<std::string>& Dispatcher::RouteFor(Channel c) const {
  return c == Channel::kEmail ? email_route_ : sms_route_;
}

void Dispatcher::AddTransition(Message* m, MessageStatus to, const std::string& detail, Micros now,
                               MessageBatch* batch) {
  m->status = to;
  m->updated_at = now;
  m->history.push_back(MessageEvent{now, to, detail, m->connector, m->attempts});
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

OutboundMessage Dispatcher::ToOutbound(const Message& m, const std::string& connector) const {
  OutboundMessage out;
  out.id = m.id;
  out.channel = m.channel;
  out.to = m.to;
  out.mime = m.mime;
  out.sms_text = m.sms_text;
  if (m.channel == Channel::kSms && !options_.public_url.empty()) {
    out.status_callback_url = options_.public_url + "/v1/receipts/" + connector + "?m=" + m.id;
  }
  out.metadata = {{"campaign", m.plan.campaign}, {"rule", m.plan.rule},
                  {"case_id", m.plan.case_id},   {"occurrence", m.occurrence},
                  {"template", m.template_id},   {"locale", m.locale}};
  return out;
}

Result<size_t> Dispatcher::SendReady(size_t max) {
  try {
    const Micros now = clock_.NowMicros();
    Result<std::vector<Message>> ready = messages_.Ready(now, max);
    if (!ready.ok()) return ready.status();
    if (ready->empty()) return size_t{0};

    // Claim: pick each message's connector, within rate limits and lane capacity.
    MessageBatch claim;
    std::vector<Message> claimed;
    std::map<std::string, std::vector<Lane>> lanes;  // by connector
    size_t settled = 0;
    for (Message& m : *ready) {
      if (m.status == MessageStatus::kSending) {
        // The lease ran out: the process stopped (or a send hung) before its outcome was
        // written. Whether the gateway took it is unknown; send it again.
        m.history.push_back(MessageEvent{
            now, MessageStatus::kQueued,
            "no outcome recorded for attempt " + std::to_string(m.attempts) + "; sending again",
            m.connector, m.attempts});
      }
      const std::vector<std::string>& route = RouteFor(m.channel);
      if (route.empty()) {
        m.reason = "no connector carries " + std::string(ChannelName(m.channel));
        m.failure = "technical";
        AddTransition(&m, MessageStatus::kFailed, m.reason, now, &claim);
        claim.put_messages.push_back(std::move(m));
        ++settled;
        continue;
      }
      const std::string& name = route[m.attempts % route.size()];
      const DispatcherOptions::ConnectorEntry& entry = options_.connectors.at(name);
      std::vector<Lane>& connector_lanes = lanes[name];
      const size_t lane_count =
          static_cast<size_t>(std::max(1, entry.connector->max_concurrency()));
      Lane* lane = nullptr;
      for (Lane& l : connector_lanes) {
        if (l.items.size() < options_.messages_per_lane) {
          lane = &l;
          break;
        }
      }
      if (lane == nullptr && connector_lanes.size() < lane_count) {
        connector_lanes.push_back(Lane{entry.connector, name, {}});
        lane = &connector_lanes.back();
      }
      if (lane == nullptr) continue;                  // full this round
      if (!buckets_.at(name).TryTake(now)) continue;  // rate limit: next round
      m.attempts += 1;
      m.connector = name;
      m.next_attempt_at = now + options_.delivery.send_lease_us;
      AddTransition(&m, MessageStatus::kSending,
                    "attempt " + std::to_string(m.attempts) + " via " + name, now, &claim);
      lane->items.push_back(claimed.size());
      claimed.push_back(m);
      claim.put_messages.push_back(std::move(m));
    }
    if (claim.empty()) return size_t{0};
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (Status s = messages_.Commit(claim); !s.ok()) return s;
    }
    if (claimed.empty()) return settled;

    // Send, one task per lane.
    std::vector<SendOutcome> outcomes(claimed.size());
    std::vector<std::function<void()>> tasks;
    for (auto& [name, connector_lanes] : lanes) {
      for (Lane& lane : connector_lanes) {
        if (lane.items.empty()) continue;
        tasks.push_back([this, &lane, &claimed, &outcomes] {
          for (size_t i : lane.items) {
            outcomes[i] = lane.connector->Send(ToOutbound(claimed[i], lane.connector_name));
          }
        });
      }
    }
    if (pool_) {
      pool_->RunAll(std::move(tasks));
    } else {
      for (auto& t : tasks) t();
    }

    // Record outcomes on the stored versions (a receipt may have come in meanwhile).
    const Micros done_at = clock_.NowMicros();
    std::lock_guard<std::mutex> lock(state_mu_);
    std::vector<std::string> ids;
    for (const Message& m : claimed) ids.push_back(m.id);
    Result<std::vector<std::optional<Message>>> stored = messages_.GetMany(ids);
    if (!stored.ok()) return stored.status();
    MessageBatch result;
    DispatchStats delta;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (size_t i = 0; i < claimed.size(); ++i) {
      if (!(*stored)[i]) continue;
      Message m = std::move(*(*stored)[i]);
      const SendOutcome& o = outcomes[i];
      ++delta.sends;
      if (m.status != MessageStatus::kSending || m.attempts != claimed[i].attempts) {
        // A receipt settled it first; keep that, note the gateway's id.
        if (o.kind == SendOutcome::Kind::kAccepted && m.provider_id.empty()) {
          m.provider_id = o.provider_id;
          m.sent_at = done_at;
          result.put_messages.push_back(std::move(m));
        }
        continue;
      }
      const std::string text = OutcomeText(o);
      switch (o.kind) {
        case SendOutcome::Kind::kAccepted:
          m.provider_id = o.provider_id;
          m.sent_at = done_at;
          AddTransition(&m, MessageStatus::kSent,
                        o.provider_id.empty() ? "" : "gateway id " + o.provider_id, done_at,
                        &result);
          ++delta.accepted;
          break;
        case SendOutcome::Kind::kTemporary: {
          std::optional<Micros> next = NextAttemptAt(options_.delivery, m.attempts, done_at,
                                                     m.created_at, unit(random_), o.retry_after);
          if (next) {
            m.next_attempt_at = *next;
            AddTransition(&m, MessageStatus::kQueued, text + "; retry at " + FormatRfc3339(*next),
                          done_at, &result);
            ++delta.retried;
          } else {
            m.failure = "technical";
            m.reason = "gave up after " + std::to_string(m.attempts) + " attempts: " + text;
            AddTransition(&m, MessageStatus::kFailed, m.reason, done_at, &result);
            ++delta.failed;
          }
          break;
        }
        case SendOutcome::Kind::kPermanent:
          m.failure = "permanent";
          m.reason = text;
          AddTransition(&m, MessageStatus::kFailed, text, done_at, &result);
          ++delta.failed;
          break;
        case SendOutcome::Kind::kSuppress:
          m.reason = text;
          AddTransition(&m, StatusForOutcome(o.kind), text, done_at, &result);
          ++delta.suppressed;
          break;
      }
      result.put_messages.push_back(std::move(m));
    }
    if (Status s = messages_.Commit(result); !s.ok()) return s;
    std::lock_guard<std::mutex> stats_lock(stats_mu_);
    stats_.sends += delta.sends;
    stats_.accepted += delta.accepted;
    stats_.retried += delta.retried;
    stats_.failed += delta.failed;
    stats_.suppressed += delta.suppressed;
    return settled + claimed.size();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("dispatch: ") + e.what());
  }
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
  Result<std::optional<Message>> m = Status::NotFound("");
  if (!r.message_id.empty()) {
    m = messages_.Get(r.message_id);
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
  batch.put_messages.push_back(std::move(msg));
  return messages_.Commit(batch);
}

DispatchStats Dispatcher::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace herald
