#include "engine/config/config_values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>

namespace herald {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ToLower(s.substr(0, prefix.size())) == prefix;
}

// 0..65535 in decimal, at most five digits (so "080" is fine and "000008080" is not).
bool ParsePort(std::string_view s, uint16_t* port, std::string* error) {
  bool digits = !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), IsDigit);
  unsigned long value = digits ? std::stoul(std::string(s)) : 0;
  if (!digits || value > 65535) {
    *error = "port must be between 0 and 65535, got '" + std::string(s) + "'";
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

// An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

bool IsIPv4(const std::string& s) {
  in_addr addr;
  return inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

bool IsIPv6(const std::string& s) {
  in6_addr addr;
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

// Checks a host as written in a URL or listen address; IPv6 without its brackets.
bool CheckHost(const std::string& host, bool bracketed, std::string* error) {
  if (bracketed) {
    if (IsIPv6(host)) return true;
    *error = "'" + host + "' is not an IPv6 address";
    return false;
  }
  bool looks_numeric =
      std::all_of(host.begin(), host.end(), [](char c) { return IsDigit(c) || c == '.'; });
  if (looks_numeric ? IsIPv4(host) : IsHostName(host)) return true;
  *error = "'" + host + "' is not " + (looks_numeric ? "an IPv4 address" : "a valid host name");
  return false;
}

}  // namespace

bool CheckPath(std::string_view path, std::string* error) {
  if (path.empty()) {
    *error = "expected a path, got an empty string";
    return false;
  }
  if (path[0] == '~') {
    *error = "'~' is not expanded; give an absolute path or one relative to the config file";
    return false;
  }
  return true;
}

std::string ResolvePath(std::string_view base_dir, std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(base_dir.empty() ? "." : base_dir) / p;
  p = p.lexically_normal();
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p.string();
}

bool ParseListen(std::string_view text, std::string* host, uint16_t* port, std::string* error) {
  std::string h;
  std::string_view port_text;
  bool bracketed = !text.empty() && text[0] == '[';
  if (bracketed) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "missing ']' after the IPv6 address in '" + std::string(text) + "'";
      return false;
    }
    h = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest[0] != ':') {
      *error = "expected [IPV6]:PORT, e.g. [::1]:8080, got '" + std::string(text) + "'";
      return false;
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *error = "expected HOST:PORT, e.g. 127.0.0.1:8080, got '" + std::string(text) + "'";
      return false;
    }
    h = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (h.find(':') != std::string::npos) {
      *error = "an IPv6 address goes in brackets, e.g. [::1]:8080";
      return false;
    }
    if (h.empty()) {
      *error = "missing host before ':" + std::string(port_text) +
               "' (0.0.0.0 listens on every IPv4 interface, [::] on every IPv6 one)";
      return false;
    }
  }
  uint16_t p = 0;
  if (!CheckHost(h, bracketed, error) || !ParsePort(port_text, &p, error)) return false;
  *host = std::move(h);
  *port = p;
  return true;
}

bool NormalisePublicUrl(std::string_view text, std::string* url, std::string* error) {
  std::string scheme;
  if (StartsWithNoCase(text, "http://")) scheme = "http";
  if (StartsWithNoCase(text, "https://")) scheme = "https";
  if (scheme.empty()) {
    *error = "expected an absolute http:// or https:// URL, got '" + std::string(text) + "'";
    return false;
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    *error = "must not contain spaces or control characters";
    return false;
  }
  std::string_view rest = text.substr(scheme.size() + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    *error = "must not have a query (?) or a fragment (#)";
    return false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    *error = "must not contain credentials (user@host)";
    return false;
  }
  if (authority.empty()) {
    *error = "missing host after " + scheme + "://";
    return false;
  }
  bool bracketed = authority[0] == '[';
  size_t host_end = bracketed ? authority.find(']') : authority.find(':');
  if (bracketed && host_end == std::string_view::npos) {
    *error = "missing ']' after the IPv6 address";
    return false;
  }
  if (bracketed) ++host_end;  // keep the brackets in the URL
  std::string host = ToLower(authority.substr(0, host_end));
  std::string_view after_host = host_end < authority.size() ? authority.substr(host_end) : "";
  std::string check_host = bracketed ? host.substr(1, host.size() - 2) : host;
  if (!CheckHost(check_host, bracketed, error)) return false;
  uint16_t port = 0;
  if (!after_host.empty()) {
    if (after_host[0] != ':') {
      *error = "unexpected '" + std::string(after_host) + "' after the host";
      return false;
    }
    if (!ParsePort(after_host.substr(1), &port, error)) return false;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  *url = scheme + "://" + host + std::string(after_host) + std::string(path);
  return true;
}

}  // namespace herald
