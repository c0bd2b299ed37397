// herald.yaml: the engine's configuration, loaded and validated once at start-up.
//
// LoadConfig reads the file, checks every key and type, and reports all problems at once,
// each with file:line:column. A Config that loaded is immutable and shared read-only by
// every thread. Relative paths in the file are resolved against the file's directory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"

namespace herald {

enum class Scope { kIngest, kAdmin };

struct ApiKeyConfig {
  std::string id;             // names the key in logs and metrics; the idempotency namespace
  std::string sha256_hex;     // SHA-256 of the secret, lower-case hex (from `sha256:` or `env:`)
  std::vector<Scope> scopes;  // admin implies every scope
};

struct Limits {
  uint64_t max_body_bytes = 10 * 1024 * 1024;  // larger bodies get 413
  uint64_t max_batch_events = 10000;           // more events in one request get 413
  uint32_t max_json_depth = 32;                // deeper nesting gets 400
  uint64_t max_string_bytes = 4096;            // ids, types and other strings
};

struct HttpConfig {
  uint32_t threads = 64;                  // worker pool; each keep-alive connection holds one
  uint32_t keep_alive_max_requests = 100000;
  uint32_t read_timeout_seconds = 30;
};

struct ConnectorConfig {
  std::string name;  // the key under `connectors:`
  std::string type;  // registry name: file, smtp, twilio, webhook
  nlohmann::json options = nlohmann::json::object();  // the rest, checked by the connector
};

struct Config {
  std::string source;        // the file it came from ("<embedded>" for the defaults)
  std::string data_dir = "./data";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0 picks a free port
  std::string public_url = "http://localhost:8080";
  std::vector<ApiKeyConfig> api_keys;
  std::string campaigns_dir;  // empty: none
  std::string templates_dir;  // empty: none
  std::map<std::string, ConnectorConfig> connectors;
  Limits limits;
  HttpConfig http;
  std::string log_level = "info";
};

// One problem found in a config file.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (a missing file)
  int column = 0;  // 1-based
  std::string message;
  std::string ToString() const;  // "file:line:column: message"
};

// The outcome of loading: a Config when there are no errors.
struct ConfigLoad {
  std::optional<Config> config;
  std::vector<ConfigError> errors;  // every problem found, in file order
};

// Loads and validates a config file. `env` looks up environment variables for keys
// given as `env: NAME` (pass a lambda over getenv in production, a map in tests).
ConfigLoad LoadConfigFile(const std::string& path,
                          const std::function<std::optional<std::string>(const std::string&)>& env);

// Same, from text; `name` is used in error positions, `base_dir` resolves relative paths.
ConfigLoad LoadConfigText(const std::string& text, const std::string& name,
                          const std::string& base_dir,
                          const std::function<std::optional<std::string>(const std::string&)>& env);

// The configuration `herald serve` uses when no --config is given: samples/herald.yaml,
// compiled in, with paths relative to the working directory.
std::string_view EmbeddedDefaultConfig();

}  // namespace herald
