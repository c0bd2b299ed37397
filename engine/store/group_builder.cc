#include "engine/store/group_builder.h"

#include <exception>
#include <utility>

#include "engine/store/cbor_merge.h"

namespace herald {

void PreparedEvent::Stamp(uint64_t seq, Micros received_at) {
  SetEventReceivedAt(&bytes, received_at);
  PutSeqAt(&bytes, idem_value_at - 8, seq);  // the end of the case_events key
  PutSeqAt(&bytes, idem_value_at + kIdempotencySeqOffset, seq);
}

void PrepareEvents(std::string_view key_id, const std::vector<Event>& events,
                   std::vector<PreparedEvent>* out) {
  out->clear();
  out->resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    PreparedEvent& p = (*out)[i];
    p.event = &e;
    p.bytes.reserve(512 + 2 * key_id.size() + e.id.size() + e.case_id.size());
    const size_t json_at = AppendEventValue(&p.bytes, key_id, e);
    p.case_event_key_at = static_cast<uint32_t>(p.bytes.size());
    AppendLengthPrefixed(&p.bytes, e.case_id);
    AppendSeq(&p.bytes, 0);
    char fingerprint[kFingerprintBytes];
    FingerprintOf(std::string_view(p.bytes).substr(json_at, p.case_event_key_at - json_at),
                  fingerprint);
    p.idem_value_at = static_cast<uint32_t>(p.bytes.size());
    AppendIdempotencyEntry(&p.bytes, 0, std::string_view(fingerprint, kFingerprintBytes));
    p.idem_key_at = static_cast<uint32_t>(p.bytes.size());
    AppendLengthPrefixed(&p.bytes, key_id);
    p.bytes.append(e.id);
    p.idem_hash = KeyHash(StoreColumn::kIdempotency, p.idem_key());
  }
}

namespace {

// CBOR for an empty map: the state of a case before its first event.
constexpr std::string_view kEmptyState = "\xa0";

Status Build(StateView& state, const std::vector<PreparedEvent>& events, RequestBuild* out) {
  using Kind = AppendOutcome::Kind;
  out->outcomes.reserve(events.size());
  out->reads.reserve(events.size() * 2);
  // The request's own earlier events by idempotency key: index into `events` and
  // relative seq.
  struct Earlier {
    uint32_t event;
    uint32_t rel;
  };
  std::unordered_map<std::string_view, Earlier> earlier;
  std::unordered_map<std::string_view, size_t> case_index;  // into out->cases
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> recipient_index;
  earlier.reserve(events.size());
  std::string scratch;  // merge output, swapped with a case's state (reusing buffers)
  bool any_conflict = false;

  for (uint32_t i = 0; i < events.size(); ++i) {
    const PreparedEvent& p = events[i];
    const Event& e = *p.event;
    if (auto it = earlier.find(p.idem_key()); it != earlier.end()) {
      if (events[it->second.event].fingerprint() == p.fingerprint()) {
        out->relative.push_back(i);
        out->outcomes.push_back({Kind::kDuplicate, it->second.rel});
      } else {
        // The original will not be written either (the request is refused): no seq.
        out->outcomes.push_back({Kind::kConflict, 0});
        any_conflict = true;
      }
      continue;
    }
    out->reads.push_back(p.idem_hash);
    Result<std::optional<std::string_view>> found =
        state.Find(StoreColumn::kIdempotency, p.idem_key(), p.idem_hash);
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      Result<IdempotencyEntry> f = DecodeIdempotencyEntry(**found);
      if (!f.ok()) return f.status();
      if (f->fingerprint == p.fingerprint()) {
        out->outcomes.push_back({Kind::kDuplicate, f->seq});
      } else {
        out->outcomes.push_back({Kind::kConflict, f->seq});
        any_conflict = true;
      }
      continue;
    }
    const auto rel = static_cast<uint32_t>(out->accepted.size());
    out->accepted.push_back(i);
    earlier.emplace(p.idem_key(), Earlier{i, rel});
    out->relative.push_back(i);
    out->outcomes.push_back({Kind::kAccepted, rel});
    // Once a conflict is known the request is refused; keep checking ids only, so every
    // conflicting event is reported, but skip the state work.
    if (any_conflict) continue;

    auto [ci, new_case] = case_index.try_emplace(e.case_id, out->cases.size());
    if (new_case) {
      RequestBuild::CaseOut c;
      c.case_id = e.case_id;
      c.hash = KeyHash(StoreColumn::kCases, e.case_id);
      out->reads.push_back(c.hash);
      Result<std::optional<std::string_view>> raw =
          state.Find(StoreColumn::kCases, e.case_id, c.hash);
      if (!raw.ok()) return raw.status();
      if (raw->has_value()) {
        Result<CaseFields> f = ParseCaseRecord(**raw);
        if (!f.ok()) return f.status();
        c.fields = std::move(f).value();
        c.state = std::string(c.fields.state);
        c.fields.state = {};  // set again when encoding: `state` may move meanwhile
      } else {
        c.state = std::string(kEmptyState);
      }
      c.created = c.fields.event_count == 0;
      out->cases.push_back(std::move(c));
    }
    RequestBuild::CaseOut& c = out->cases[ci->second];
    if (!e.data.is_null()) {  // RFC 7396: null members delete fields
      scratch.clear();
      MergePatchCbor(c.state, e.data, &scratch);
      c.state.swap(scratch);
    }
    c.fields.last_seq = rel;
    c.fields.event_count++;

    if (e.recipient) {
      if (!c.fields.recipient) c.fields.recipient = RecipientFields{};
      MergeRecipientFields(&*c.fields.recipient, *e.recipient);
      // The recipient record is keyed by the id the event names, else the id the case's
      // recipient already has, else the case id.
      const std::string_view key = !e.recipient->id.empty()          ? e.recipient->id
                                   : !c.fields.recipient->id.empty() ? c.fields.recipient->id
                                                                     : e.case_id;
      auto ri = recipient_index.find(key);
      if (ri == recipient_index.end()) {
        RequestBuild::RecipientOut r;
        r.key = std::string(key);
        r.hash = KeyHash(StoreColumn::kRecipients, key);
        out->reads.push_back(r.hash);
        Result<std::optional<std::string_view>> raw =
            state.Find(StoreColumn::kRecipients, key, r.hash);
        if (!raw.ok()) return raw.status();
        if (raw->has_value()) {
          Result<RecipientFields> f = ParseRecipient(**raw);
          if (!f.ok()) return f.status();
          r.fields = std::move(f).value();
        }
        out->recipients.push_back(std::move(r));
        ri = recipient_index.emplace(std::string(key), out->recipients.size() - 1).first;
      }
      MergeRecipientFields(&out->recipients[ri->second].fields, *e.recipient);
    }
  }

