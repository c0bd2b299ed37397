// Wire helpers shared by the SmsTestServer's sources (not part of its interface).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::testing::internal {

using Form = std::vector<std::pair<std::string, std::string>>;

std::string Base64(const unsigned char* data, size_t len);
// Decodes an application/x-www-form-urlencoded body ('+' is a space; bad escapes kept).
Form ParseForm(std::string_view body);
// Percent-encodes all but A-Z a-z 0-9 - . _ ~.
std::string FormEscape(std::string_view s);

}  // namespace herald::testing::internal
