#include "connectors/callback/callback_poster.h"

#include <utility>

#include "connectors/http/http_util.h"
#include "connectors/webhook/webhook_signature.h"

namespace herald {
namespace {

constexpr size_t kMinSecretBytes = 16;

}  // namespace

CallbackPoster::CallbackPoster(CallbackPosterOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), client_(options_.http) {}

Result<std::unique_ptr<CallbackPoster>> CallbackPoster::Create(CallbackPosterOptions options,
                                                               const Clock& clock) {
  if (auto problem = http::CheckHttpUrl(options.url, /*allow_query=*/true)) {
    return Status::InvalidArgument("status_callbacks.url: " + *problem);
  }
  if (options.secret.size() < kMinSecretBytes) {
    return Status::InvalidArgument("status_callbacks.secret_env: the secret must be at least " +
                                   std::to_string(kMinSecretBytes) + " bytes");
  }
  return std::unique_ptr<CallbackPoster>(new CallbackPoster(std::move(options), clock));
}

Result<std::unique_ptr<CallbackPoster>> CallbackPoster::FromConfig(
    const StatusCallbackConfig& config, const Clock& clock) {
  CallbackPosterOptions options;
  options.url = config.url;
  options.secret = config.secret;
  return Create(std::move(options), clock);
}

CallbackPostResult CallbackPoster::Post(const std::string& body,
                                        const std::string& idempotency_key) {
  if (idempotency_key.empty() || idempotency_key.size() > 256 ||
      !http::IsSafeHeaderValue(idempotency_key)) {
    CallbackPostResult r;
    r.kind = CallbackPostResult::Kind::kPermanent;
    r.detail = "the idempotency key cannot be a header";
    return r;
  }
  const int64_t timestamp = clock_.NowMicros() / 1'000'000;
  http::HttpRequest request;
  request.url = options_.url;
  request.body = body;
  request.content_type = "application/json";
  request.headers = {"Accept: application/json", "X-Herald-Timestamp: " + std::to_string(timestamp),
                     "X-Herald-Signature: " + WebhookSignature(options_.secret, timestamp, body),
                     "Idempotency-Key: " + idempotency_key};
  return ClassifyCallbackReply(client_.Post(request), clock_.NowMicros());
}

CallbackPostResult ClassifyCallbackReply(const http::HttpResponse& reply, Micros now) {
  CallbackPostResult r;
  if (!reply.ok()) {
    r.kind = CallbackPostResult::Kind::kTemporary;
    r.no_reply = true;
    r.detail =
        (reply.transport == http::HttpResponse::Transport::kTimeout ? "timeout: " : "network: ") +
        http::SanitizeGatewayText(reply.error);
    return r;
  }
  const long status = reply.status;
  if (status >= 200 && status < 300) return CallbackPostResult::Delivered(static_cast<int>(status));
  r.http_status = static_cast<int>(status);
  r.detail = "HTTP " + std::to_string(status);
  const bool temporary = status == 408 || status == 429 || status >= 500 || status < 200 ||
                         (status >= 300 && status < 400);
  if (temporary) {
    r.kind = CallbackPostResult::Kind::kTemporary;
    r.retry_after = http::ParseRetryAfter(reply.retry_after, now);
  } else {
    r.kind = CallbackPostResult::Kind::kPermanent;
  }
  return r;
}

}  // namespace herald
