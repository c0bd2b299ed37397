// Loading herald.yaml: parse with yaml-cpp, then walk the tree once, reading every key
// through yaml_reader so that each problem is recorded with its position and the walk
// carries on. The Config is handed out only when nothing was recorded.
#include "engine/config/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "engine/config/config_sections.h"
#include "engine/config/config_values.h"
#include "engine/config/yaml_reader.h"
#include "engine/core/sha256.h"

namespace herald {
namespace {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

constexpr std::string_view kSecretHint =
    "secrets are never written in the file: use sha256: or env:";

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsValidId(std::string_view s, size_t max_size) {
  return !s.empty() && s.size() <= max_size && std::all_of(s.begin(), s.end(), IsIdChar);
}

bool IsValidEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

class Loader {
 public:
  Loader(std::string name, std::string base_dir, const EnvLookup& env) : diag_(name), env_(env) {
    config_.source = std::move(name);
    config_.base_dir = base_dir.empty() ? "." : std::move(base_dir);
  }

  ConfigLoad Run(const std::string& text);

 private:
  void ReadRoot(const YAML::Node& root);
  std::optional<std::string> ReadPath(const YamlEntry& e);
  void ReadListen(const YamlEntry& e);
  void ReadPublicUrl(const YamlEntry& e);
  void ReadApiKeys(const YamlEntry& e);
  void ReadApiKey(const YAML::Node& node);
  std::optional<std::vector<Scope>> ReadScopes(const YamlEntry& e);
  void ReadConnectors(const YamlEntry& e);
  void ReadConnector(const YamlEntry& e);
  void ReadLimits(const YamlEntry& e);
  void ReadHttp(const YamlEntry& e);
  void ReadLog(const YamlEntry& e);

