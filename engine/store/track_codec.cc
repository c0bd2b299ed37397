#include "engine/store/track_codec.h"

#include <nlohmann/json.hpp>

#include "engine/store/rocks_status.h"
#include "engine/store/schedule_codec.h"

namespace herald {
namespace {

constexpr char kValueVersion = 1;

std::string Versioned(const nlohmann::json& j) {
  return std::string(1, kValueVersion) + j.dump();
}

// The JSON of a versioned value, or nullopt.
std::optional<nlohmann::json> Unversioned(std::string_view value) {
  if (value.empty() || value[0] != kValueVersion) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(value.substr(1), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

nlohmann::json OptOutJson(const OptOut& o) {
  return {{"ch", ChannelName(o.channel)}, {"at", o.at}, {"by", o.by}, {"why", o.reason}};
}

OptOut OptOutFromJson(const nlohmann::json& j) {
  OptOut o;
  o.channel = ChannelFromName(j.at("ch").get<std::string>()).value();
  o.at = j.at("at").get<Micros>();
  o.by = j.at("by").get<std::string>();
  o.reason = j.at("why").get<std::string>();
  return o;
}

// Sums every operand of a key in one pass (a dense row), where an associative operator
// would decode and re-encode once per operand pair.
class CounterMergeOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::vector<std::string_view> rows;
    rows.reserve(in.operand_list.size() + 1);
    if (in.existing_value != nullptr) rows.push_back(View(*in.existing_value));
    for (const rocksdb::Slice& op : in.operand_list) rows.push_back(View(op));
    return SumEncodedCounters(rows, &out->new_value);
  }
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* logger) const override {
    std::vector<std::string_view> rows;
    rows.reserve(operands.size());
    for (const rocksdb::Slice& op : operands) rows.push_back(View(op));
    return SumEncodedCounters(rows, new_value);
  }
  // The same name as the associative operator it replaces: the stored rows are the same.
  const char* Name() const override { return "herald.CounterAdd.v1"; }
};

}  // namespace

Micros HourStart(Micros t) {
  Micros h = t / kMicrosPerTrackHour;
  if (t % kMicrosPerTrackHour < 0) --h;
  return h * kMicrosPerTrackHour;
}

std::string EventKey(std::string_view id, Micros at, uint64_t seq) {
  std::string k(id);
  AppendBigEndian64(&k, OrderedMicros(at));
  AppendBigEndian64(&k, seq);
  return k;
}

std::string EventTimeKey(Micros at, uint64_t seq) {
  std::string k;
  AppendBigEndian64(&k, OrderedMicros(at));
  AppendBigEndian64(&k, seq);
  return k;
}

bool ParseEventKey(std::string_view key, size_t id_size, Micros* at, uint64_t* seq) {
  if (key.size() != id_size + 16) return false;
  key.remove_prefix(id_size);
  return ParseEventTimeKey(key, at, seq);
}

bool ParseEventTimeKey(std::string_view key, Micros* at, uint64_t* seq) {
  uint64_t t = 0;
  if (key.size() != 16 || !ConsumeBigEndian64(&key, &t) || !ConsumeBigEndian64(&key, seq)) {
    return false;
  }
  *at = MicrosFromOrdered(t);
  return true;
}

std::string MessageTimeKey(Micros created_at, std::string_view id) {
  std::string k;
  AppendBigEndian64(&k, OrderedMicros(created_at));
  k.append(id);
  return k;
}

std::string MarkKey(std::string_view id, MarkType type, std::string_view extra) {
  std::string k(id);
  k.push_back(type);
  k.append(extra);
  return k;
}

std::string MarkValue(Micros at, uint64_t seq) {
  return EventTimeKey(at, seq);
}

bool ParseMarkValue(std::string_view v, Micros* at, uint64_t* seq) {
  return ParseEventTimeKey(v, at, seq);
}

std::string CounterBound(std::string_view campaign, CounterDim dim, Micros hour_start) {
  std::string k;
  AppendKeyString(&k, campaign);
  k.push_back(dim);
  AppendBigEndian64(&k, OrderedMicros(hour_start));
  return k;
}

std::string CounterKey(std::string_view campaign, CounterDim dim, Micros hour_start,
                       std::string_view value, std::optional<std::string_view> value2) {
  std::string k = CounterBound(campaign, dim, hour_start);
  AppendKeyString(&k, value);
  if (value2) AppendKeyString(&k, *value2);
  return k;
}

bool ParseCounterKeyTail(std::string_view tail, Micros* hour_start, std::string* value,
                         std::string* value2) {
  uint64_t h = 0;
  if (!ConsumeBigEndian64(&tail, &h) || !ConsumeKeyString(&tail, value)) return false;
  *hour_start = MicrosFromOrdered(h);
  value2->clear();
  if (!tail.empty() && (!ConsumeKeyString(&tail, value2) || !tail.empty())) return false;
  return true;
}

