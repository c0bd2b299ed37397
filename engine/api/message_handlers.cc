// Message handlers: POST /v1/receipts/{connector} (gateway delivery receipts),
// GET /v1/messages/{id} and GET /v1/cases/{case_id}/messages.
//
// Receipts come from gateways, which cannot send herald's API keys: a receipt is taken
// when its connector vouches for it (ServerDeps::verify_receipt: Twilio's signature) or
// when it carries an API key with the ingest scope. Two forms:
// - Twilio's status callback (application/x-www-form-urlencoded): MessageSid,
//   MessageStatus (delivered; undelivered or failed: bounced; the rest is progress),
//   ErrorCode (21610, the recipient texted STOP: suppressed);
// - herald's generic JSON: {"message_id"?, "provider_id"?, "status", "code"?, "reason"?}
//   with status delivered | bounced | failed | complained | suppressed.
// Unknown messages and repeats answer 200 and change nothing, so a gateway never retries
// them forever; malformed bodies answer 400 naming the field.
#include <string>

#include "engine/api/http_server_impl.h"
#include "engine/core/time_format.h"

namespace herald {
namespace {

nlohmann::json TimeOrNull(Micros t) {
  return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(t));
}

// Keeps enough of an address for a caseworker to recognise it, not to use it:
// "m***@example.org", "+1*******0143".
std::string MaskAddress(const std::string& to) {
  if (size_t at = to.find('@'); at != std::string::npos) {
    return (at > 0 ? to.substr(0, 1) : "") + "***" + to.substr(at);
  }
  if (to.size() <= 6) return std::string(to.size(), '*');
  return to.substr(0, 2) + std::string(to.size() - 6, '*') + to.substr(to.size() - 4);
}

nlohmann::json MessageJson(const Message& m, bool with_history) {
  nlohmann::json j = {
      {"id", m.id},
      {"case_id", m.plan.case_id},
      {"campaign", m.plan.campaign},
      {"rule", m.plan.rule},
      {"occurrence", m.occurrence},
      {"template", m.template_id},
      {"locale", m.locale},
      {"channel", ChannelName(m.channel)},
      {"to", m.to.empty() ? nlohmann::json(nullptr) : nlohmann::json(MaskAddress(m.to))},
      {"status", MessageStatusName(m.status)},
      {"failure", m.failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.failure)},
      {"reason", m.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.reason)},
      {"attempts", m.attempts},
      {"connector", m.connector.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.connector)},
      {"provider_id",
       m.provider_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.provider_id)},
      {"due", TimeOrNull(m.due)},
      {"created_at", TimeOrNull(m.created_at)},
      {"sent_at", TimeOrNull(m.sent_at)},
      {"updated_at", TimeOrNull(m.updated_at)},
      {"next_attempt_at",
       IsSettled(m.status) ? nlohmann::json(nullptr) : TimeOrNull(m.next_attempt_at)}};
  if (m.channel == Channel::kSms) {
    j["segments"] = m.sms_segments;
    j["encoding"] =
        m.sms_encoding.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.sms_encoding);
  }
  if (with_history) {
    nlohmann::json history = nlohmann::json::array();
    for (const MessageEvent& e : m.history) {
      nlohmann::json h = {{"at", FormatRfc3339(e.at)}, {"status", MessageStatusName(e.status)}};
      if (!e.detail.empty()) h["detail"] = e.detail;
      if (!e.connector.empty()) h["connector"] = e.connector;
      if (e.attempt > 0) h["attempt"] = e.attempt;
      history.push_back(std::move(h));
    }
    j["history"] = std::move(history);
  }
  return j;
}

void SendMessagesNotRunning(httplib::Response& res) {
  SendError(res, 503, "messages_not_running", "message dispatch is not running");
}

bool IsFormBody(const httplib::Request& req) {
  return req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
}

// Twilio's MessageStatus -> a Receipt status ("" for progress).
std::string TwilioStatus(const std::string& status, const std::string& error_code) {
  if (status == "delivered" || status == "read") return "delivered";
  if (status == "undelivered" || status == "failed") {
    return error_code == "21610" ? "suppressed" : "bounced";
  }
  return "";
}

}  // namespace