  if (any_conflict) {
    out->refused = true;
    for (AppendOutcome& o : out->outcomes) {
      if (o.kind != Kind::kConflict) o = {Kind::kNotWritten, 0};
    }
    out->relative.clear();
    out->accepted.clear();
    out->cases.clear();
    out->recipients.clear();
    return Status::Ok();
  }
  for (RequestBuild::CaseOut& c : out->cases) {
    c.fields.state = c.state;
    AppendCaseRecord(&c.value, c.fields);
    c.fields.state = {};
  }
  for (RequestBuild::RecipientOut& r : out->recipients) AppendRecipient(&r.value, r.fields);
  return Status::Ok();
}

// Index of a column in GroupBuilder::pending_.
size_t PendingIndex(StoreColumn column) {
  return column == StoreColumn::kIdempotency ? 0 : column == StoreColumn::kCases ? 1 : 2;
}

}  // namespace

Status BuildRequest(StateView& state, const std::vector<PreparedEvent>& events, RequestBuild* out) {
  *out = RequestBuild{};
  // JSON work may throw; that fails this request only, never the thread or the group.
  try {
    Status s = Build(state, events, out);
    if (!s.ok()) *out = RequestBuild{};
    return s;
  } catch (const std::exception& ex) {
    *out = RequestBuild{};
    return Status::InvalidArgument(std::string("store: cannot store event: ") + ex.what());
  }
}

std::vector<std::string> RecipientKeysToRead(const PreparedRequest& request) {
  // Follows Build: the case's recipient id is the committed one until an event names one.
  std::unordered_map<std::string_view, std::string_view> case_recipient_id;
  std::unordered_map<std::string_view, bool> seen;
  std::vector<std::string> keys;
  for (const PreparedEvent& p : request.events) {
    const Event& e = *p.event;
    if (!e.recipient) continue;
    auto [it, inserted] = case_recipient_id.try_emplace(e.case_id);
    if (inserted) {
      auto raw = request.cases.find(e.case_id);
      if (raw != request.cases.end() && raw->second) {
        Result<std::string_view> id = PeekCaseRecipientId(*raw->second);
        if (id.ok()) it->second = *id;  // a damaged record is reported by the build
      }
    }
    std::string_view key = !e.recipient->id.empty() ? std::string_view(e.recipient->id)
                           : !it->second.empty()    ? it->second
                                                    : std::string_view(e.case_id);
    if (it->second.empty()) it->second = e.recipient->id;
    if (seen.emplace(key, true).second) keys.emplace_back(key);
  }
  return keys;
}

