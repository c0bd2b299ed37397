#include "connectors/twilio/twilio_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "engine/core/sha256.h"

namespace herald {

namespace {

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

// The URL with its port removed, and with the scheme's default port added; either may be
// empty when it does not apply.
struct UrlVariants {
  std::string without_port;
  std::string with_default_port;
};

UrlVariants PortVariants(std::string_view url) {
  UrlVariants v;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return v;
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  size_t host_start = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", host_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(host_start, authority_end - host_start);
  size_t at = authority.rfind('@');
  size_t host_off = at == std::string_view::npos ? 0 : at + 1;
  std::string_view hostport = authority.substr(host_off);
  size_t colon = hostport.rfind(':');
  size_t bracket = hostport.rfind(']');
  bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) {
    size_t cut_from = host_start + host_off + colon;
    v.without_port = std::string(url.substr(0, cut_from)) + std::string(url.substr(authority_end));
  } else {
    const char* port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nullptr;
    if (port != nullptr) {
      v.with_default_port =
          std::string(url.substr(0, authority_end)) + port + std::string(url.substr(authority_end));
    }
  }
  return v;
}

}  // namespace

std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            const FormParams& params) {
  FormParams sorted = params;
  std::sort(sorted.begin(), sorted.end());  // by name, then value; byte order
  // A pair repeated exactly counts once, as in Twilio's own libraries.
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string data(url);
  for (const auto& [k, v] : sorted) {
    data += k;
    data += v;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return Base64(mac, mac_len);
}

bool VerifyTwilioSignature(std::string_view auth_token, std::string_view url,
                           const FormParams& params, std::string_view signature) {
  if (auth_token.empty() || signature.empty()) return false;
  bool ok = ConstantTimeEquals(TwilioSignature(auth_token, url, params), signature);
  UrlVariants variants = PortVariants(url);
  // Every candidate is computed and compared, so timing does not tell which one matched.
  for (const std::string& candidate : {variants.without_port, variants.with_default_port}) {
    if (candidate.empty()) continue;
    ok = ConstantTimeEquals(TwilioSignature(auth_token, candidate, params), signature) || ok;
  }
  return ok;
}

}  // namespace herald
