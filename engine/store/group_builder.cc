#include "engine/store/group_builder.h"

#include <exception>
#include <utility>

#include "engine/store/keys.h"

namespace herald {

GroupBuilder::GroupBuilder(CommittedState& committed, uint64_t first_seq, Micros received_at)
    : committed_(committed),
      first_seq_(first_seq),
      next_seq_(first_seq),
      received_at_(received_at) {}

Result<std::vector<AppendOutcome>> GroupBuilder::AddRequest(std::string_view key_id,
                                                            const std::vector<Event>& events) {
  Layer request;
  uint64_t next_seq = next_seq_;
  Result<std::vector<AppendOutcome>> outcomes = Status::Internal("unset");
  // Fingerprinting and JSON work may throw (e.g. a string that is not UTF-8); that fails
  // this request only, never the leader thread or the other requests of the group.
  try {
    outcomes = BuildRequest(key_id, events, request, next_seq);
  } catch (const std::exception& ex) {
    return Status::InvalidArgument(std::string("store: cannot store event: ") + ex.what());
  }
  if (!outcomes.ok()) return outcomes.status();
  bool any_conflict = false;
  for (const AppendOutcome& o : *outcomes) {
    any_conflict |= o.kind == AppendOutcome::Kind::kConflict;
  }
  if (any_conflict) {
    for (AppendOutcome& o : *outcomes) {
      if (o.kind != AppendOutcome::Kind::kConflict) o = {AppendOutcome::Kind::kNotWritten, 0};
    }
    return outcomes;  // `request` is dropped: nothing of it is written
  }
  next_seq_ = next_seq;
  Fold(std::move(request));
  return outcomes;
}

Result<std::vector<AppendOutcome>> GroupBuilder::BuildRequest(std::string_view key_id,
                                                              const std::vector<Event>& events,
                                                              Layer& request, uint64_t& next_seq) {
  std::vector<AppendOutcome> outcomes;
  outcomes.reserve(events.size());
  bool any_conflict = false;
  for (const Event& e : events) {
    const std::string idem_key = IdempotencyKey(key_id, e.id);
    std::string fingerprint = EventFingerprint(e);
    Result<std::optional<Found>> found = FindIdempotency(request, idem_key);
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      const Found& f = **found;
      if (f.entry.fingerprint == fingerprint) {
        outcomes.push_back({AppendOutcome::Kind::kDuplicate, f.entry.seq});
      } else {
        // An original from this same request will not be written, so it has no seq.
        outcomes.push_back({AppendOutcome::Kind::kConflict, f.in_request ? 0 : f.entry.seq});
        any_conflict = true;
      }
      continue;
    }
    const uint64_t seq = next_seq++;
    outcomes.push_back({AppendOutcome::Kind::kAccepted, seq});
    request.idempotency[idem_key] = IdempotencyEntry{seq, fingerprint};
    // Once a conflict is known the request is refused; keep checking ids only, so every
    // conflicting event is reported, but skip the state work.
    if (any_conflict) continue;

    StoredEvent stored{seq, std::string(key_id), received_at_, e};
    request.appends.push_back({StoreColumn::kEvents, EncodeSeq(seq), EncodeStoredEvent(stored)});
    request.appends.push_back({StoreColumn::kCaseEvents, CaseEventKey(e.case_id, seq), {}});
    request.appends.push_back({StoreColumn::kIdempotency, idem_key,
                               EncodeIdempotencyEntry(IdempotencyEntry{seq, fingerprint})});

    Result<CaseRecord*> loaded = LoadCase(request, e.case_id);
    if (!loaded.ok()) return loaded.status();
    CaseRecord& c = **loaded;
    if (c.event_count == 0) {
      c.case_id = e.case_id;
      c.created_at = received_at_;
    }
    if (!e.data.is_null()) c.state.merge_patch(e.data);  // RFC 7396: null deletes a field
    c.last_seq = seq;
    c.event_count++;
    c.updated_at = received_at_;

    if (e.recipient) {
      if (!c.recipient) c.recipient = Recipient{};
      MergeRecipient(*c.recipient, *e.recipient);
      // The recipient record is keyed by the id the event names, else the id the case's
      // recipient already has, else the case id.
      const std::string& recipient_key = !e.recipient->id.empty()   ? e.recipient->id
                                         : !c.recipient->id.empty() ? c.recipient->id
                                                                    : e.case_id;
      Result<Recipient*> r = LoadRecipient(request, recipient_key);
      if (!r.ok()) return r.status();
      MergeRecipient(**r, *e.recipient);
    }
  }
  return outcomes;
}

Result<std::optional<GroupBuilder::Found>> GroupBuilder::FindIdempotency(const Layer& request,
                                                                         const std::string& key) {
  if (auto it = request.idempotency.find(key); it != request.idempotency.end()) {
    return std::optional<Found>(Found{it->second, true});
  }
  if (auto it = group_.idempotency.find(key); it != group_.idempotency.end()) {
    return std::optional<Found>(Found{it->second, false});
  }
  Result<std::optional<IdempotencyEntry>> committed = committed_.FindIdempotency(key);
  if (!committed.ok()) return committed.status();
  if (!committed->has_value()) return std::optional<Found>();
  return std::optional<Found>(Found{**committed, false});
}

Result<CaseRecord*> GroupBuilder::LoadCase(Layer& request, const std::string& case_id) {
  if (auto it = request.cases.find(case_id); it != request.cases.end()) return &it->second;
  CaseRecord base;
  if (auto it = group_.cases.find(case_id); it != group_.cases.end()) {
    base = it->second;
  } else {
    Result<std::optional<CaseRecord>> committed = committed_.FindCase(case_id);
    if (!committed.ok()) return committed.status();
    if (committed->has_value()) base = std::move(**committed);
  }
  return &request.cases.emplace(case_id, std::move(base)).first->second;
}

Result<Recipient*> GroupBuilder::LoadRecipient(Layer& request, const std::string& key) {
  if (auto it = request.recipients.find(key); it != request.recipients.end()) return &it->second;
  Recipient base;
  if (auto it = group_.recipients.find(key); it != group_.recipients.end()) {
    base = it->second;
  } else {
    Result<std::optional<Recipient>> committed = committed_.FindRecipient(key);
    if (!committed.ok()) return committed.status();
    if (committed->has_value()) base = std::move(**committed);
  }
  return &request.recipients.emplace(key, std::move(base)).first->second;
}

void GroupBuilder::Fold(Layer&& request) {
  for (auto& [k, v] : request.idempotency) group_.idempotency[k] = std::move(v);
  for (auto& [k, v] : request.cases) group_.cases[k] = std::move(v);
  for (auto& [k, v] : request.recipients) group_.recipients[k] = std::move(v);
  for (PendingWrite& w : request.appends) group_.appends.push_back(std::move(w));
}

std::vector<PendingWrite> GroupBuilder::TakeWrites() {
  std::vector<PendingWrite> writes = std::move(group_.appends);
  // Case and recipient records are written once per group, in their final state.
  for (const auto& [k, c] : group_.cases) {
    writes.push_back({StoreColumn::kCases, k, EncodeCaseRecord(c)});
  }
  for (const auto& [k, r] : group_.recipients) {
    writes.push_back({StoreColumn::kRecipients, k, EncodeRecipient(r)});
  }
  group_ = Layer{};
  return writes;
}

}  // namespace herald