Result<std::optional<std::string_view>> PrefetchedState::Find(StoreColumn column,
                                                              std::string_view key, uint64_t hash) {
  auto lookup = [&](const auto& map) -> Result<std::optional<std::string_view>> {
    auto it = map.find(key);
    if (it == map.end()) return fallback_.Find(column, key, hash);
    if (!it->second) return std::optional<std::string_view>();
    return std::optional<std::string_view>(*it->second);
  };
  switch (column) {
    case StoreColumn::kIdempotency:
      return lookup(request_.idempotency);
    case StoreColumn::kCases:
      return lookup(request_.cases);
    default:
      return lookup(request_.recipients);
  }
}

// The state as of the group so far, for rebuilding a stale request: this group's pending
// records, else the request's prefetched value while nothing wrote its key since the
// request's snapshot, else a fresh read.
class GroupBuilder::Current final : public StateView {
 public:
  Current(GroupBuilder& group, const PreparedRequest& request)
      : group_(group), request_(request), prefetched_(request, group.fresh_) {}

  Result<std::optional<std::string_view>> Find(StoreColumn column, std::string_view key,
                                               uint64_t hash) override {
    const auto& pending = group_.pending_[PendingIndex(column)];
    if (auto it = pending.find(key); it != pending.end()) {
      return std::optional<std::string_view>(it->second);
    }
    if (group_.recent_.WrittenAfter(hash, request_.snapshot_gen)) {
      return group_.fresh_.Find(column, key, hash);
    }
    return prefetched_.Find(column, key, hash);  // falls back to fresh reads
  }

 private:
  GroupBuilder& group_;
  const PreparedRequest& request_;
  PrefetchedState prefetched_;
};

GroupBuilder::GroupBuilder(StateView& fresh, RecentWrites& recent, uint64_t gen, uint64_t first_seq,
                           Micros received_at, WriteSink& sink)
    : fresh_(fresh),
      recent_(recent),
      gen_(gen),
      first_seq_(first_seq),
      next_seq_(first_seq),
      received_at_(received_at),
      sink_(sink) {}

Result<std::vector<AppendOutcome>> GroupBuilder::AddRequest(PreparedRequest& request) {
  bool stale = false;
  for (uint64_t hash : request.build.reads) {
    if (recent_.WrittenAfter(hash, request.snapshot_gen)) {
      stale = true;
      break;
    }
  }
  if (stale) {
    ++rebuilt_;
    if (!overlay_built_) {
      overlay_built_ = true;
      for (const PreparedRequest* r : committed_) AddToOverlay(*r);
    }
    Current current(*this, request);
    RequestBuild build;
    Status s = BuildRequest(current, request.events, &build);
    if (!s.ok()) return s;
    request.build = std::move(build);
  }
  return Commit(request);
}

std::vector<AppendOutcome> GroupBuilder::Commit(PreparedRequest& request) {
  RequestBuild& b = request.build;
  if (b.refused) return std::move(b.outcomes);
  const uint64_t base = next_seq_;
  for (uint32_t i : b.relative) b.outcomes[i].seq += base;
  std::string seq_key;
  for (size_t k = 0; k < b.accepted.size(); ++k) {
    PreparedEvent& p = request.events[b.accepted[k]];
    const uint64_t seq = base + k;
    seq_key = EncodeSeq(seq);
    p.Stamp(seq, received_at_);
    sink_.Put(StoreColumn::kEvents, seq_key, p.value());
    sink_.Put(StoreColumn::kCaseEvents, p.case_event_key(), {});
    sink_.Put(StoreColumn::kIdempotency, p.idem_key(), p.idem_value());
    recent_.Mark(p.idem_hash, gen_);
  }
  for (RequestBuild::CaseOut& c : b.cases) {
    SetCaseRecordStamps(&c.value, base + c.fields.last_seq, c.created ? &received_at_ : nullptr,
                        received_at_);
    sink_.Put(StoreColumn::kCases, c.case_id, c.value);
    recent_.Mark(c.hash, gen_);
  }
  for (const RequestBuild::RecipientOut& r : b.recipients) {
    sink_.Put(StoreColumn::kRecipients, r.key, r.value);
    recent_.Mark(r.hash, gen_);
  }
  next_seq_ += b.accepted.size();
  committed_.push_back(&request);
  if (overlay_built_) AddToOverlay(request);
  return std::move(b.outcomes);
}

void GroupBuilder::AddToOverlay(const PreparedRequest& request) {
  const RequestBuild& b = request.build;
  for (uint32_t i : b.accepted) {
    const PreparedEvent& p = request.events[i];
    pending_[0][p.idem_key()] = p.idem_value();
  }
  for (const RequestBuild::CaseOut& c : b.cases) pending_[1][c.case_id] = c.value;
  for (const RequestBuild::RecipientOut& r : b.recipients) pending_[2][r.key] = r.value;
}

}  // namespace herald
