#include "engine/store/message_codec.h"

#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/store/schedule_codec.h"

namespace herald {
namespace {

using nlohmann::json;

std::string Encode(const json& j) {
  std::string out(1, static_cast<char>(kMessageValueVersion));
  json::to_cbor(j, out);
  return out;
}

template <typename T, typename F>
Result<T> DecodeWith(std::string_view value, std::string_view what, F&& decode) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != kMessageValueVersion) {
    return Status::Corruption("message store: " + std::string(what) +
                              " is empty or has an unknown version");
  }
  try {
    json j = json::from_cbor(value.begin() + 1, value.end(), /*strict=*/true,
                             /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption("message store: malformed " + std::string(what));
    }
    return decode(j);
  } catch (const std::exception& e) {
    return Status::Corruption("message store: malformed " + std::string(what) + ": " + e.what());
  }
}

template <typename T>
void Opt(const json& j, const char* name, T* out) {
  if (auto it = j.find(name); it != j.end()) *out = it->get<T>();
}

}  // namespace

std::string ReadyKey(Micros at, std::string_view id) {
  std::string k;
  AppendBigEndian64(&k, OrderedMicros(at));
  k.append(id);
  return k;
}

std::string ReadyTimeBound(Micros at) {
  std::string k;
  AppendBigEndian64(&k, OrderedMicros(at));
  return k;
}

std::optional<std::string> ParseReadyKey(std::string_view key, Micros* at) {
  uint64_t ordered = 0;
  if (!ConsumeBigEndian64(&key, &ordered) || key.empty()) return std::nullopt;
  if (at != nullptr) *at = MicrosFromOrdered(ordered);
  return std::string(key);
}

std::string ProviderKey(std::string_view connector, std::string_view provider_id) {
  std::string k;
  AppendKeyString(&k, connector);
  AppendKeyString(&k, provider_id);
  return k;
}

std::string CaseMessageKey(std::string_view case_id, std::string_view id) {
  std::string k = CaseMessagePrefix(case_id);
  k.append(id);
  return k;
}

std::string CaseMessagePrefix(std::string_view case_id) {
  std::string k;
  AppendKeyString(&k, case_id);
  return k;
}

std::string CallbackKey(uint64_t seq) {
  std::string k;
  AppendBigEndian64(&k, seq);
  return k;
}

std::string EncodeMessage(const Message& m) {
  json j = json::object();
  j["id"] = m.id;
  j["intent_key"] = m.intent_key;
  j["plan"] = {m.plan.campaign, m.plan.rule, m.plan.case_id};
  j["occurrence"] = m.occurrence;
  j["recipient_id"] = m.recipient_id;
  j["template_id"] = m.template_id;
  j["locale"] = m.locale;
  j["channel"] = ChannelName(m.channel);
  j["to"] = m.to;
  j["status"] = MessageStatusName(m.status);
  j["failure"] = m.failure;
  j["reason"] = m.reason;
  j["attempts"] = m.attempts;
  j["due"] = m.due;
  j["created_at"] = m.created_at;
  j["next_attempt_at"] = m.next_attempt_at;
  j["updated_at"] = m.updated_at;
  j["sent_at"] = m.sent_at;
  j["connector"] = m.connector;
  j["provider_id"] = m.provider_id;
  j["subject"] = m.subject;
  j["mime"] = m.mime;
  j["text"] = m.text;
  j["sms_text"] = m.sms_text;
  j["sms_encoding"] = m.sms_encoding;
  j["sms_segments"] = m.sms_segments;
  json history = json::array();
  for (const MessageEvent& e : m.history) {
    history.push_back({e.at, MessageStatusName(e.status), e.detail, e.connector, e.attempt});
  }
  j["history"] = std::move(history);
  return Encode(j);
}

Result<Message> DecodeMessage(std::string_view value) {
  return DecodeWith<Message>(value, "message", [](const json& j) -> Result<Message> {
    Message m;
    m.id = j.at("id").get<std::string>();
    const json& plan = j.at("plan");
    m.plan = PlanKey{plan.at(0).get<std::string>(), plan.at(1).get<std::string>(),
                     plan.at(2).get<std::string>()};
    Opt(j, "intent_key", &m.intent_key);
    Opt(j, "occurrence", &m.occurrence);
    Opt(j, "recipient_id", &m.recipient_id);
    Opt(j, "template_id", &m.template_id);
    Opt(j, "locale", &m.locale);
    std::optional<Channel> channel = ChannelFromName(j.at("channel").get<std::string>());
    std::optional<MessageStatus> status = MessageStatusFromName(j.at("status").get<std::string>());
    if (!channel || !status) return Status::Corruption("message store: malformed message");
    m.channel = *channel;
    m.status = *status;
    Opt(j, "to", &m.to);
    Opt(j, "failure", &m.failure);
    Opt(j, "reason", &m.reason);
    Opt(j, "attempts", &m.attempts);
    Opt(j, "due", &m.due);
    Opt(j, "created_at", &m.created_at);
    Opt(j, "next_attempt_at", &m.next_attempt_at);
    Opt(j, "updated_at", &m.updated_at);
    Opt(j, "sent_at", &m.sent_at);
    Opt(j, "connector", &m.connector);
    Opt(j, "provider_id", &m.provider_id);
    Opt(j, "subject", &m.subject);
    Opt(j, "mime", &m.mime);
    Opt(j, "text", &m.text);
    Opt(j, "sms_text", &m.sms_text);
    Opt(j, "sms_encoding", &m.sms_encoding);
    Opt(j, "sms_segments", &m.sms_segments);
    if (auto it = j.find("history"); it != j.end()) {
      for (const json& e : *it) {
        MessageEvent ev;
        ev.at = e.at(0).get<Micros>();
        std::optional<MessageStatus> s = MessageStatusFromName(e.at(1).get<std::string>());
        if (!s) return Status::Corruption("message store: malformed message history");
        ev.status = *s;
        ev.detail = e.at(2).get<std::string>();
        ev.connector = e.at(3).get<std::string>();
        ev.attempt = e.at(4).get<int>();
        m.history.push_back(std::move(ev));
      }
    }
    return m;
  });
}

std::string EncodeCallback(const StatusCallback& c) {
  return Encode(json{{"seq", c.seq},
                     {"next_attempt_at", c.next_attempt_at},
                     {"attempts", c.attempts},
                     {"body", c.body}});
}

Result<StatusCallback> DecodeCallback(std::string_view value) {
  return DecodeWith<StatusCallback>(value, "callback", [](const json& j) -> Result<StatusCallback> {
    StatusCallback c;
    c.seq = j.at("seq").get<uint64_t>();
    Opt(j, "next_attempt_at", &c.next_attempt_at);
    Opt(j, "attempts", &c.attempts);
    Opt(j, "body", &c.body);
    return c;
  });
}

}  // namespace herald
