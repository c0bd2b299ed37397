#include "connectors/twilio/twilio_connector.h"

#include <cctype>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/http/http_util.h"
#include "connectors/twilio/twilio_signature.h"
#include "engine/core/validate.h"

namespace herald {

namespace {

constexpr std::string_view kType = "twilio";

bool IsSid(std::string_view s, std::string_view prefix) {
  if (s.size() != prefix.size() + 32 || s.substr(0, prefix.size()) != prefix) return false;
  for (char c : s.substr(prefix.size())) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Header names are lower-case in a CallbackRequest; compared without case all the same.
bool IsHeader(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
  }
  return true;
}

const SystemClock& FallbackClock() {
  static const SystemClock kClock;
  return kClock;
}

class TwilioConnector final : public Connector {
 public:
  TwilioConnector(std::string name, TwilioOptions options, const Clock* clock)
      : name_(std::move(name)),
        options_(std::move(options)),
        clock_(clock != nullptr ? clock : &FallbackClock()),
        url_(options_.base_url + "/2010-04-01/Accounts/" + options_.account_sid + "/Messages.json"),
        client_(options_.http) {}

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return kType; }
  std::vector<Channel> channels() const override { return {Channel::kSms}; }
  int max_concurrency() const override { return options_.http.concurrency; }

  SendOutcome Send(const OutboundMessage& message) override {
    if (message.channel != Channel::kSms) {
      return SendOutcome::Failure(SendOutcome::Kind::kPermanent, "channel",
                                  "the twilio connector carries sms only");
    }
    if (message.to.empty()) {
      return SendOutcome::Failure(SendOutcome::Kind::kPermanent, "no_recipient",
                                  "the message has no phone number");
    }
    if (message.sms_text.empty()) {
      return SendOutcome::Failure(SendOutcome::Kind::kPermanent, "empty_body",
                                  "the message has no text");
    }
    std::vector<std::pair<std::string, std::string>> form;
    form.reserve(5);
    form.emplace_back("To", message.to);
    if (!options_.from.empty()) form.emplace_back("From", options_.from);
    if (!options_.messaging_service_sid.empty()) {
      form.emplace_back("MessagingServiceSid", options_.messaging_service_sid);
    }
    form.emplace_back("Body", message.sms_text);
    if (!message.status_callback_url.empty()) {
      form.emplace_back("StatusCallback", message.status_callback_url);
    }
    std::string body = http::FormEncode(form);

    http::HttpRequest request;
    request.url = url_;
    request.body = body;
    request.content_type = "application/x-www-form-urlencoded";
    request.headers = {"Accept: application/json"};
    request.basic_user = options_.account_sid;
    request.basic_password = options_.auth_token;
    http::HttpResponse reply = client_.Post(request);
    return ClassifyTwilioReply(reply, clock_->NowMicros());
  }

  bool VerifyCallback(const CallbackRequest& request) const override {
    return VerifyTwilioCallback(options_.auth_token, request);
  }

 private:
  std::string name_;
  TwilioOptions options_;
  const Clock* clock_;
  std::string url_;
  http::HttpClient client_;
};

// The top-level "sid" of a JSON object, read without building the document: a reply to
// a send has some thirty fields and this runs for every message. Empty when the body is
// not a JSON object or has no string "sid".
class SidReader final : public nlohmann::json::json_sax_t {
 public:
  using json = nlohmann::json;

  static std::string Read(std::string_view body) {
    SidReader r;
    if (!json::sax_parse(body, &r, json::input_format_t::json, /*strict=*/true)) return "";
    return r.object_ ? r.sid_ : "";
  }

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(json::number_integer_t) override { return Value(); }
  bool number_unsigned(json::number_unsigned_t) override { return Value(); }
  bool number_float(json::number_float_t, const json::string_t&) override { return Value(); }
  bool binary(json::binary_t&) override { return Value(); }
  bool string(json::string_t& s) override {
    if (depth_ == 1 && at_sid_) sid_ = s;
    return Value();
  }
  bool start_object(std::size_t) override { return Open(true); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(json::string_t& k) override {
    at_sid_ = depth_ == 1 && k == "sid";
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value() {
    at_sid_ = false;
    return true;
  }
  bool Open(bool object) {
    if (depth_ == 0) object_ = object;
    ++depth_;
    return Value();
  }
  bool Close() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  bool object_ = false;
  bool at_sid_ = false;
  std::string sid_;
};

// Twilio's error body: {"code": 21211, "message": "...", "more_info": "...", "status": 400}.
struct TwilioError {
  std::string code;
  std::string message;
};

TwilioError ParseError(std::string_view body) {
  TwilioError e;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return e;
  auto code = j.find("code");
  if (code != j.end()) {
    if (code->is_number_integer()) {
      e.code = std::to_string(code->get<int64_t>());
    } else if (code->is_string()) {
      e.code = http::SanitizeGatewayText(code->get<std::string>(), 16);
    }
  }
  auto msg = j.find("message");
  if (msg != j.end() && msg->is_string()) e.message = msg->get<std::string>();
  return e;
}

}  // namespace

bool IsAlphanumericSenderId(std::string_view s) {
  if (s.empty() || s.size() > 11 || s.front() == ' ' || s.back() == ' ') return false;
  bool letter = false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalpha(u)) {
      letter = true;
    } else if (!std::isdigit(u) && c != ' ') {
      return false;
    }
  }
  return letter;
}

