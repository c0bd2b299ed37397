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

namespace {

// Flat records: LP strings, BE numbers, in a fixed order.
void PutString(std::string* out, std::string_view s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
  out->append(len, 4);
  out->append(s);
}

void PutNumber(std::string* out, int64_t v) {
  AppendBigEndian64(out, static_cast<uint64_t>(v));
}

// Reads fields from the front of a value; the first short or malformed field sets ok_
// to false and every later read returns a default.
class FieldReader {
 public:
  explicit FieldReader(std::string_view in) : in_(in) {}

  std::string_view String() {
    if (!ok_ || in_.size() < 4) return Fail();
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data());
    const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
    if (in_.size() - 4 < n) return Fail();
    std::string_view s = in_.substr(4, n);
    in_.remove_prefix(4 + n);
    return s;
  }
  int64_t Number() {
    uint64_t v = 0;
    if (!ok_ || !ConsumeBigEndian64(&in_, &v)) {
      Fail();
      return 0;
    }
    return static_cast<int64_t>(v);
  }
  MessageStatus StatusField() {
    std::optional<MessageStatus> s = MessageStatusFromName(String());
    if (!s) Fail();
    return s.value_or(MessageStatus::kQueued);
  }
  // True when every read succeeded and the whole value was read.
  bool Done() const { return ok_ && in_.empty(); }

 private:
  std::string_view Fail() {
    ok_ = false;
    return {};
  }

  std::string_view in_;
  bool ok_ = true;
};

bool HasVersion(std::string_view value, uint8_t version) {
  return !value.empty() && static_cast<uint8_t>(value[0]) == version;
}

}  // namespace

std::string EncodeMessageState(const Message& m) {
  size_t size = 256 + m.id.size() + m.intent_key.size() + m.reason.size();
  for (const MessageEvent& e : m.history) size += 32 + e.detail.size() + e.connector.size();
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(kMessageStateVersion));
  PutString(&out, m.id);
  PutString(&out, m.intent_key);
  PutString(&out, m.plan.campaign);
  PutString(&out, m.plan.rule);
  PutString(&out, m.plan.case_id);
  PutNumber(&out, m.occurrence);
  PutString(&out, m.recipient_id);
  PutString(&out, m.template_id);
  PutString(&out, m.locale);
  PutString(&out, ChannelName(m.channel));
  PutString(&out, m.to);
  PutString(&out, MessageStatusName(m.status));
  PutString(&out, m.failure);
  PutString(&out, m.reason);
  PutNumber(&out, m.attempts);
  PutNumber(&out, m.due);
  PutNumber(&out, m.created_at);
  PutNumber(&out, m.next_attempt_at);
  PutNumber(&out, m.updated_at);
  PutNumber(&out, m.sent_at);
  PutString(&out, m.connector);
  PutString(&out, m.provider_id);
  PutNumber(&out, static_cast<int64_t>(m.history.size()));
  for (const MessageEvent& e : m.history) {
    PutNumber(&out, e.at);
    PutString(&out, MessageStatusName(e.status));
    PutString(&out, e.detail);
    PutString(&out, e.connector);
    PutNumber(&out, e.attempt);
  }
  return out;
}

Result<Message> DecodeMessageState(std::string_view value) {
  if (!HasVersion(value, kMessageStateVersion)) {
    return Status::Corruption("message store: a message is empty or has an unknown version");
  }
  FieldReader r(value.substr(1));
  Message m;
  m.id = r.String();
  m.intent_key = r.String();
  m.plan.campaign = r.String();
  m.plan.rule = r.String();
  m.plan.case_id = r.String();
  m.occurrence = static_cast<int>(r.Number());
  m.recipient_id = r.String();
  m.template_id = r.String();
  m.locale = r.String();
  std::optional<Channel> channel = ChannelFromName(r.String());
  m.channel = channel.value_or(Channel::kEmail);
  m.to = r.String();
  m.status = r.StatusField();
  m.failure = r.String();
  m.reason = r.String();
  m.attempts = static_cast<int>(r.Number());
  m.due = r.Number();
  m.created_at = r.Number();
  m.next_attempt_at = r.Number();
  m.updated_at = r.Number();
  m.sent_at = r.Number();
  m.connector = r.String();
  m.provider_id = r.String();
  const int64_t events = r.Number();
  // Each event takes at least 8 + 4 + 4 + 4 + 8 bytes: a count beyond that is damage.
  if (events < 0 || static_cast<uint64_t>(events) > value.size() / 28) {
    return Status::Corruption("message store: malformed message history");
  }
  m.history.reserve(static_cast<size_t>(events));
  for (int64_t i = 0; i < events; ++i) {
    MessageEvent e;
    e.at = r.Number();
    e.status = r.StatusField();
    e.detail = r.String();
    e.connector = r.String();
    e.attempt = static_cast<int>(r.Number());
    m.history.push_back(std::move(e));
  }
  if (!channel || !r.Done()) return Status::Corruption("message store: malformed message");
  return m;
}

std::string EncodeMessageBody(const MessageBody& b) {
  std::string out;
  out.reserve(32 + b.subject.size() + b.mime.size() + b.text.size() + b.sms_text.size() +
              b.sms_encoding.size());
  out.push_back(static_cast<char>(kMessageBodyVersion));
  PutString(&out, b.subject);
  PutString(&out, b.mime);
  PutString(&out, b.text);
  PutString(&out, b.sms_text);
  PutString(&out, b.sms_encoding);
  PutNumber(&out, b.sms_segments);
  return out;
}

Result<MessageBody> DecodeMessageBody(std::string_view value) {
  if (!HasVersion(value, kMessageBodyVersion)) {
    return Status::Corruption("message store: a body is empty or has an unknown version");
  }
  FieldReader r(value.substr(1));
  MessageBody b;
  b.subject = r.String();
  b.mime = r.String();
  b.text = r.String();
  b.sms_text = r.String();
  b.sms_encoding = r.String();
  b.sms_segments = static_cast<int>(r.Number());
  if (!r.Done()) return Status::Corruption("message store: malformed message body");
  return b;
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
