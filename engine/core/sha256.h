// SHA-256 and constant-time comparison, on OpenSSL.
#pragma once

#include <string>
#include <string_view>

namespace herald {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares two strings in time independent of where they differ (for secrets).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace herald
