#include "engine/store/schedule_codec.h"

#include <exception>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/event.h"

namespace herald {
namespace {

using nlohmann::json;

std::string Encode(const json& j) {
  std::string out(1, static_cast<char>(kScheduleValueVersion));
  json::to_cbor(j, out);
  return out;
}

// The JSON form of a value, or Corruption. Never throws.
Result<json> Parse(std::string_view value, std::string_view what) {
  if (value.empty()) return Status::Corruption("schedule store: empty " + std::string(what));
  if (static_cast<uint8_t>(value[0]) != kScheduleValueVersion) {
    return Status::Corruption("schedule store: " + std::string(what) + " has unknown version " +
                              std::to_string(static_cast<uint8_t>(value[0])));
  }
  json j;
  try {
    j = json::from_cbor(value.begin() + 1, value.end(), /*strict=*/true,
                        /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    j = json(json::value_t::discarded);
  }
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("schedule store: malformed " + std::string(what));
  }
  return j;
}

// Reads j[name] into *out when present (fields added later default when absent, so old
// values stay readable under the same version byte). Throws on a type mismatch.
template <typename T>
void Opt(const json& j, const char* name, T* out) {
  if (auto it = j.find(name); it != j.end()) *out = it->get<T>();
}

json PlanKeyToJson(const PlanKey& k) {
  return json{{"campaign", k.campaign}, {"rule", k.rule}, {"case_id", k.case_id}};
}
PlanKey PlanKeyFromJson(const json& j) {
  return PlanKey{j.at("campaign").get<std::string>(), j.at("rule").get<std::string>(),
                 j.at("case_id").get<std::string>()};
}

// Runs `decode` on the parsed value, turning any exception (a field of the wrong type, a
// missing required field) into Corruption.
template <typename T, typename F>
Result<T> DecodeWith(std::string_view value, std::string_view what, F&& decode) {
  Result<json> j = Parse(value, what);
  if (!j.ok()) return j.status();
  try {
    return decode(*j);
  } catch (const std::exception& e) {
    return Status::Corruption("schedule store: malformed " + std::string(what) + ": " + e.what());
  }
}

Status CheckPlanKey(const PlanKey& k, std::string_view where) {
  if (k.campaign.empty() || k.rule.empty() || k.case_id.empty()) {
    return Status::InvalidArgument("schedule store: " + std::string(where) +
                                   " has a plan key with an empty campaign, rule or case id (" +
                                   k.ToString() + ")");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateScheduleBatch(const ScheduleBatch& b) {
  for (const Plan& p : b.put_plans) {
    if (Status s = CheckPlanKey(p.key, "a plan"); !s.ok()) return s;
    if (PlanStatusName(p.status).empty()) {
      return Status::InvalidArgument("schedule store: plan " + p.key.ToString() +
                                     " has an invalid status");
    }
  }
  for (const auto* timers : {&b.add_timers, &b.remove_timers}) {
    for (const TimerEntry& t : *timers) {
      if (Status s = CheckPlanKey(t.plan, "a timer"); !s.ok()) return s;
    }
  }
  for (const OutboxIntent& i : b.put_outbox) {
    if (i.key.empty())
      return Status::InvalidArgument("schedule store: an outbox intent has no key");
    if (Status s = CheckPlanKey(i.plan, "outbox intent " + i.key); !s.ok()) return s;
    if (i.occurrence < 1) {
      return Status::InvalidArgument("schedule store: outbox intent " + i.key + " has occurrence " +
                                     std::to_string(i.occurrence));
    }
  }
  for (const CaseView& c : b.put_cases) {
    if (c.case_id.empty()) return Status::InvalidArgument("schedule store: a case view has no id");
  }
  for (const PlanRecord& r : b.records) {
    if (Status s = CheckPlanKey(r.plan, "a plan record"); !s.ok()) return s;
  }
  for (const ScheduleBatch::Send& s : b.sends) {
    if (s.campaign.empty())
      return Status::InvalidArgument("schedule store: a send has no campaign");
  }
  return Status::Ok();
}

void AppendKeyString(std::string* dst, std::string_view s) {
  for (char c : s) {
    dst->push_back(c);
    if (c == '\0') dst->push_back('\xff');
  }
  dst->push_back('\0');
  dst->push_back('\x01');
}

bool ConsumeKeyString(std::string_view* in, std::string* out) {
  out->clear();
  for (size_t i = 0; i + 1 < in->size(); ++i) {
    const char c = (*in)[i];
    if (c != '\0') {
      out->push_back(c);
      continue;
    }
    const char next = (*in)[i + 1];
    if (next == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    }
    if (next != '\xff') return false;
    out->push_back('\0');
    ++i;
  }
  return false;  // no terminator
}

void AppendBigEndian64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}

bool ConsumeBigEndian64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(8);
  *v = n;
  return true;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<uint8_t>(s.back()) == 0xff) s.pop_back();
  if (!s.empty()) s.back() = static_cast<char>(static_cast<uint8_t>(s.back()) + 1);
  return s;
}

std::string PlanStoreKey(const PlanKey& key) {
  std::string out = PlanCasePrefix(key.case_id);
  AppendKeyString(&out, key.campaign);
  AppendKeyString(&out, key.rule);
  return out;
}

std::string PlanCasePrefix(std::string_view case_id) {
  std::string out;
  AppendKeyString(&out, case_id);
  return out;
}

std::optional<PlanKey> ParsePlanStoreKey(std::string_view key) {
  PlanKey k;
  if (!ConsumeKeyString(&key, &k.case_id) || !ConsumeKeyString(&key, &k.campaign) ||
      !ConsumeKeyString(&key, &k.rule) || !key.empty()) {
    return std::nullopt;
  }
  return k;
}

std::string TimerKey(const TimerEntry& timer) {
  std::string out = TimerTimeBound(timer.fire_at);
  AppendKeyString(&out, timer.plan.campaign);
  AppendKeyString(&out, timer.plan.rule);
  AppendKeyString(&out, timer.plan.case_id);
  return out;
}

std::string TimerTimeBound(Micros t) {
  std::string out;
  AppendBigEndian64(&out, OrderedMicros(t));
  return out;
}

std::optional<TimerEntry> ParseTimerKey(std::string_view key) {
  TimerEntry t;
  uint64_t at = 0;
  if (!ConsumeBigEndian64(&key, &at) || !ConsumeKeyString(&key, &t.plan.campaign) ||
      !ConsumeKeyString(&key, &t.plan.rule) || !ConsumeKeyString(&key, &t.plan.case_id) ||
      !key.empty()) {
    return std::nullopt;
  }
  t.fire_at = MicrosFromOrdered(at);
  return t;
}

std::string OutboxQueueKey(uint64_t queue_seq) {
  std::string out;
  AppendBigEndian64(&out, queue_seq);
  return out;
}

std::optional<uint64_t> ParseOutboxQueueKey(std::string_view key) {
  uint64_t seq = 0;
  if (!ConsumeBigEndian64(&key, &seq) || !key.empty()) return std::nullopt;
  return seq;
}

std::string RecordKey(std::string_view case_id, uint64_t number) {
  std::string out = RecordCasePrefix(case_id);
  AppendBigEndian64(&out, number);
  return out;
}

std::string RecordCasePrefix(std::string_view case_id) {
  std::string out;
  AppendKeyString(&out, case_id);
  return out;
}

std::string SendKey(std::string_view recipient_id, std::string_view campaign, Micros at,
                    uint64_t number) {
  std::string out = SendPrefix(recipient_id, campaign);
  AppendBigEndian64(&out, OrderedMicros(at));
  AppendBigEndian64(&out, number);
  return out;
}

std::string SendPrefix(std::string_view recipient_id, std::string_view campaign) {
  std::string out;
  AppendKeyString(&out, recipient_id);
  AppendKeyString(&out, campaign);
  return out;
}

std::optional<Micros> ParseSendTime(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + 16 || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  key.remove_prefix(prefix.size());
  uint64_t at = 0;
  ConsumeBigEndian64(&key, &at);
  return MicrosFromOrdered(at);
}

std::string EncodeCounter(uint64_t n) {
  std::string out;
  AppendBigEndian64(&out, n);
  return out;
}

Result<uint64_t> DecodeCounter(std::string_view value, std::string_view what) {
  uint64_t n = 0;
  if (!ConsumeBigEndian64(&value, &n) || !value.empty()) {
    return Status::Corruption("schedule store: malformed " + std::string(what));
  }
  return n;
}

std::string_view PlanStatusName(PlanStatus status) {
  switch (status) {
    case PlanStatus::kPending:
      return "pending";
    case PlanStatus::kDone:
      return "done";
    case PlanStatus::kCancelled:
      return "cancelled";
  }
  return "";
}

std::optional<PlanStatus> PlanStatusFromName(std::string_view name) {
  if (name == "pending") return PlanStatus::kPending;
  if (name == "done") return PlanStatus::kDone;
  if (name == "cancelled") return PlanStatus::kCancelled;
  return std::nullopt;
}

std::string EncodePlan(const Plan& p) {
  json j = PlanKeyToJson(p.key);
  j["recipient_id"] = p.recipient_id;
  j["template_id"] = p.template_id;
  j["times"] = p.times;
  j["sent"] = p.sent;
  j["due"] = p.due;
  j["fire_at"] = p.fire_at;
  j["deferred_by"] = p.deferred_by;
  j["status"] = PlanStatusName(p.status);
  j["reason"] = p.reason;
  j["planned_seq"] = p.planned_seq;
  j["updated_at"] = p.updated_at;
  return Encode(j);
}

Result<Plan> DecodePlan(std::string_view value) {
  return DecodeWith<Plan>(value, "plan", [](const json& j) -> Result<Plan> {
    Plan p;
    p.key = PlanKeyFromJson(j);
    std::optional<PlanStatus> status = PlanStatusFromName(j.at("status").get<std::string>());
    if (!status) return Status::Corruption("schedule store: plan has an unknown status");
    p.status = *status;
    Opt(j, "recipient_id", &p.recipient_id);
    Opt(j, "template_id", &p.template_id);
    Opt(j, "times", &p.times);
    Opt(j, "sent", &p.sent);
    Opt(j, "due", &p.due);
    Opt(j, "fire_at", &p.fire_at);
    Opt(j, "deferred_by", &p.deferred_by);
    Opt(j, "reason", &p.reason);
    Opt(j, "planned_seq", &p.planned_seq);
    Opt(j, "updated_at", &p.updated_at);
    return p;
  });
}

std::string EncodeCaseView(const CaseView& v) {
  json j = json::object();
  j["state"] = v.state;
  if (v.recipient) j["recipient"] = RecipientToJson(*v.recipient);
  j["last_seq"] = v.last_seq;
  return Encode(j);
}

Result<CaseView> DecodeCaseView(std::string_view case_id, std::string_view value) {
  return DecodeWith<CaseView>(value, "case view", [&](const json& j) -> Result<CaseView> {
    CaseView v;
    v.case_id = std::string(case_id);
    v.state = j.at("state");
    if (auto it = j.find("recipient"); it != j.end()) {
      if (!it->is_object()) return Status::Corruption("schedule store: malformed case recipient");
      v.recipient = RecipientFromJson(*it);
    }
    Opt(j, "last_seq", &v.last_seq);
    return v;
  });
}

std::string EncodeOutboxIntent(const OutboxIntent& i) {
  json j = json::object();
  j["key"] = i.key;
  j["plan"] = PlanKeyToJson(i.plan);
  j["occurrence"] = i.occurrence;
  j["recipient_id"] = i.recipient_id;
  j["template_id"] = i.template_id;
  j["channels"] = i.channels;
  j["locale"] = i.locale;
  j["due"] = i.due;
  j["fired_at"] = i.fired_at;
  j["queue_seq"] = i.queue_seq;
  j["status"] = i.status;
  return Encode(j);
}

Result<OutboxIntent> DecodeOutboxIntent(std::string_view value) {
  return DecodeWith<OutboxIntent>(value, "outbox intent",
                                  [](const json& j) -> Result<OutboxIntent> {
                                    OutboxIntent i;
                                    i.key = j.at("key").get<std::string>();
                                    i.plan = PlanKeyFromJson(j.at("plan"));
                                    i.queue_seq = j.at("queue_seq").get<uint64_t>();
                                    Opt(j, "occurrence", &i.occurrence);
                                    Opt(j, "recipient_id", &i.recipient_id);
                                    Opt(j, "template_id", &i.template_id);
                                    Opt(j, "channels", &i.channels);
                                    Opt(j, "locale", &i.locale);
                                    Opt(j, "due", &i.due);
                                    Opt(j, "fired_at", &i.fired_at);
                                    Opt(j, "status", &i.status);
                                    return i;
                                  });
}

std::string EncodePlanRecord(const PlanRecord& r) {
  json j = json::object();
  j["plan"] = PlanKeyToJson(r.plan);
  j["what"] = r.what;
  j["at"] = r.at;
  j["due"] = r.due;
  j["fire_at"] = r.fire_at;
  j["occurrence"] = r.occurrence;
  j["reason"] = r.reason;
  return Encode(j);
}

Result<PlanRecord> DecodePlanRecord(std::string_view value) {
  return DecodeWith<PlanRecord>(value, "plan record", [](const json& j) -> Result<PlanRecord> {
    PlanRecord r;
    r.plan = PlanKeyFromJson(j.at("plan"));
    r.what = j.at("what").get<std::string>();
    Opt(j, "at", &r.at);
    Opt(j, "due", &r.due);
    Opt(j, "fire_at", &r.fire_at);
    Opt(j, "occurrence", &r.occurrence);
    Opt(j, "reason", &r.reason);
    return r;
  });
}

}  // namespace herald
