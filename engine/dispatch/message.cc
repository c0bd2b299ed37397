#include "engine/dispatch/message.h"

#include <array>
#include <utility>

namespace herald {
namespace {

constexpr std::array<std::pair<MessageStatus, std::string_view>, 8> kStatusNames = {{
    {MessageStatus::kQueued, "queued"},
    {MessageStatus::kSending, "sending"},
    {MessageStatus::kSent, "sent"},
    {MessageStatus::kDelivered, "delivered"},
    {MessageStatus::kBounced, "bounced"},
    {MessageStatus::kFailed, "failed"},
    {MessageStatus::kSuppressed, "suppressed"},
    {MessageStatus::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view MessageStatusName(MessageStatus s) {
  for (const auto& [status, name] : kStatusNames) {
    if (status == s) return name;
  }
  return "";
}

std::optional<MessageStatus> MessageStatusFromName(std::string_view name) {
  for (const auto& [status, n] : kStatusNames) {
    if (n == name) return status;
  }
  return std::nullopt;
}

bool IsSettled(MessageStatus s) {
  return s != MessageStatus::kQueued && s != MessageStatus::kSending;
}

nlohmann::json MessageEventToJson(const MessageEvent& e) {
  nlohmann::json j = {{"at", e.at}, {"status", MessageStatusName(e.status)}};
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.connector.empty()) j["connector"] = e.connector;
  if (e.attempt != 0) j["attempt"] = e.attempt;
  return j;
}

MessageBody BodyOf(const Message& m) {
  return MessageBody{m.subject, m.mime, m.text, m.sms_text, m.sms_encoding, m.sms_segments};
}

void SetBody(Message* m, MessageBody body) {
  m->subject = std::move(body.subject);
  m->mime = std::move(body.mime);
  m->text = std::move(body.text);
  m->sms_text = std::move(body.sms_text);
  m->sms_encoding = std::move(body.sms_encoding);
  m->sms_segments = body.sms_segments;
}

void ClearBody(Message* m) {
  SetBody(m, MessageBody{});
}

}  // namespace herald