void HttpServer::Impl::PostReceipt(const httplib::Request& req, httplib::Response& res) {
  if (!deps.apply_receipt || !deps.has_connector) return SendMessagesNotRunning(res);
  const std::string connector = req.matches[1];
  if (!deps.has_connector(connector)) {
    // Only a key holder learns which names exist (a gateway's own signature needs one).
    if (!Authorize(req, res, Scope::kIngest)) return;
    return SendError(res, 404, "connector_not_found", "no connector of that name",
                     {{"connector", connector}});
  }
  const bool form = IsFormBody(req);
  httplib::Params form_params;
  if (form) httplib::detail::parse_query_text(req.body, form_params);
  const CallbackRequest callback = GatewayRequest(deps, req, form_params);
  if (!deps.verify_receipt || !deps.verify_receipt(connector, callback)) {
    if (!Authorize(req, res, Scope::kIngest)) return;
  }

  Receipt receipt;
  receipt.connector = connector;
  receipt.message_id = req.get_param_value("m");
  if (form) {
    auto field = [&](const char* name) {
      auto it = form_params.find(name);
      return it == form_params.end() ? std::string() : it->second;
    };
    receipt.provider_id = field("MessageSid");
    const std::string status = field("MessageStatus");
    if (receipt.provider_id.empty() || status.empty()) {
      return SendError(res, 400, "invalid_receipt",
                       "a status callback needs MessageSid and MessageStatus");
    }
    receipt.code = field("ErrorCode");
    receipt.status = TwilioStatus(status, receipt.code);
    if (receipt.status.empty()) return SendJson(res, 200, {{"found", nullptr}, {"applied", false}});
  } else {
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return SendError(res, 400, "invalid_json", "the body must be a JSON object");
    }
    static const char* const kKnown[] = {"message_id", "provider_id", "status", "code", "reason"};
    for (const auto& [k, v] : body.items()) {
      if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
        return SendError(res, 400, "invalid_receipt", "unknown field", {{"field", k}});
      }
      if (!v.is_string()) {
        return SendError(res, 400, "invalid_receipt", "expected a string", {{"field", k}});
      }
    }
    receipt.message_id = body.value("message_id", receipt.message_id);
    receipt.provider_id = body.value("provider_id", "");
    receipt.status = body.value("status", "");
    receipt.code = body.value("code", "");
    receipt.reason = body.value("reason", "");
    static const char* const kStatuses[] = {"delivered", "bounced", "failed", "complained",
                                            "suppressed"};
    if (std::find(std::begin(kStatuses), std::end(kStatuses), receipt.status) ==
        std::end(kStatuses)) {
      return SendError(res, 400, "invalid_receipt",
                       "status must be delivered, bounced, failed, complained or suppressed",
                       {{"field", "status"}});
    }
    if (receipt.message_id.empty() && receipt.provider_id.empty()) {
      return SendError(res, 400, "invalid_receipt", "give message_id or provider_id",
                       {{"field", "message_id"}});
    }
  }
  bool found = false;
  if (Status s = deps.apply_receipt(receipt, &found); !s.ok()) return SendStoreFailure(res, s);
  SendJson(res, 200, {{"found", found}, {"applied", found}});
}

void HttpServer::Impl::GetMessage(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  if (deps.messages == nullptr) return SendMessagesNotRunning(res);
  const std::string id = req.matches[1];
  Result<std::optional<Message>> m = deps.messages->Get(id);
  if (!m.ok()) return SendStoreFailure(res, m.status());
  if (!*m) return SendError(res, 404, "message_not_found", "no such message", {{"id", id}});
  SendJson(res, 200, MessageJson(**m, /*with_history=*/true));
}

void HttpServer::Impl::GetCaseMessages(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  if (deps.messages == nullptr) return SendMessagesNotRunning(res);
  const std::string case_id = req.matches[1];
  Result<std::vector<std::string>> ids = deps.messages->MessagesForCase(case_id);
  if (!ids.ok()) return SendStoreFailure(res, ids.status());
  Result<std::vector<std::optional<Message>>> found = deps.messages->GetMany(*ids);
  if (!found.ok()) return SendStoreFailure(res, found.status());
  std::vector<Message> list;
  for (std::optional<Message>& m : *found) {
    if (m) list.push_back(std::move(*m));
  }
  std::sort(list.begin(), list.end(), [](const Message& a, const Message& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const Message& m : list) out.push_back(MessageJson(m, /*with_history=*/false));
  SendJson(res, 200, {{"case_id", case_id}, {"messages", std::move(out)}});
}

}  // namespace herald