  Diagnostics diag_;
  const EnvLookup& env_;
  Config config_;
  // Where each accepted key's id and secret were given, to point duplicates at the first.
  std::vector<YAML::Node> key_id_nodes_;
};

ConfigLoad Loader::Run(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    diag_.AddAt(e.mark, "YAML syntax error: " + e.msg);
    return {std::nullopt, diag_.Take()};
  } catch (const YAML::Exception& e) {
    diag_.AddAt(e.mark, "YAML error: " + e.msg);
    return {std::nullopt, diag_.Take()};
  }
  if (docs.empty()) {
    diag_.AddAt(YAML::Mark(), "the configuration is empty; at least api_keys is required");
    return {std::nullopt, diag_.Take()};
  }
  if (docs.size() > 1) diag_.Add(docs[1], "only one YAML document is allowed");
  try {
    ReadRoot(docs[0]);
  } catch (const YAML::Exception& e) {
    // The readers check types before converting, so this is a bug; report, don't crash.
    diag_.AddAt(e.mark, "internal error reading the configuration: " + e.msg);
  }
  if (!diag_.empty()) return {std::nullopt, diag_.Take()};
  return {std::move(config_), {}};
}

void Loader::ReadRoot(const YAML::Node& root) {
  YamlMap map(root, "configuration", &diag_);
  if (!map.valid()) return;
  config_.data_dir = ResolvePath(config_.base_dir, config_.data_dir);
  if (auto e = map.Take("data_dir")) {
    if (auto p = ReadPath(*e)) config_.data_dir = *p;
  }
  if (auto e = map.Take("listen")) ReadListen(*e);
  if (auto e = map.Take("public_url")) ReadPublicUrl(*e);
  if (auto e = map.Require("api_keys")) ReadApiKeys(*e);
  if (auto e = map.Take("campaigns")) {
    if (auto p = ReadPath(*e)) config_.campaigns_dir = *p;
  }
  if (auto e = map.Take("templates")) {
    if (auto p = ReadPath(*e)) config_.templates_dir = *p;
  }
  if (auto e = map.Take("connectors")) ReadConnectors(*e);
  if (auto e = map.Take("agency")) config_internal::ReadAgency(*e, &diag_, &config_.agency);
  if (auto e = map.Take("email")) config_internal::ReadEmail(*e, &diag_, &config_.email);
  std::vector<std::pair<std::string, YAML::Node>> channel_refs;
  if (auto e = map.Take("channels")) {
    config_internal::ReadChannels(*e, &diag_, &config_.delivery, &channel_refs);
  }
  if (auto e = map.Take("delivery")) config_internal::ReadDelivery(*e, &diag_, &config_.delivery);
  if (auto e = map.Take("retention")) {
    config_internal::ReadRetention(*e, &diag_, &config_.retention);
  }
  if (auto e = map.Take("status_callbacks")) {
    config_internal::ReadStatusCallbacks(*e, &diag_, env_, &config_.status_callbacks);
  }
  if (auto e = map.Take("sms_replies")) {
    config_internal::ReadSmsReplies(*e, &diag_, &config_.sms_replies);
  }
  for (const auto& [name, node] : channel_refs) {
    if (config_.connectors.count(name) == 0) {
      diag_.Add(node, "channels: no connector named '" + name + "' under connectors");
    }
  }
  if (auto e = map.Take("limits")) ReadLimits(*e);
  if (auto e = map.Take("http")) ReadHttp(*e);
  if (auto e = map.Take("log")) ReadLog(*e);
  map.RejectUnknown();
}

std::optional<std::string> Loader::ReadPath(const YamlEntry& e) {
  auto s = ReadString(e, &diag_);
  if (!s) return std::nullopt;
  std::string error;
  if (!CheckPath(*s, &error)) {
    diag_.Add(e.value, e.name + ": " + error);
    return std::nullopt;
  }
  return ResolvePath(config_.base_dir, *s);
}

void Loader::ReadListen(const YamlEntry& e) {
  auto s = ReadString(e, &diag_);
  if (!s) return;
  std::string error;
  if (!ParseListen(*s, &config_.listen_host, &config_.listen_port, &error)) {
    diag_.Add(e.value, "listen: " + error);
  }
}

void Loader::ReadPublicUrl(const YamlEntry& e) {
  auto s = ReadString(e, &diag_);
  if (!s) return;
  std::string error;
  if (!NormalisePublicUrl(*s, &config_.public_url, &error)) {
    diag_.Add(e.value, "public_url: " + error);
  }
}

void Loader::ReadApiKeys(const YamlEntry& e) {
  auto items = ReadList(e, &diag_);
  if (!items) return;
  if (items->empty()) {
    diag_.Add(e.value,
              "api_keys: must list at least one key (an engine without keys accepts "
              "no requests)");
    return;
  }
  for (const YAML::Node& item : *items) ReadApiKey(item);
}

void Loader::ReadApiKey(const YAML::Node& node) {
  YamlMap map(node, "api key", &diag_);
  if (!map.valid()) return;
  ApiKeyConfig key;
  bool ok = true;
  YAML::Node id_node, secret_node;
  if (auto e = map.Require("id")) {
    auto id = ReadString(*e, &diag_);
    if (id && !IsValidId(*id, 64)) {
      diag_.Add(e->value, "id: must be 1 to 64 characters from a-z, 0-9, '_' and '-'");
      id.reset();
    }
    if (id) {
      for (size_t i = 0; i < config_.api_keys.size() && id; ++i) {
        if (config_.api_keys[i].id != *id) continue;
        diag_.Add(e->value, "id: duplicate api key id '" + *id + "' (first given at line " +
                                std::to_string(key_id_nodes_[i].Mark().line + 1) + ")");
        id.reset();
      }
    }
    if (id) key.id = *id, id_node = e->value;
    ok = ok && id.has_value();
  } else {
    ok = false;
  }

  auto sha = map.Take("sha256");
  auto env = map.Take("env");
  if (sha && env) {
    // Point at whichever comes second: that is the one to delete.
    const YamlEntry& later = sha->key.Mark().pos > env->key.Mark().pos ? *sha : *env;
    diag_.Add(later.key, "api key: give either sha256: or env:, not both");
    ok = false;
  } else if (sha) {
    auto hex = ReadString(*sha, &diag_);
    if (hex && !IsHex64(*hex)) {
      // The value is not echoed: a pasted plaintext secret must not end up in the logs.
      std::string got =
          hex->size() == 64 ? "other characters" : std::to_string(hex->size()) + " characters";
      diag_.Add(sha->value, "sha256: expected 64 hexadecimal characters, got " + got +
                                " (the SHA-256 of the secret: printf %s SECRET | sha256sum)");
      hex.reset();
    }
    if (hex) {
      key.sha256_hex = *hex;
      std::transform(key.sha256_hex.begin(), key.sha256_hex.end(), key.sha256_hex.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      secret_node = sha->value;
    }
    ok = ok && hex.has_value();
  } else if (env) {
    auto name = ReadString(*env, &diag_);
    std::optional<std::string> secret;
    if (name && !IsValidEnvName(*name)) {
      diag_.Add(env->value, "env: '" + *name + "' is not an environment variable name");
    } else if (name) {
      secret = env_ ? env_(*name) : std::nullopt;
      if (!secret) {
        diag_.Add(env->value, "env: environment variable " + *name + " is not set");
      } else if (secret->empty()) {
        diag_.Add(env->value, "env: environment variable " + *name + " is empty");
        secret.reset();
      }
    }
    if (secret) key.sha256_hex = Sha256Hex(*secret), secret_node = env->value;
    ok = ok && secret.has_value();
  } else {
    diag_.Add(node, "api key: missing 'sha256' or 'env' (" + std::string(kSecretHint) + ")");
    ok = false;
  }

  if (auto e = map.Require("scopes")) {
    auto scopes = ReadScopes(*e);
    if (scopes) key.scopes = std::move(*scopes);
    ok = ok && scopes.has_value();
  } else {
    ok = false;
  }
  map.RejectUnknown(kSecretHint);

  if (!key.sha256_hex.empty()) {
    for (const ApiKeyConfig& other : config_.api_keys) {
      if (!ConstantTimeEquals(other.sha256_hex, key.sha256_hex)) continue;
      diag_.Add(secret_node, "api key '" + key.id + "' has the same secret as api key '" +
                                 other.id + "'; each key needs its own");
      ok = false;
      break;
    }
  }
  // Only a complete key is kept, so later duplicate checks compare against real keys.
  if (ok) {
    config_.api_keys.push_back(std::move(key));
    key_id_nodes_.push_back(id_node);
  }
}

std::optional<std::vector<Scope>> Loader::ReadScopes(const YamlEntry& e) {
  auto items = ReadList(e, &diag_);
  if (!items) return std::nullopt;
  if (items->empty()) {
    diag_.Add(e.value, "scopes: must list at least one scope (ingest, admin)");
    return std::nullopt;
  }
  std::vector<Scope> scopes;
  bool ok = true;
  for (const YAML::Node& item : *items) {
    auto name = ReadString({"scopes", e.key, item}, &diag_);
    std::optional<Scope> scope;
    if (name && *name == "ingest") scope = Scope::kIngest;
    if (name && *name == "admin") scope = Scope::kAdmin;
    if (name && !scope) {
      diag_.Add(item, "scopes: unknown scope '" + *name + "' (expected ingest or admin)");
    } else if (scope && std::find(scopes.begin(), scopes.end(), *scope) != scopes.end()) {
      diag_.Add(item, "scopes: '" + *name + "' is listed twice");
      scope.reset();
    }
    if (scope) scopes.push_back(*scope);
    ok = ok && scope.has_value();
  }
  if (!ok) return std::nullopt;
  return scopes;
}

void Loader::ReadConnectors(const YamlEntry& e) {
  YamlMap map(e.value, "connectors", &diag_, e.key);
  for (const YamlEntry& c : map.TakeRest()) ReadConnector(c);
}

void Loader::ReadConnector(const YamlEntry& e) {
  bool ok = true;
  if (!IsValidId(e.name, 64)) {
    diag_.Add(e.key, "connectors: name '" + e.name +
                         "' must be 1 to 64 characters from a-z, 0-9, '_' and '-'");
    ok = false;
  }
  YamlMap map(e.value, "connector '" + e.name + "'", &diag_, e.key);
  if (!map.valid()) return;
  ConnectorConfig connector;
  connector.name = e.name;
  if (auto t = map.Require("type")) {
    auto type = ReadString(*t, &diag_);
    if (type && type->empty()) {
      diag_.Add(t->value, "type: must not be empty", t->key);
      type.reset();
    }
    if (type) connector.type = *type;
    ok = ok && type.has_value();
  } else {
    ok = false;
  }
  if (auto r = map.Take("rate")) {
    ok = config_internal::ReadConnectorRate(*r, &diag_, &connector) && ok;
  }
  // Everything else belongs to the connector, which validates it when it is built.
  for (const YamlEntry& option : map.TakeRest()) {
    auto value = YamlToJson(option.value, &diag_);
    if (value && option.name == "path" && value->is_string()) {
      value = ReadPath(option);
    }
    if (value) connector.options[option.name] = std::move(*value);
    ok = ok && value.has_value();
  }
  if (ok) config_.connectors.emplace(connector.name, std::move(connector));
}

void Loader::ReadLimits(const YamlEntry& e) {
  YamlMap map(e.value, "limits", &diag_, e.key);
  Limits& l = config_.limits;
  // Upper bounds catch unit mistakes (a byte count typed as kilobytes times 1024) and
  // keep one request from claiming more memory than a server should give it.
  if (auto v = map.Take("max_body_bytes")) {
    if (auto n = ReadInteger(*v, 1, uint64_t{1} << 30, &diag_)) l.max_body_bytes = *n;
  }
  if (auto v = map.Take("max_batch_events")) {
    if (auto n = ReadInteger(*v, 1, 1000000, &diag_)) l.max_batch_events = *n;
  }
  if (auto v = map.Take("max_json_depth")) {
    if (auto n = ReadInteger(*v, 1, 512, &diag_)) l.max_json_depth = static_cast<uint32_t>(*n);
  }
  if (auto v = map.Take("max_string_bytes")) {
    if (auto n = ReadInteger(*v, 1, 16 << 20, &diag_)) l.max_string_bytes = *n;
  }
  map.RejectUnknown();
}

void Loader::ReadHttp(const YamlEntry& e) {
  YamlMap map(e.value, "http", &diag_, e.key);
  HttpConfig& h = config_.http;
  if (auto v = map.Take("threads")) {
    if (auto n = ReadInteger(*v, 1, 4096, &diag_)) h.threads = static_cast<uint32_t>(*n);
  }
  if (auto v = map.Take("keep_alive_max_requests")) {
    if (auto n = ReadInteger(*v, 1, 100000000, &diag_)) {
      h.keep_alive_max_requests = static_cast<uint32_t>(*n);
    }
  }
  if (auto v = map.Take("read_timeout_seconds")) {
    if (auto n = ReadInteger(*v, 1, 3600, &diag_)) {
      h.read_timeout_seconds = static_cast<uint32_t>(*n);
    }
  }
  // 0 turns the limit off, for a proxy that limits instead. The ceiling only catches
  // nonsense: a limit that high is no limit at all.
  if (auto v = map.Take("auth_failures_per_minute")) {
    if (auto n = ReadInteger(*v, 0, 1000000, &diag_)) {
      h.auth_failures_per_minute = static_cast<uint32_t>(*n);
    }
  }
  map.RejectUnknown();
}

void Loader::ReadLog(const YamlEntry& e) {
  YamlMap map(e.value, "log", &diag_, e.key);
  if (auto v = map.Take("level")) {
    auto level = ReadString(*v, &diag_);
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info",
                                                   "warn",  "error", "off"};
    if (level && std::find(std::begin(kLevels), std::end(kLevels), *level) == std::end(kLevels)) {
      diag_.Add(v->value, "level: unknown log level '" + *level +
                              "' (expected trace, debug, info, warn, error or off)");
      level.reset();
    }
    if (level) config_.log_level = *level;
  }
  map.RejectUnknown();
}

}  // namespace

ConfigLoad LoadConfigText(const std::string& text, const std::string& name,
                          const std::string& base_dir, const EnvLookup& env) {
  return Loader(name, base_dir, env).Run(text);
}

ConfigLoad LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return {std::nullopt, {{path, 0, 0, "cannot read config file: it is a directory"}}};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {std::nullopt,
            {{path, 0, 0, std::string("cannot read config file: ") + std::strerror(errno)}}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return {std::nullopt, {{path, 0, 0, "cannot read config file: read error"}}};
  }
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  return LoadConfigText(text.str(), path, base_dir.empty() ? "." : base_dir, env);
}

ConfigLoad LoadEmbeddedDefaultConfig(const EnvLookup& env) {
  return LoadConfigText(std::string(EmbeddedDefaultConfig()), std::string(kEmbeddedConfigName),
                        std::string(kEmbeddedConfigBaseDir), env);
}

}  // namespace herald
