#include "connectors/webhook/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "connectors/http/http_util.h"
#include "engine/core/sha256.h"

namespace herald {

namespace {

// The signature over "<timestamp text>.<body>".
std::string Sign(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text(timestamp);
  signed_text += '.';
  signed_text.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  return "sha256=" + http::HexEncode(std::string_view(reinterpret_cast<char*>(mac), len));
}

}  // namespace

std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body) {
  return Sign(secret, std::to_string(timestamp), body);
}

bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp_header,
                            std::string_view body, std::string_view signature_header,
                            int64_t now_seconds, int64_t tolerance_seconds) {
  if (secret.empty() || timestamp_header.empty() || timestamp_header.size() > 18) return false;
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp_header.data(),
                                   timestamp_header.data() + timestamp_header.size(), ts);
  if (ec != std::errc() || end != timestamp_header.data() + timestamp_header.size() ||
      timestamp_header.front() == '-' || timestamp_header.front() == '+') {
    return false;
  }
  int64_t skew = ts > now_seconds ? ts - now_seconds : now_seconds - ts;
  bool fresh = skew <= tolerance_seconds;
  bool match = ConstantTimeEquals(Sign(secret, timestamp_header, body), signature_header);
  return fresh && match;
}

}  // namespace herald
