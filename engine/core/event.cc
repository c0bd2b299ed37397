#include "engine/core/event.h"

#include "engine/core/sha256.h"

namespace herald {

std::string_view ChannelName(Channel c) {
  return c == Channel::kEmail ? "email" : "sms";
}

std::optional<Channel> ChannelFromName(std::string_view name) {
  if (name == "email") return Channel::kEmail;
  if (name == "sms") return Channel::kSms;
  return std::nullopt;
}

nlohmann::json RecipientToJson(const Recipient& r) {
  nlohmann::json j = nlohmann::json::object();
  if (!r.id.empty()) j["id"] = r.id;
  if (r.email) j["email"] = *r.email;
  if (r.phone) j["phone"] = *r.phone;
  if (r.locale) j["locale"] = *r.locale;
  if (r.timezone) j["timezone"] = *r.timezone;
  if (r.channels) {
    nlohmann::json list = nlohmann::json::array();
    for (Channel c : *r.channels) list.push_back(ChannelName(c));
    j["channels"] = std::move(list);
  }
  return j;
}

Recipient RecipientFromJson(const nlohmann::json& j) {
  Recipient r;
  if (auto it = j.find("id"); it != j.end()) r.id = it->get<std::string>();
  if (auto it = j.find("email"); it != j.end()) r.email = it->get<std::string>();
  if (auto it = j.find("phone"); it != j.end()) r.phone = it->get<std::string>();
  if (auto it = j.find("locale"); it != j.end()) r.locale = it->get<std::string>();
  if (auto it = j.find("timezone"); it != j.end()) r.timezone = it->get<std::string>();
  if (auto it = j.find("channels"); it != j.end()) {
    std::vector<Channel> list;
    for (const auto& c : *it) {
      if (auto ch = ChannelFromName(c.get<std::string>())) list.push_back(*ch);
    }
    r.channels = std::move(list);
  }
  return r;
}

nlohmann::json EventToJson(const Event& e) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = e.id;
  j["case_id"] = e.case_id;
  j["type"] = e.type;
  j["occurred_at"] = e.occurred_at;
  if (!e.data.is_null()) j["data"] = e.data;
  if (e.recipient) j["recipient"] = RecipientToJson(*e.recipient);
  return j;
}

Event EventFromJson(const nlohmann::json& j) {
  Event e;
  e.id = j.at("id").get<std::string>();
  e.case_id = j.at("case_id").get<std::string>();
  e.type = j.at("type").get<std::string>();
  e.occurred_at = j.at("occurred_at").get<std::string>();
  if (auto it = j.find("occurred_at_us"); it != j.end()) e.occurred_at_us = it->get<Micros>();
  if (auto it = j.find("data"); it != j.end()) e.data = *it;
  if (auto it = j.find("recipient"); it != j.end()) e.recipient = RecipientFromJson(*it);
  return e;
}

nlohmann::json StoredEventToJson(const StoredEvent& s) {
  nlohmann::json j = EventToJson(s.event);
  j["seq"] = s.seq;
  j["key_id"] = s.key_id;
  j["received_at_us"] = s.received_at;
  j["occurred_at_us"] = s.event.occurred_at_us;
  if (s.redacted) j["redacted"] = true;
  return j;
}

StoredEvent StoredEventFromJson(const nlohmann::json& j) {
  StoredEvent s;
  s.seq = j.at("seq").get<uint64_t>();
  s.key_id = j.at("key_id").get<std::string>();
  s.received_at = j.at("received_at_us").get<Micros>();
  s.event = EventFromJson(j);
  if (auto it = j.find("redacted"); it != j.end()) s.redacted = it->get<bool>();
  return s;
}

void MergeRecipient(Recipient& base, const Recipient& update) {
  if (base.id.empty()) base.id = update.id;
  if (update.email) base.email = update.email;
  if (update.phone) base.phone = update.phone;
  if (update.locale) base.locale = update.locale;
  if (update.timezone) base.timezone = update.timezone;
  if (update.channels) base.channels = update.channels;
}

std::string EventFingerprint(const Event& e) {
  // nlohmann::json objects keep keys sorted, so dump() is canonical.
  return Sha256Hex(EventToJson(e).dump());
}

}  // namespace herald
