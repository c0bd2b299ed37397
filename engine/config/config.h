// herald.yaml: the engine's configuration, loaded and validated once at start-up.
//
// LoadConfig reads the file, checks every key and type, and reports all problems at once,
// each with file:line:column. A Config that loaded is immutable and shared read-only by
// every thread. Relative paths in the file are resolved against the file's directory.
// The file format, every key and its default: docs/configuration.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"

namespace herald {

enum class Scope { kIngest, kAdmin };

struct ApiKeyConfig {
  std::string id;             // [a-z0-9_-]{1,64}, unique; names the key in logs and metrics;
                              // the idempotency namespace
  std::string sha256_hex;     // SHA-256 of the secret, lower-case hex (from `sha256:` or `env:`)
  std::vector<Scope> scopes;  // non-empty, no duplicates; admin implies every scope
};

struct Limits {
  uint64_t max_body_bytes = 10 * 1024 * 1024;  // larger bodies get 413
  uint64_t max_batch_events = 10000;           // more events in one request get 413
  uint32_t max_json_depth = 32;                // deeper nesting gets 400
  uint64_t max_string_bytes = 4096;            // ids, types and other strings
};

struct HttpConfig {
  uint32_t threads = 64;  // worker pool; each keep-alive connection holds one
  uint32_t keep_alive_max_requests = 100000;
  uint32_t read_timeout_seconds = 30;
  // Failed authentication attempts (unknown key, bad sign-in, bad one-time link) one client
  // address may make within a minute; the one that reaches it blocks the address (429) for
  // a minute (engine/api/auth_failure_limiter.h). 0: no limit (the proxy limits).
  uint32_t auth_failures_per_minute = 20;
};

struct ConnectorConfig {
  std::string name;  // the key under `connectors:`, [a-z0-9_-]+
  std::string type;  // registry name: file, smtp, twilio, webhook (checked by the registry)
  // The rest, checked by the connector. YAML scalars are typed as in YAML 1.2 (null, true,
  // 42, 1.5; anything quoted is a string). A string `path` is already resolved against
  // Config::base_dir; any other path-like option is the connector's to resolve.
  nlohmann::json options = nlohmann::json::object();
  // `rate: {per_second, burst}`, kept by dispatch with a token bucket (a Twilio long code
  // takes 1 message/s). 0: no limit.
  double rate_per_second = 0;
  uint32_t burst = 1;
};

// `agency:`: who the messages are from, for the email layout.
struct AgencyConfig {
  std::string name = "herald";
  std::string logo_url;                   // https URL or empty; shown with alt text = name
  std::string primary_color = "#1d4f91";  // #rrggbb
  std::string footer;                     // who sends this and why (plain text)
  std::string address;                    // postal address (plain text)
  std::string help_url;                   // empty: none
};

// `email:`: the sender of every email.
struct EmailConfig {
  std::string from_name;                           // display name ("" : agency name)
  std::string from_address = "notices@localhost";  // the From and envelope sender
  std::string reply_to;                            // empty: none
};

// `delivery:`: how dispatch routes, retries and gives up.
struct DeliveryConfig {
  // Connectors per channel, in failover order (`channels:`). Empty: every configured
  // connector that carries the channel, in name order.
  std::vector<std::string> email_connectors;
  std::vector<std::string> sms_connectors;
  uint32_t max_attempts = 8;                   // then a technical failure
  int64_t retry_initial_us = 30LL * 1000000;   // first backoff; doubles, with jitter
  int64_t retry_max_us = 3600LL * 1000000;     // backoff ceiling
  int64_t max_age_us = 24LL * 3600 * 1000000;  // from creation: then a technical failure
  int64_t send_lease_us = 120LL * 1000000;     // a send not settled by then is retried
};

// `status_callbacks:`: where status changes of messages are posted for case systems.
// The retry defaults ride out a receiver that is down for a weekend.
struct StatusCallbackConfig {
  std::string url;                             // empty: off
  std::string secret;                          // HMAC-SHA256 key (from `secret_env`)
  uint32_t max_attempts = 40;                  // then the callback is given up
  int64_t retry_initial_us = 30LL * 1000000;   // first backoff; doubles, with jitter
  int64_t retry_max_us = 3600LL * 1000000;     // backoff ceiling
  int64_t max_age_us = 72LL * 3600 * 1000000;  // from the status change: then given up
};

// `retention:`: how long personal data is kept. After `pii`, recipient addresses, rendered
// bodies, and the IP addresses and user agents of opens and clicks are purged; counters
// (reports) stay. 0: kept until deleted by hand.
struct RetentionConfig {
  int64_t pii_us = 0;
  int64_t purge_every_us = 3600LL * 1000000;  // how often the purge runs
};

// `sms_replies:`: the agency's own replies to the SMS keywords, per locale, instead of the
// built-in ones (templates/pages/sms_replies.h picks the one to send).
struct SmsReplyText {
  std::string text;  // one line of UTF-8 without control characters; "": not configured
  // Where the text is in the file (1-based; 0 when not from a file), so that checks made
  // by the layers that count SMS segments (CheckSmsReplies) can point at it.
  int line = 0;
  int column = 0;
};
struct SmsReplySet {
  std::string locale;  // a BCP 47 tag as written in the file ("es-MX")
  SmsReplyText help;   // HELP, INFO
  SmsReplyText stop;   // STOP and its synonyms
  SmsReplyText start;  // START, UNSTOP, YES
};

struct Config {
  std::string source;          // the file it came from ("<embedded>" for the defaults)
  std::string base_dir = ".";  // what relative paths were resolved against
  // Paths below are resolved against base_dir and lexically normalised ("samples/../data"
  // is "data"); they are not checked for existence, the layers that use them do that.
  std::string data_dir = "./data";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0 picks a free port
  std::string public_url = "http://localhost:8080";
  std::vector<ApiKeyConfig> api_keys;
  std::string campaigns_dir;  // empty: none
  std::string templates_dir;  // empty: none
  std::map<std::string, ConnectorConfig> connectors;
  AgencyConfig agency;
  EmailConfig email;
  DeliveryConfig delivery;
  StatusCallbackConfig status_callbacks;
  RetentionConfig retention;
  // In file order; no two locales equal ignoring ASCII case; each set has a text.
  std::vector<SmsReplySet> sms_replies;
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

// The configuration `herald serve` uses when no --config is given: the text of
// samples/herald.yaml, compiled in at build time.
std::string_view EmbeddedDefaultConfig();

// The name and base directory the embedded default is loaded with. Its paths are written
// relative to samples/ (data_dir: ../data), so it is loaded as if it were the file
// ./samples/herald.yaml: plain `herald serve` and `herald serve --config samples/herald.yaml`
// then mean the same thing from the repository root, and data goes to ./data either way.
inline constexpr std::string_view kEmbeddedConfigName = "<embedded>";
inline constexpr std::string_view kEmbeddedConfigBaseDir = "samples";

// LoadConfigText(EmbeddedDefaultConfig(), kEmbeddedConfigName, kEmbeddedConfigBaseDir, env).
ConfigLoad LoadEmbeddedDefaultConfig(
    const std::function<std::optional<std::string>(const std::string&)>& env);

}  // namespace herald
