#include "connectors/webhook/webhook_connector.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "connectors/http/http_util.h"
#include "connectors/webhook/webhook_signature.h"

namespace herald {

namespace {

constexpr std::string_view kType = "webhook";
constexpr size_t kMinSecretBytes = 16;

const SystemClock& FallbackClock() {
  static const SystemClock kClock;
  return kClock;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Headers herald sets itself, or that would change the framing of the request.
bool IsReservedHeader(std::string_view name) {
  static const char* const kReserved[] = {
      "content-type", "content-length",  "host",    "idempotency-key", "transfer-encoding",
      "connection",   "keep-alive",      "upgrade", "expect",          "te",
      "trailer",      "proxy-connection"};
  std::string lower = Lower(name);
  if (lower.rfind("x-herald-", 0) == 0) return true;
  return std::find(std::begin(kReserved), std::end(kReserved), lower) != std::end(kReserved);
}

// A header name for an error message: printable, short, never CR/LF.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

class WebhookConnector final : public Connector {
 public:
  WebhookConnector(std::string name, WebhookOptions options, const Clock* clock)
      : name_(std::move(name)),
        options_(std::move(options)),
        clock_(clock != nullptr ? clock : &FallbackClock()),
        client_(options_.http) {
    for (const auto& [k, v] : options_.headers) static_headers_.push_back(k + ": " + v);
  }

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return kType; }
  std::vector<Channel> channels() const override { return options_.channels; }
  int max_concurrency() const override { return options_.http.concurrency; }

  SendOutcome Send(const OutboundMessage& message) override {
    using Kind = SendOutcome::Kind;
    if (std::find(options_.channels.begin(), options_.channels.end(), message.channel) ==
        options_.channels.end()) {
      return SendOutcome::Failure(
          Kind::kPermanent, "channel",
          "this webhook connector does not carry " + std::string(ChannelName(message.channel)));
    }
    if (message.to.empty()) {
      return SendOutcome::Failure(Kind::kPermanent, "no_recipient", "the message has no recipient");
    }
    if (message.id.empty() || message.id.size() > 256 || !http::IsSafeHeaderValue(message.id)) {
      return SendOutcome::Failure(Kind::kPermanent, "bad_id",
                                  "the message id cannot be an Idempotency-Key header");
    }
    Result<std::string> body = WebhookBody(message);
    if (!body.ok()) {
      return SendOutcome::Failure(Kind::kPermanent, "invalid_message", body.status().message());
    }
    int64_t timestamp = clock_->NowMicros() / 1'000'000;

    http::HttpRequest request;
    request.url = options_.url;
    request.body = *body;
    request.content_type = "application/json";
    request.headers.reserve(4 + static_headers_.size());
    request.headers.push_back("Accept: application/json");
    request.headers.push_back("X-Herald-Timestamp: " + std::to_string(timestamp));
    request.headers.push_back("X-Herald-Signature: " +
                              WebhookSignature(options_.secret, timestamp, *body));
    request.headers.push_back("Idempotency-Key: " + message.id);
    request.headers.insert(request.headers.end(), static_headers_.begin(), static_headers_.end());
    http::HttpResponse reply = client_.Post(request);
    return ClassifyWebhookReply(reply, message.id, clock_->NowMicros());
  }

  bool VerifyCallback(const CallbackRequest& request) const override {
    return VerifyWebhookCallback(options_.secret, request, clock_->NowMicros());
  }

 private:
  std::string name_;
  WebhookOptions options_;
  const Clock* clock_;
  std::vector<std::string> static_headers_;
  http::HttpClient client_;
};

std::optional<std::string> JsonText(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return std::nullopt;
}

}  // namespace

Result<WebhookOptions> ParseWebhookOptions(const ConnectorConfig& config,
                                           const http::EnvLookup& env) {
  http::OptionReader r(config);
  WebhookOptions o;
  if (auto url = r.String("url")) {
    if (auto problem = http::CheckHttpUrl(*url, /*allow_query=*/true)) {
      r.Error("url", *problem);
    } else {
      o.url = *url;
    }
  } else if (!r.Has("url")) {
    r.Missing("url");
  }
  if (auto secret = r.Secret("secret", "secret_env", env)) {
    if (secret->size() < kMinSecretBytes) {
      r.Error(r.Has("secret_env") ? "secret_env" : "secret",
              "the secret must be at least " + std::to_string(kMinSecretBytes) + " bytes");
    } else {
      o.secret = *secret;
    }
  }
  if (const nlohmann::json* channels = r.Raw("channels")) {
    std::vector<Channel> list;
    bool ok = channels->is_array() && !channels->empty();
    if (!ok) r.Error("channels", "must be a non-empty list of email, sms");
    for (size_t i = 0; ok && i < channels->size(); ++i) {
      const nlohmann::json& item = (*channels)[i];
      Channel channel = Channel::kEmail;
      bool known = false;
      if (item.is_string()) {
        if (auto c = ChannelFromName(item.get_ref<const std::string&>())) {
          channel = *c;
          known = true;
        }
      }
      std::string field = "channels[" + std::to_string(i) + "]";
      if (!known) {
        r.Error(field, "must be email or sms");
        ok = false;
      } else if (std::find(list.begin(), list.end(), channel) != list.end()) {
        r.Error(field, "is listed twice");
        ok = false;
      } else {
        list.push_back(channel);
      }
    }
    if (ok) o.channels = std::move(list);
  }
  if (const nlohmann::json* headers = r.Raw("headers")) {
    if (!headers->is_object()) {
      r.Error("headers", "must be a mapping of header names to values");
    } else {
      std::map<std::string, std::string> seen;  // lower-case name -> name
      for (auto it = headers->begin(); it != headers->end(); ++it) {
        const std::string& name = it.key();
        std::string field = "headers." + Printable(name);
        if (!http::IsHttpToken(name)) {
          r.Error(field, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)");
        } else if (IsReservedHeader(name)) {
          r.Error(field, "is set by herald and cannot be configured");
        } else if (!it->is_string()) {
          r.Error(field, "must be a string (quote numbers)");
        } else if (!http::IsSafeHeaderValue(it->get_ref<const std::string&>())) {
          r.Error(field,
                  "value must not contain CR, LF or other control characters, nor start or end "
                  "with whitespace");
        } else if (!seen.emplace(Lower(name), name).second) {
          r.Error(field, "is given twice (header names are case-insensitive)");
        } else {
          o.headers.emplace_back(name, it->get<std::string>());
        }
      }
    }
  }
  o.http = http::ReadHttpClientOptions(r);
  Status s = r.Finish();
  if (!s.ok()) return s;
  return o;
}

Result<std::unique_ptr<Connector>> MakeWebhookConnector(const ConnectorConfig& config,
                                                        const ConnectorEnv& env,
                                                        const http::EnvLookup& lookup) {
  Result<WebhookOptions> options = ParseWebhookOptions(config, lookup);
  if (!options.ok()) return options.status();
  return std::unique_ptr<Connector>(
      new WebhookConnector(config.name, std::move(options).value(), env.clock));
}

Result<std::unique_ptr<Connector>> CreateWebhookConnector(const ConnectorConfig& config,
                                                          const ConnectorEnv& env) {
  return MakeWebhookConnector(config, env, http::ProcessEnv());
}

bool VerifyWebhookCallback(std::string_view secret, const CallbackRequest& request, Micros now) {
  const std::string* timestamp = nullptr;
  const std::string* signature = nullptr;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = Lower(name);
    const std::string** slot = lower == "x-herald-timestamp"   ? &timestamp
                               : lower == "x-herald-signature" ? &signature
                                                               : nullptr;
    if (slot == nullptr) continue;
    if (*slot != nullptr) return false;  // given twice: ambiguous
    *slot = &value;
  }
  return timestamp != nullptr && signature != nullptr &&
         VerifyWebhookSignature(secret, *timestamp, request.body, *signature, now / 1'000'000);
}