std::string AddressKey(Channel channel, std::string_view address_hash) {
  std::string k(ChannelName(channel));
  k.push_back(':');
  k.append(address_hash);
  return k;
}

std::string EncodeTrackedMessage(const TrackedMessage& m, std::string_view address_hash) {
  return Versioned({{"c", m.campaign},
                    {"r", m.rule},
                    {"l", m.locale},
                    {"ch", ChannelName(m.channel)},
                    {"rid", m.recipient_id},
                    {"ah", address_hash},
                    {"ce", m.case_event_at},
                    {"cr", m.created_at},
                    {"s", m.sent_at},
                    {"d", m.delivered_at},
                    {"links", m.links}});
}

Result<TrackedMessage> DecodeTrackedMessage(std::string_view id, std::string_view value,
                                            std::string* address_hash) {
  std::optional<nlohmann::json> j = Unversioned(value);
  if (!j) return Status::Corruption("track store: unreadable message record");
  try {
    TrackedMessage m;
    m.id = std::string(id);
    m.campaign = j->at("c").get<std::string>();
    m.rule = j->at("r").get<std::string>();
    m.locale = j->at("l").get<std::string>();
    m.channel = ChannelFromName(j->at("ch").get<std::string>()).value();
    m.recipient_id = j->at("rid").get<std::string>();
    if (address_hash != nullptr) *address_hash = j->at("ah").get<std::string>();
    m.case_event_at = j->at("ce").get<Micros>();
    m.created_at = j->at("cr").get<Micros>();
    m.sent_at = j->at("s").get<Micros>();
    m.delivered_at = j->at("d").get<Micros>();
    m.links = j->at("links").get<std::vector<std::string>>();
    return m;
  } catch (const std::exception&) {
    return Status::Corruption("track store: malformed message record");
  }
}

std::string EncodeEngagement(const EngagementRecord& e) {
  return Versioned({{"k", int(e.kind)},
                    {"at", e.at},
                    {"li", e.link_index},
                    {"m", e.machine},
                    {"why", int(e.reason)},
                    {"ua", e.user_agent},
                    {"ip", e.ip}});
}

Result<EngagementRecord> DecodeEngagement(std::string_view value) {
  std::optional<nlohmann::json> j = Unversioned(value);
  if (!j) return Status::Corruption("track store: unreadable event");
  try {
    EngagementRecord e;
    const int kind = j->at("k").get<int>();
    const int why = j->at("why").get<int>();
    if (kind < 0 || kind > int(EngagementKind::kSmsStart) || why < 0 ||
        why > int(MachineReason::kAllLinks)) {
      return Status::Corruption("track store: event kind or reason out of range");
    }
    e.kind = EngagementKind(kind);
    e.reason = MachineReason(why);
    e.at = j->at("at").get<Micros>();
    e.link_index = j->at("li").get<uint32_t>();
    e.machine = j->at("m").get<bool>();
    e.user_agent = j->at("ua").get<std::string>();
    e.ip = j->at("ip").get<std::string>();
    return e;
  } catch (const std::exception&) {
    return Status::Corruption("track store: malformed event");
  }
}

std::string EncodePreferences(const RecipientPreferences& p) {
  nlohmann::json outs = nlohmann::json::array();
  for (const OptOut& o : p.opt_outs) outs.push_back(OptOutJson(o));
  nlohmann::json channels = nlohmann::json::array();
  for (Channel c : p.channels) channels.push_back(ChannelName(c));
  return Versioned({{"out", outs},
                    {"ch", channels},
                    {"l", p.locale},
                    {"at", p.updated_at},
                    {"by", p.updated_by}});
}

Result<RecipientPreferences> DecodePreferences(std::string_view id, std::string_view value) {
  std::optional<nlohmann::json> j = Unversioned(value);
  if (!j) return Status::Corruption("track store: unreadable preferences");
  try {
    RecipientPreferences p;
    p.recipient_id = std::string(id);
    for (const nlohmann::json& o : j->at("out")) p.opt_outs.push_back(OptOutFromJson(o));
    for (const nlohmann::json& c : j->at("ch")) {
      p.channels.push_back(ChannelFromName(c.get<std::string>()).value());
    }
    p.locale = j->at("l").get<std::string>();
    p.updated_at = j->at("at").get<Micros>();
    p.updated_by = j->at("by").get<std::string>();
    return p;
  } catch (const std::exception&) {
    return Status::Corruption("track store: malformed preferences");
  }
}

std::string EncodeOptOut(const OptOut& o) {
  return Versioned(OptOutJson(o));
}

Result<OptOut> DecodeOptOut(std::string_view value) {
  std::optional<nlohmann::json> j = Unversioned(value);
  if (!j) return Status::Corruption("track store: unreadable opt-out");
  try {
    return OptOutFromJson(*j);
  } catch (const std::exception&) {
    return Status::Corruption("track store: malformed opt-out");
  }
}

std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator() {
  return std::make_shared<CounterMergeOperator>();
}

}  // namespace herald