Result<TwilioOptions> ParseTwilioOptions(const ConnectorConfig& config,
                                         const http::EnvLookup& env) {
  http::OptionReader r(config);
  TwilioOptions o;
  if (auto sid = r.String("account_sid")) {
    if (IsSid(*sid, "AC")) {
      o.account_sid = *sid;
    } else {
      r.Error("account_sid", "must be \"AC\" followed by 32 hexadecimal digits");
    }
  } else if (!r.Has("account_sid")) {
    r.Missing("account_sid");
  }
  if (auto token = r.Secret("auth_token", "auth_token_env", env)) o.auth_token = *token;

  bool has_from = r.Has("from");
  bool has_service = r.Has("messaging_service_sid");
  if (!has_from && !has_service) {
    r.Error("from", "required (or messaging_service_sid)");
  }
  if (auto from = r.String("from")) {
    if (IsE164Phone(*from) || IsAlphanumericSenderId(*from)) {
      o.from = *from;
    } else {
      r.Error("from",
              "must be an E.164 number (+14155550100) or an alphanumeric sender id (1-11 "
              "letters, digits and spaces, with a letter)");
    }
  }
  if (auto service = r.String("messaging_service_sid")) {
    if (IsSid(*service, "MG")) {
      o.messaging_service_sid = *service;
    } else {
      r.Error("messaging_service_sid", "must be \"MG\" followed by 32 hexadecimal digits");
    }
  }
  if (auto url = r.String("base_url")) {
    if (auto problem = http::CheckHttpUrl(*url, /*allow_query=*/false)) {
      r.Error("base_url", *problem);
    } else {
      std::string u = *url;
      while (!u.empty() && u.back() == '/') u.pop_back();
      o.base_url = u;
    }
  }
  o.http = http::ReadHttpClientOptions(r);
  Status s = r.Finish();
  if (!s.ok()) return s;
  return o;
}

Result<std::unique_ptr<Connector>> MakeTwilioConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env,
                                                       const http::EnvLookup& lookup) {
  Result<TwilioOptions> options = ParseTwilioOptions(config, lookup);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Connector>(
      new TwilioConnector(config.name, std::move(options).value(), env.clock));
}

Result<std::unique_ptr<Connector>> CreateTwilioConnector(const ConnectorConfig& config,
                                                         const ConnectorEnv& env) {
  return MakeTwilioConnector(config, env, http::ProcessEnv());
}

bool VerifyTwilioCallback(std::string_view auth_token, const CallbackRequest& request) {
  const std::string* signature = nullptr;
  for (const auto& [name, value] : request.headers) {
    if (!IsHeader(name, "x-twilio-signature")) continue;
    if (signature != nullptr) return false;  // two signatures: which one is Twilio's?
    signature = &value;
  }
  return signature != nullptr &&
         VerifyTwilioSignature(auth_token, request.url, request.form, *signature);
}

SendOutcome ClassifyTwilioReply(const http::HttpResponse& reply, Micros now) {
  using Kind = SendOutcome::Kind;
  if (reply.transport == http::HttpResponse::Transport::kTimeout) {
    return SendOutcome::Failure(Kind::kTemporary, "timeout",
                                http::SanitizeGatewayText(reply.error));
  }
  if (!reply.ok()) {
    return SendOutcome::Failure(Kind::kTemporary, "network",
                                http::SanitizeGatewayText(reply.error));
  }
  const long status = reply.status;
  if (status >= 200 && status < 300) {
    const std::string sid = SidReader::Read(reply.body);
    if (!sid.empty()) return SendOutcome::Accepted(http::SanitizeGatewayId(sid, 64));
    return SendOutcome::Failure(
        Kind::kTemporary, "invalid_reply",
        "HTTP " + std::to_string(status) + " without a message sid: is base_url a Twilio API?");
  }

  TwilioError error = ParseError(reply.body);
  std::string code = error.code.empty() ? std::to_string(status) : error.code;
  std::string reason = "HTTP " + std::to_string(status);
  if (!error.code.empty()) reason += ", Twilio " + error.code;
  std::string text = http::SanitizeGatewayText(error.message);
  if (!text.empty()) reason += ": " + text;

  Kind kind = Kind::kPermanent;
  if (error.code == "21610") {
    kind = Kind::kSuppress;
  } else if (status == 401 || status == 408 || status == 429 || status >= 500 || status < 200) {
    kind = Kind::kTemporary;
  } else if (status >= 300 && status < 400) {
    kind = Kind::kTemporary;  // redirects are not followed: base_url needs fixing
  }
  SendOutcome out = SendOutcome::Failure(kind, std::move(code), std::move(reason));
  if (kind == Kind::kTemporary) out.retry_after = http::ParseRetryAfter(reply.retry_after, now);
  return out;
}

}  // namespace herald
