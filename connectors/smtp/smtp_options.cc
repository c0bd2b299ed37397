// ParseSmtpOptions: the smtp connector's options, checked once at start-up.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "connectors/smtp/smtp_connector.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

constexpr const char* kKnownOptions =
    "url, starttls, username, password, password_env, from, concurrency, timeout_seconds, "
    "helo, tls_verify, ca_file";

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.substr(0, 4) != "127.") return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// Splits "smtp://host[:port][/]" into its parts; an error text when it is not that.
std::string ParseUrl(std::string_view url, SmtpOptions* out) {
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos || separator > 5) {
    return "must start with smtp:// or smtps://";
  }
  std::string scheme(url.substr(0, separator));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "smtp" && scheme != "smtps") return "must start with smtp:// or smtps://";
  out->implicit_tls = scheme == "smtps";
  std::string_view rest = url.substr(scheme.size() + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("@/?#") != std::string_view::npos) {
    return "must be scheme://host[:port] only (no user, path or query: use username, "
           "password and helo)";
  }
  std::string_view host = rest;
  std::optional<std::string_view> port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return "has an invalid [IPv6 address]";
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "has text after the [IPv6 address]";
      port = after.substr(1);
    }
    if (!std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return "has an invalid [IPv6 address]";
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostChar)) {
      return "has an invalid host name";
    }
  }
  if (port) {
    const bool digits =
        !port->empty() && port->size() <= 5 && std::all_of(port->begin(), port->end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        });
    const int number = digits ? std::stoi(std::string(*port)) : 0;
    if (number < 1 || number > 65535) return "has an invalid port (1 to 65535)";
  }
  out->host = std::string(host);
  out->url = scheme + "://" + std::string(rest);
  return {};
}

}  // namespace

Result<SmtpOptions> ParseSmtpOptions(const ConnectorConfig& config, const SmtpEnvLookup& env) {
  const std::string prefix = "connectors." + config.name + ".";
  std::string errors;
  const auto add = [&](const std::string& field, const std::string& problem) {
    errors += (errors.empty() ? "" : "\n") + prefix + field + ": " + problem;
  };
  SmtpOptions o;
  bool has_url = false, has_from = false, has_password_env = false;
  for (const auto& [key, value] : config.options.items()) {
    const auto string_value = [&, &key = key, &value = value]() -> std::optional<std::string> {
      if (value.is_string() && !value.get<std::string>().empty()) return value.get<std::string>();
      add(key, "must be a non-empty string");
      return std::nullopt;
    };
    const auto int_value = [&, &key = key, &value = value](int lo, int hi) -> std::optional<int> {
      if (value.is_number_integer() && value.get<int64_t>() >= lo && value.get<int64_t>() <= hi) {
        return static_cast<int>(value.get<int64_t>());
      }
      add(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    };
    if (key == "url") {
      if (auto v = string_value()) {
        has_url = true;
        if (std::string problem = ParseUrl(*v, &o); !problem.empty()) add(key, problem);
      }
    } else if (key == "starttls") {
      if (auto v = string_value()) {
        if (*v == "none") {
          o.starttls = SmtpOptions::StartTls::kNone;
        } else if (*v == "opportunistic") {
          o.starttls = SmtpOptions::StartTls::kOpportunistic;
        } else if (*v == "required") {
          o.starttls = SmtpOptions::StartTls::kRequired;
        } else {
          add(key, "must be none, opportunistic or required");
        }
      }
    } else if (key == "username") {
      if (auto v = string_value()) {
        if (ContainsControl(*v)) {
          add(key, "must not contain control characters");
        } else {
          o.username = *v;
        }
      }
    } else if (key == "password") {
      if (auto v = string_value()) o.password = *v;
    } else if (key == "password_env") {
      if (auto v = string_value()) {
        has_password_env = true;
        const std::optional<std::string> secret = env ? env(*v) : std::nullopt;
        if (!secret || secret->empty()) {
          add(key, "the environment variable it names is not set or empty");
        } else {
          o.password = *secret;
        }
      }
    } else if (key == "from") {
      if (auto v = string_value()) {
        has_from = true;
        if (!IsValidEmail(*v)) {
          add(key, "must be a valid email address");
        } else {
          o.from = *v;
        }
      }
    } else if (key == "concurrency") {
      if (auto v = int_value(1, 64)) o.concurrency = *v;
    } else if (key == "timeout_seconds") {
      if (auto v = int_value(1, 600)) o.timeout_seconds = *v;
    } else if (key == "helo") {
      if (auto v = string_value()) {
        if (v->size() > 253 || !std::all_of(v->begin(), v->end(), IsHostChar)) {
          add(key, "must be a host name (letters, digits, '.', '-')");
        } else {
          o.helo = *v;
        }
      }
    } else if (key == "tls_verify") {
      if (value.is_boolean()) {
        o.tls_verify = value.get<bool>();
      } else {
        add(key, "must be true or false");
      }
    } else if (key == "ca_file") {
      if (auto v = string_value()) {
        std::error_code ec;
        if (!std::filesystem::path(*v).is_absolute()) {
          add(key, "must be an absolute path");
        } else if (!std::filesystem::is_regular_file(*v, ec)) {
          add(key, "is not a readable file");
        } else {
          o.ca_file = *v;
        }
      }
    } else {
      add(key, std::string("unknown option for an smtp connector (known: ") + kKnownOptions + ")");
    }
  }
  if (!has_url) add("url", "required (smtp://host:port or smtps://host:port)");
  if (!has_from) add("from", "required (the envelope sender)");
  if (config.options.contains("password") && has_password_env) {
    add("password", "give password or password_env, not both");
  }
  const bool has_password = config.options.contains("password") || has_password_env;
  if (!o.username.empty() && !has_password) add("password", "required with username");
  if (o.username.empty() && has_password && !config.options.contains("username")) {
    add("username", "required with a password");
  }
  if (has_password && !o.host.empty() && !o.implicit_tls &&
      o.starttls != SmtpOptions::StartTls::kRequired && !IsLoopbackHost(o.host)) {
    add("starttls",
        "must be required when a password is sent to a non-local server (or use smtps://)");
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  if (o.helo.empty()) {
    const std::string domain = o.from.substr(o.from.find('@') + 1);
    o.helo = std::all_of(domain.begin(), domain.end(), IsHostChar) ? domain : "localhost";
  }
  return o;
}

}  // namespace herald
