#include "engine/api/auth.h"

#include <algorithm>
#include <cctype>

#include "engine/core/sha256.h"

namespace herald {

std::string_view ScopeName(Scope s) {
  return s == Scope::kAdmin ? "admin" : "ingest";
}

Authenticator::Authenticator(std::vector<ApiKeyConfig> keys) : keys_(std::move(keys)) {}

AuthResult Authenticator::Check(std::string_view authorization, Scope needed) const {
  // RFC 7235: the scheme is case-insensitive; one or more spaces before the token.
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return {AuthResult::Kind::kMissing, nullptr};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return {AuthResult::Kind::kMissing, nullptr};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  if (token.empty() || token.front() != ' ') return {AuthResult::Kind::kMissing, nullptr};
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return {AuthResult::Kind::kMissing, nullptr};

  const std::string presented = Sha256Hex(token);
  const ApiKeyConfig* match = nullptr;
  // Compare against every key without stopping early.
  for (const ApiKeyConfig& key : keys_) {
    if (ConstantTimeEquals(presented, key.sha256_hex) && match == nullptr) match = &key;
  }
  if (match == nullptr) return {AuthResult::Kind::kInvalid, nullptr};
  const bool allowed = std::any_of(match->scopes.begin(), match->scopes.end(),
                                   [&](Scope s) { return s == needed || s == Scope::kAdmin; });
  return {allowed ? AuthResult::Kind::kOk : AuthResult::Kind::kForbidden, match};
}

}  // namespace herald
