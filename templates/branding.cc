#include "templates/branding.h"

#include "engine/core/validate.h"

namespace herald {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsColor(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  for (size_t i = 1; i < 7; ++i) {
    if (!IsHex(s[i])) return false;
  }
  return true;
}

bool HasPrefixIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool IsFreeText(std::string_view s, bool allow_newlines) {
  if (FindInvalidUtf8(s)) return false;
  for (char c : s) {
    if (allow_newlines && c == '\n') continue;
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

bool IsHttpUrl(std::string_view url) {
  if (url.size() > 2048) return false;
  size_t scheme = 0;
  if (HasPrefixIgnoreCase(url, "https://")) {
    scheme = 8;
  } else if (HasPrefixIgnoreCase(url, "http://")) {
    scheme = 7;
  } else {
    return false;
  }
  if (url.size() == scheme || url[scheme] == '/') return false;  // no host
  for (char c : url) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`') {
      return false;
    }
  }
  return true;
}

Status ValidateBranding(const Branding& b) {
  if (b.name.empty() || b.name.size() > 200 || !IsFreeText(b.name, false)) {
    return Status::InvalidArgument(
        "branding.name: the agency name is required (1 to 200 characters, one line)");
  }
  if (!b.logo_url.empty() && !IsHttpUrl(b.logo_url)) {
    return Status::InvalidArgument("branding.logo_url: not an http(s) URL");
  }
  if (!IsColor(b.primary_color)) {
    return Status::InvalidArgument("branding.primary_color: '" + b.primary_color.substr(0, 20) +
                                   "' is not a colour like #1f4e79");
  }
  if (b.footer.size() > 2000 || !IsFreeText(b.footer, true)) {
    return Status::InvalidArgument(
        "branding.footer: plain text of at most 2000 bytes, without control characters");
  }
  if (b.address.size() > 1000 || !IsFreeText(b.address, true)) {
    return Status::InvalidArgument(
        "branding.address: plain text of at most 1000 bytes, without control characters");
  }
  if (!b.help_url.empty() && !IsHttpUrl(b.help_url)) {
    return Status::InvalidArgument("branding.help_url: not an http(s) URL");
  }
  return Status::Ok();
}

}  // namespace herald
