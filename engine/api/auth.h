// API key authentication for the HTTP API.
//
// Keys come from the config as SHA-256 hashes; a request presents the secret as
// `Authorization: Bearer <secret>`. The secret is hashed and compared in constant time
// against every configured key, so neither the secret nor timing reveals which keys exist.
// An Authenticator is immutable after construction and safe to share across threads.
#pragma once

#include <string_view>
#include <vector>

#include "engine/config/config.h"

namespace herald {

struct AuthResult {
  enum class Kind {
    kOk,         // key found and has the scope
    kMissing,    // no Authorization header, or not a Bearer credential (401)
    kInvalid,    // Bearer credential that matches no key (401)
    kForbidden,  // key found but lacks the scope (403)
  };
  Kind kind = Kind::kMissing;
  const ApiKeyConfig* key = nullptr;  // set for kOk and kForbidden; owned by the Authenticator
};

class Authenticator {
 public:
  explicit Authenticator(std::vector<ApiKeyConfig> keys);

  // Checks an Authorization header value (empty when absent) for `needed`. The admin
  // scope grants every scope.
  AuthResult Check(std::string_view authorization, Scope needed) const;

 private:
  std::vector<ApiKeyConfig> keys_;
};

std::string_view ScopeName(Scope s);  // "ingest" / "admin"

}  // namespace herald