Result<std::string> WebhookBody(const OutboundMessage& message) {
  nlohmann::ordered_json j;
  j["id"] = message.id;
  j["channel"] = ChannelName(message.channel);
  j["to"] = message.to;
  if (message.channel == Channel::kSms) {
    j["sms_text"] = message.sms_text;
  } else {
    j["mime"] = message.mime;
    if (!message.envelope_from.empty()) j["envelope_from"] = message.envelope_from;
  }
  j["metadata"] = message.metadata.is_object() ? nlohmann::ordered_json(message.metadata)
                                               : nlohmann::ordered_json::object();
  if (!message.status_callback_url.empty()) j["status_callback_url"] = message.status_callback_url;
  try {
    return j.dump();  // strict: ill-formed UTF-8 throws
  } catch (const nlohmann::json::exception&) {
    return Status::InvalidArgument("the message is not valid UTF-8");
  }
}

SendOutcome ClassifyWebhookReply(const http::HttpResponse& reply, const std::string& message_id,
                                 Micros now) {
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
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) j = nlohmann::json::object();
  std::optional<std::string> reply_status = JsonText(j, "status");
  bool suppressed = status == 410 || (status < 500 && reply_status == "suppressed");

  if (status >= 200 && status < 300 && !suppressed) {
    std::optional<std::string> id = JsonText(j, "id");
    std::string provider_id = id ? http::SanitizeGatewayId(*id, 128) : std::string();
    return SendOutcome::Accepted(provider_id.empty() ? message_id : provider_id);
  }
  std::string code;
  if (auto c = JsonText(j, "code")) code = http::SanitizeGatewayText(*c, 32);
  if (code.empty()) code = std::to_string(status);
  std::string reason = "HTTP " + std::to_string(status);
  for (const char* key : {"reason", "error", "message"}) {
    if (auto text = JsonText(j, key)) {
      std::string clean = http::SanitizeGatewayText(*text);
      if (!clean.empty()) {
        reason += ": " + clean;
        break;
      }
    }
  }
  Kind kind = Kind::kPermanent;
  if (suppressed) {
    kind = Kind::kSuppress;
  } else if (status == 401 || status == 408 || status == 429 || status >= 500 ||
             (status >= 300 && status < 400) || status < 200) {
    kind = Kind::kTemporary;
  }
  SendOutcome out = SendOutcome::Failure(kind, std::move(code), std::move(reason));
  if (kind == Kind::kTemporary) out.retry_after = http::ParseRetryAfter(reply.retry_after, now);
  return out;
}

}  // namespace herald
