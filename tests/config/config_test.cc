#include "engine/config/config.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/config/config_values.h"
#include "engine/core/sha256.h"

namespace herald {
namespace {

using Env = std::map<std::string, std::string>;

std::function<std::optional<std::string>(const std::string&)> EnvOf(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');
// The smallest valid configuration: one key.
const std::string kKeys = "api_keys:\n  - {id: a, sha256: " + kHashA + ", scopes: [ingest]}\n";

ConfigLoad Load(const std::string& text, Env env = {}, const std::string& base = "/etc/herald") {
  return LoadConfigText(text, "t.yaml", base, EnvOf(std::move(env)));
}

std::vector<std::string> Errors(const ConfigLoad& load) {
  std::vector<std::string> out;
  for (const ConfigError& e : load.errors) out.push_back(e.ToString());
  return out;
}

// The single error of a load that must fail with exactly one.
std::string OnlyError(const ConfigLoad& load) {
  CHECK_FALSE(load.config.has_value());
  REQUIRE(load.errors.size() == 1);
  return load.errors[0].ToString();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file in a fresh temporary directory, removed with the fixture.
struct TempFile {
  std::filesystem::path dir;
  std::string path;
  explicit TempFile(const std::string& text) {
    dir = std::filesystem::temp_directory_path() /
          ("herald_config_test_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    path = (dir / "herald.yaml").string();
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
};

TEST_CASE("the sample file loads cleanly with no environment") {
  std::string path = std::string(HERALD_SOURCE_DIR) + "/samples/herald.yaml";
  ConfigLoad load = LoadConfigFile(path, EnvOf({}));
  REQUIRE_MESSAGE(load.errors.empty(), (load.errors.empty() ? "" : load.errors[0].ToString()));
  const Config& c = *load.config;
  std::string root = std::filesystem::path(HERALD_SOURCE_DIR).lexically_normal().string();
  CHECK(c.source == path);
  CHECK(c.data_dir == root + "/data");
  CHECK(c.campaigns_dir == root + "/samples/campaigns");
  CHECK(c.templates_dir == root + "/samples/templates");
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 8080);
  CHECK(c.public_url == "http://localhost:8080");
  REQUIRE(c.api_keys.size() == 1);
  CHECK(c.api_keys[0].id == "dev");
  CHECK(c.api_keys[0].sha256_hex == Sha256Hex("herald-dev-key"));
  CHECK(c.api_keys[0].scopes == std::vector<Scope>{Scope::kIngest, Scope::kAdmin});
  REQUIRE(c.connectors.count("outbox") == 1);
  CHECK(c.connectors.at("outbox").type == "file");
  CHECK(c.connectors.at("outbox").options == nlohmann::json{{"path", root + "/data/outbox"}});
  CHECK(c.log_level == "info");
}

TEST_CASE("the embedded default is the sample, resolved as if read from ./samples") {
  CHECK(EmbeddedDefaultConfig() ==
        ReadFile(std::string(HERALD_SOURCE_DIR) + "/samples/herald.yaml"));
  ConfigLoad load = LoadEmbeddedDefaultConfig(EnvOf({}));
  REQUIRE_MESSAGE(load.errors.empty(), (load.errors.empty() ? "" : load.errors[0].ToString()));
  const Config& c = *load.config;
  CHECK(c.source == "<embedded>");
  CHECK(c.data_dir == "data");  // ./data from wherever herald runs
  CHECK(c.campaigns_dir == "samples/campaigns");
  CHECK(c.connectors.at("outbox").options["path"] == "data/outbox");
}

TEST_CASE("defaults apply to keys left out") {
  ConfigLoad load = Load(kKeys, {}, ".");
  REQUIRE(load.config);
  const Config& c = *load.config;
  CHECK(c.data_dir == "data");
  CHECK(c.campaigns_dir.empty());
  CHECK(c.templates_dir.empty());
  CHECK(c.connectors.empty());
  CHECK(c.limits.max_json_depth == 32);
  CHECK(c.http.threads == 64);
  CHECK(c.public_url == "http://localhost:8080");
}

TEST_CASE("unknown keys are reported at the key") {
  CHECK(OnlyError(Load(kKeys + "bogus: 1\n")) == "t.yaml:3:1: configuration: unknown key 'bogus'");
  CHECK(OnlyError(Load(kKeys + "http:\n  threads: 4\n  treads: 5\n")) ==
        "t.yaml:5:3: http: unknown key 'treads' (did you mean 'threads'?)");
  CHECK(OnlyError(Load(kKeys + "log: {level: info, colour: true}\n")) ==
        "t.yaml:3:20: log: unknown key 'colour'");
}

TEST_CASE("a plaintext secret gets a hint") {
  std::string text = "api_keys:\n  - id: a\n    secret: hunter2\n    scopes: [admin]\n";
  ConfigLoad load = Load(text);
  auto errors = Errors(load);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] ==
        "t.yaml:2:5: api key: missing 'sha256' or 'env' (secrets are never written in the file: "
        "use sha256: or env:)");
  CHECK(errors[1] ==
        "t.yaml:3:5: api key: unknown key 'secret' (secrets are never written in the file: use "
        "sha256: or env:)");
  for (const auto& e : errors) CHECK(e.find("hunter2") == std::string::npos);
}

TEST_CASE("wrong types") {
  CHECK(OnlyError(Load(kKeys + "http: {threads: many}\n")) ==
        "t.yaml:3:17: threads: expected an integer, got 'many'");
  CHECK(OnlyError(Load(kKeys + "http: {threads: \"64\"}\n")) ==
        "t.yaml:3:17: threads: expected an integer, got a quoted string");
  CHECK(OnlyError(Load(kKeys + "limits: {max_json_depth: [1]}\n")) ==
        "t.yaml:3:26: max_json_depth: expected an integer, got a list");
  CHECK(OnlyError(Load("api_keys: dev\n")) == "t.yaml:1:11: api_keys: expected a list, got 'dev'");
  CHECK(OnlyError(Load(kKeys + "data_dir: {a: 1}\n")) ==
        "t.yaml:3:11: data_dir: expected a string, got a mapping");
  CHECK(OnlyError(Load(kKeys + "data_dir:\nlisten: 127.0.0.1:1\n")) ==
        "t.yaml:3:1: data_dir: expected a string, got nothing");
  CHECK(OnlyError(Load(kKeys + "http: 4\n")) == "t.yaml:3:7: http: expected a mapping, got '4'");
  CHECK(OnlyError(Load("- a\n- b\n")) ==
        "t.yaml:1:1: configuration: expected a mapping, got a list");
}

TEST_CASE("every error is reported, in file order") {
  std::string text =
      "listen: localhost\n"                              // 1
      "api_keys:\n"                                      // 2
      "  - {id: Bad Id, sha256: abc, scopes: [root]}\n"  // 3
      "  - {id: b, env: MISSING, scopes: []}\n"          // 4
      "http: {threads: 0}\n"                             // 5
      "log: {level: loud}\n"                             // 6
      "extra: true\n";                                   // 7
  auto errors = Errors(Load(text));
  std::vector<std::string> expected = {
      "t.yaml:1:9: listen: expected HOST:PORT, e.g. 127.0.0.1:8080, got 'localhost'",
      "t.yaml:3:10: id: must be 1 to 64 characters from a-z, 0-9, '_' and '-'",
      "t.yaml:3:26: sha256: expected 64 hexadecimal characters, got 3 characters (the SHA-256 "
      "of the secret: printf %s SECRET | sha256sum)",
      "t.yaml:3:40: scopes: unknown scope 'root' (expected ingest or admin)",
      "t.yaml:4:18: env: environment variable MISSING is not set",
      "t.yaml:4:35: scopes: must list at least one scope (ingest, admin)",
      "t.yaml:5:17: threads: must be between 1 and 4096, got 0",
      "t.yaml:6:14: level: unknown log level 'loud' (expected trace, debug, info, warn, error or "
      "off)",
      "t.yaml:7:1: configuration: unknown key 'extra'",
  };
  CHECK(errors == expected);
}

TEST_CASE("keys from the environment") {
  std::string text = "api_keys:\n  - id: ops\n    env: HERALD_ADMIN_KEY\n    scopes: [admin]\n";
  SUBCASE("set: the secret is hashed") {
    ConfigLoad load = Load(text, {{"HERALD_ADMIN_KEY", "s3cret"}});
    REQUIRE(load.config);
    CHECK(load.config->api_keys[0].sha256_hex == Sha256Hex("s3cret"));
  }
  SUBCASE("unset") {
    CHECK(OnlyError(Load(text)) ==
          "t.yaml:3:10: env: environment variable HERALD_ADMIN_KEY is not set");
  }
  SUBCASE("empty") {
    CHECK(OnlyError(Load(text, {{"HERALD_ADMIN_KEY", ""}})) ==
          "t.yaml:3:10: env: environment variable HERALD_ADMIN_KEY is empty");
  }
  SUBCASE("not a variable name") {
    std::string bad = "api_keys:\n  - {id: a, env: 'A-B', scopes: [admin]}\n";
    CHECK(OnlyError(Load(bad, {{"A-B", "x"}})) ==
          "t.yaml:2:18: env: 'A-B' is not an environment variable name");
  }
  SUBCASE("a null lookup means nothing is set") {
    ConfigLoad load = LoadConfigText(text, "t.yaml", ".", nullptr);
    CHECK(load.errors.size() == 1);
  }
}

TEST_CASE("sha256 must be 64 hex digits, and is lower-cased") {
  auto key = [](const std::string& hash) {
    return "api_keys:\n  - {id: a, sha256: '" + hash + "', scopes: [ingest]}\n";
  };
  CHECK(OnlyError(Load(key(std::string(63, 'a')))).find("got 63 characters") != std::string::npos);
  CHECK(OnlyError(Load(key(std::string(64, 'g'))))
            .find("2:21: sha256: expected 64 hexadecimal characters, got other") !=
        std::string::npos);
  ConfigLoad load = Load(key(std::string(64, 'A')));
  REQUIRE(load.config);
  CHECK(load.config->api_keys[0].sha256_hex == kHashA);
}

TEST_CASE("sha256 and env are exclusive") {
  std::string both = "api_keys:\n  - {id: a, sha256: " + kHashA + ", env: K, scopes: [admin]}\n";
  CHECK(OnlyError(Load(both, {{"K", "x"}})) ==
        "t.yaml:2:87: api key: give either sha256: or env:, not both");
}

TEST_CASE("duplicates") {
  std::string ids = "api_keys:\n  - {id: a, sha256: " + kHashA +
                    ", scopes: [ingest]}\n  - {id: a, sha256: " + kHashB + ", scopes: [admin]}\n";
  CHECK(OnlyError(Load(ids)) ==
        "t.yaml:3:10: id: duplicate api key id 'a' (first given at line 2)");
  std::string hashes = "api_keys:\n  - {id: a, sha256: " + kHashA +
                       ", scopes: [ingest]}\n  - {id: b, sha256: " + kHashA +
                       ", scopes: [admin]}\n";
  CHECK(OnlyError(Load(hashes)) ==
        "t.yaml:3:21: api key 'b' has the same secret as api key 'a'; each key needs its own");
  // The same secret given once as a hash and once through the environment.
  std::string mixed = "api_keys:\n  - {id: a, sha256: " + Sha256Hex("x") +
                      ", scopes: [ingest]}\n  - {id: b, env: K, scopes: [admin]}\n";
  CHECK(OnlyError(Load(mixed, {{"K", "x"}})).find("same secret") != std::string::npos);
}

TEST_CASE("listen forms") {
  auto listen = [](const std::string& value) { return Load(kKeys + "listen: '" + value + "'\n"); };
  CHECK(OnlyError(listen("localhost")).find("expected HOST:PORT") != std::string::npos);
  CHECK(OnlyError(listen("1.2.3.4:99999")) ==
        "t.yaml:3:9: listen: port must be between 0 and 65535, got '99999'");
  CHECK(OnlyError(listen("::1:8080")).find("in brackets") != std::string::npos);
  CHECK(OnlyError(listen(":8080")).find("missing host") != std::string::npos);
  CHECK(OnlyError(listen("1.2.3.999:80")).find("not an IPv4 address") != std::string::npos);
  CHECK(OnlyError(listen("[::1]")).find("expected [IPV6]:PORT") != std::string::npos);
  CHECK(OnlyError(listen("[nope]:80")).find("not an IPv6 address") != std::string::npos);
  CHECK(OnlyError(listen("a_b:80")).find("not a valid host name") != std::string::npos);

  ConfigLoad v6 = listen("[::1]:8080");
  REQUIRE(v6.config);
  CHECK(v6.config->listen_host == "::1");
  CHECK(v6.config->listen_port == 8080);
  ConfigLoad any = listen("0.0.0.0:0");
  REQUIRE(any.config);
  CHECK(any.config->listen_port == 0);
  ConfigLoad name = listen("herald.example.org:65535");
  REQUIRE(name.config);
  CHECK(name.config->listen_host == "herald.example.org");
  CHECK(name.config->listen_port == 65535);
}

TEST_CASE("public_url is checked and normalised") {
  auto url = [](const std::string& value) { return Load(kKeys + "public_url: '" + value + "'\n"); };
  auto ok = [&](const std::string& value) {
    ConfigLoad load = url(value);
    REQUIRE_MESSAGE(load.config, value);
    return load.config->public_url;
  };
  CHECK(ok("HTTPS://Herald.Example.org/") == "https://herald.example.org");
  CHECK(ok("http://localhost:8080/herald//") == "http://localhost:8080/herald");
  CHECK(ok("http://[::1]:8080") == "http://[::1]:8080");
  CHECK(OnlyError(url("ftp://x")).find("http:// or https://") != std::string::npos);
  CHECK(OnlyError(url("localhost:8080")).find("http:// or https://") != std::string::npos);
  CHECK(OnlyError(url("http://")).find("missing host") != std::string::npos);
  CHECK(OnlyError(url("http://u:p@x")).find("credentials") != std::string::npos);
  CHECK(OnlyError(url("http://x/?a=1")).find("query") != std::string::npos);
  CHECK(OnlyError(url("http://x:70000")).find("port") != std::string::npos);
}

TEST_CASE("relative paths resolve against the base directory") {
  std::string text = kKeys +
                     "data_dir: ./data/\n"
                     "campaigns: ../campaigns\n"
                     "templates: /srv/templates\n"
                     "connectors:\n  out: {type: file, path: out/./box}\n";
  ConfigLoad load = Load(text, {}, "/etc/herald");
  REQUIRE(load.config);
  CHECK(load.config->base_dir == "/etc/herald");
  CHECK(load.config->data_dir == "/etc/herald/data");
  CHECK(load.config->campaigns_dir == "/etc/campaigns");
  CHECK(load.config->templates_dir == "/srv/templates");
  CHECK(load.config->connectors.at("out").options["path"] == "/etc/herald/out/box");

  CHECK(ResolvePath(".", "./data") == "data");
  CHECK(ResolvePath("samples", "../data") == "data");
  CHECK(ResolvePath("", "x/") == "x");
  CHECK(OnlyError(Load(kKeys + "data_dir: ~/herald\n")).find("'~' is not expanded") !=
        std::string::npos);
  CHECK(OnlyError(Load(kKeys + "data_dir: ''\n")).find("empty") != std::string::npos);
}

TEST_CASE("a file's paths resolve against its directory") {
  TempFile file(kKeys + "data_dir: state\n");
  ConfigLoad load = LoadConfigFile(file.path, EnvOf({}));
  REQUIRE(load.config);
  CHECK(load.config->data_dir == (file.dir / "state").string());
  CHECK(load.config->source == file.path);
}

TEST_CASE("YAML syntax errors carry their position") {
  std::string err = OnlyError(Load("api_keys: [a, b\nlisten: x\n"));
  CHECK(err.rfind("t.yaml:2:", 0) == 0);
  CHECK(err.find("YAML syntax error: end of sequence flow not found") != std::string::npos);
  CHECK(OnlyError(Load("a: 1\n  b: 2\n")) == "t.yaml:2:4: YAML syntax error: illegal map value");
}

TEST_CASE("missing or unreadable files") {
  ConfigLoad load = LoadConfigFile("/nonexistent/herald.yaml", EnvOf({}));
  REQUIRE(load.errors.size() == 1);
  CHECK(load.errors[0].line == 0);
  CHECK(load.errors[0].ToString() ==
        "/nonexistent/herald.yaml: cannot read config file: No such file or directory");
  ConfigLoad dir = LoadConfigFile(std::filesystem::temp_directory_path().string(), EnvOf({}));
  REQUIRE(dir.errors.size() == 1);
  CHECK(dir.errors[0].message.find("directory") != std::string::npos);
}

TEST_CASE("connector options pass through as JSON") {
  std::string text = kKeys +
                     "connectors:\n"
                     "  hook:\n"
                     "    type: webhook\n"
                     "    url: https://example.org/hook\n"
                     "    retries: 3\n"
                     "    ratio: 0.5\n"
                     "    verify: false\n"
                     "    code: '007'\n"
                     "    mode: off\n"
                     "    nothing: ~\n"
                     "    headers: {X-A: 1, X-B: [b, 2]}\n";
  ConfigLoad load = Load(text);
  REQUIRE_MESSAGE(load.config, (load.errors.empty() ? "" : load.errors[0].ToString()));
  const ConnectorConfig& c = load.config->connectors.at("hook");
  CHECK(c.name == "hook");
  CHECK(c.type == "webhook");
  nlohmann::json expected = {{"url", "https://example.org/hook"},
                             {"retries", 3},
                             {"ratio", 0.5},
                             {"verify", false},
                             {"code", "007"},
                             {"mode", "off"},
                             {"nothing", nullptr},
                             {"headers", {{"X-A", 1}, {"X-B", {"b", 2}}}}};
  CHECK(c.options == expected);

  CHECK(OnlyError(Load(kKeys + "connectors:\n  x: {path: a}\n")) ==
        "t.yaml:4:6: connector 'x': missing required key 'type'");
  CHECK(OnlyError(Load(kKeys + "connectors:\n  Bad: {type: file}\n")).find("name 'Bad'") !=
        std::string::npos);
}

TEST_CASE("status callbacks: url, secret from the environment, retry settings") {
  const Env env = {{"CB_SECRET", "0123456789abcdef"}};
  SUBCASE("defaults ride out a weekend") {
    ConfigLoad load = Load(kKeys +
                               "status_callbacks:\n  url: https://cases.example.org/herald\n"
                               "  secret_env: CB_SECRET\n",
                           env);
    REQUIRE(load.config);
    const StatusCallbackConfig& c = load.config->status_callbacks;
    CHECK(c.url == "https://cases.example.org/herald");
    CHECK(c.secret == "0123456789abcdef");
    CHECK(c.max_attempts == 40);
    CHECK(c.retry_initial_us == 30LL * 1000000);
    CHECK(c.retry_max_us == 3600LL * 1000000);
    CHECK(c.max_age_us == 72LL * 3600 * 1000000);
  }
  SUBCASE("retry settings are read") {
    ConfigLoad load = Load(kKeys +
                               "status_callbacks:\n  url: https://cases.example.org/herald\n"
                               "  secret_env: CB_SECRET\n  max_attempts: 5\n"
                               "  retry_initial: 10s\n  retry_max: 5m\n  max_age: 2h\n",
                           env);
    REQUIRE(load.config);
    const StatusCallbackConfig& c = load.config->status_callbacks;
    CHECK(c.max_attempts == 5);
    CHECK(c.retry_initial_us == 10LL * 1000000);
    CHECK(c.retry_max_us == 300LL * 1000000);
    CHECK(c.max_age_us == 2LL * 3600 * 1000000);
  }
  SUBCASE("retry_max shorter than retry_initial") {
    CHECK(OnlyError(Load(kKeys + "status_callbacks:\n  url: https://cases.example.org/herald\n"
                                 "  secret_env: CB_SECRET\n  retry_initial: 10m\n  retry_max: 1m\n",
                         env)) ==
          "t.yaml:4:3: status_callbacks: retry_max must not be shorter than retry_initial");
  }
  SUBCASE("max_attempts out of range") {
    const std::string e = OnlyError(Load(kKeys + "status_callbacks:\n  url: https://x.example\n"
                                                 "  secret_env: CB_SECRET\n  max_attempts: 0\n",
                                         env));
    CHECK(e.find("t.yaml:6:17:") == 0);
  }
  SUBCASE("a short secret") {
    const std::string e = OnlyError(Load(kKeys + "status_callbacks:\n  url: https://x.example\n"
                                                 "  secret_env: CB_SECRET\n",
                                         {{"CB_SECRET", "short"}}));
    CHECK(e.find("holds fewer than 16 bytes") != std::string::npos);
  }
}

TEST_CASE("retention: pii window and purge interval") {
  SUBCASE("off by default") {
    ConfigLoad load = Load(kKeys);
    REQUIRE(load.config);
    CHECK(load.config->retention.pii_us == 0);
    CHECK(load.config->retention.purge_every_us == 3600LL * 1000000);
  }
  SUBCASE("read") {
    ConfigLoad load = Load(kKeys + "retention:\n  pii: 90d\n  purge_every: 15m\n");
    REQUIRE(load.config);
    CHECK(load.config->retention.pii_us == 90LL * 86400 * 1000000);
    CHECK(load.config->retention.purge_every_us == 15LL * 60 * 1000000);
  }
  SUBCASE("too short a window") {
    CHECK(OnlyError(Load(kKeys + "retention:\n  pii: 2h\n")) ==
          "t.yaml:4:8: pii: keep personal data at least 1d (or 0 to keep it)");
  }
  SUBCASE("unknown key") {
    CHECK(OnlyError(Load(kKeys + "retention:\n  bodies: 2d\n")).find("t.yaml:4:3:") == 0);
  }
}

TEST_CASE("log levels") {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    ConfigLoad load = Load(kKeys + "log: {level: " + level + "}\n");
    REQUIRE(load.config);
    CHECK(load.config->log_level == level);
  }
  CHECK(OnlyError(Load(kKeys + "log: {level: warning}\n")) ==
        "t.yaml:3:14: level: unknown log level 'warning' (expected trace, debug, info, warn, "
        "error or off)");
}

TEST_CASE("limits and http settings") {
  ConfigLoad load =
      Load(kKeys +
           "limits: {max_body_bytes: 1024, max_batch_events: 5, max_json_depth: 512,"
           " max_string_bytes: 64}\n"
           "http: {threads: 2, keep_alive_max_requests: 10, read_timeout_seconds: 5}\n");
  REQUIRE(load.config);
  CHECK(load.config->limits.max_body_bytes == 1024);
  CHECK(load.config->limits.max_batch_events == 5);
  CHECK(load.config->limits.max_json_depth == 512);
  CHECK(load.config->limits.max_string_bytes == 64);
  CHECK(load.config->http.threads == 2);
  CHECK(load.config->http.keep_alive_max_requests == 10);
  CHECK(load.config->http.read_timeout_seconds == 5);
  CHECK(load.config->http.auth_failures_per_minute == 20);  // the default
  CHECK(OnlyError(Load(kKeys + "limits: {max_json_depth: 513}\n")) ==
        "t.yaml:3:26: max_json_depth: must be between 1 and 512, got 513");
  CHECK(OnlyError(Load(kKeys + "limits: {max_body_bytes: -1}\n")).find("must be between 1") !=
        std::string::npos);
  CHECK(OnlyError(Load(kKeys + "limits: {max_body_bytes: 99999999999999999999999}\n"))
            .find("must be between 1") != std::string::npos);
}

TEST_CASE("http.auth_failures_per_minute: a count, 0 turns the limit off") {
  ConfigLoad load = Load(kKeys + "http:\n  auth_failures_per_minute: 100\n");
  REQUIRE(load.config);
  CHECK(load.config->http.auth_failures_per_minute == 100);
  load = Load(kKeys + "http: {auth_failures_per_minute: 0}\n");
  REQUIRE(load.config);
  CHECK(load.config->http.auth_failures_per_minute == 0);
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failures_per_minute: -1\n")) ==
        "t.yaml:4:29: auth_failures_per_minute: must be between 0 and 1000000, got -1");
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failures_per_minute: 1000001\n")) ==
        "t.yaml:4:29: auth_failures_per_minute: must be between 0 and 1000000, got 1000001");
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failures_per_minute: twenty\n")) ==
        "t.yaml:4:29: auth_failures_per_minute: expected an integer, got 'twenty'");
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failures_per_minute: 2.5\n")).find("t.yaml:4:29:") ==
        0);
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failures_per_minute:\n")).find("t.yaml:4:") == 0);
  CHECK(OnlyError(Load(kKeys + "http:\n  auth_failure_per_minute: 5\n"))
            .find("did you mean 'auth_failures_per_minute'") != std::string::npos);
}

TEST_CASE("api_keys is required and non-empty; scopes are checked") {
  CHECK(OnlyError(Load("listen: 127.0.0.1:1\n")) ==
        "t.yaml:1:1: configuration: missing required key 'api_keys'");
  CHECK(OnlyError(Load("api_keys: []\n")).find("at least one key") != std::string::npos);
  CHECK(
      OnlyError(Load("api_keys:\n  - {id: a, sha256: " + kHashA + ", scopes: [admin, admin]}\n")) ==
      "t.yaml:2:103: scopes: 'admin' is listed twice");
  CHECK(OnlyError(Load("api_keys:\n  - {id: a, sha256: " + kHashA + "}\n")) ==
        "t.yaml:2:5: api key: missing required key 'scopes'");
}

TEST_CASE("structural problems") {
  CHECK(OnlyError(Load("")) ==
        "t.yaml:1:1: the configuration is empty; at least api_keys is required");
  CHECK(OnlyError(Load(kKeys + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n")) ==
        "t.yaml:4:1: duplicate key 'listen' (first given at line 3)");
  CHECK(OnlyError(Load(kKeys + "---\nother: 1\n")) ==
        "t.yaml:4:1: only one YAML document is allowed");
}

TEST_CASE("ConfigError formatting") {
  CHECK(ConfigError{"f.yaml", 3, 7, "bad"}.ToString() == "f.yaml:3:7: bad");
  CHECK(ConfigError{"f.yaml", 0, 0, "missing"}.ToString() == "f.yaml: missing");
}

}  // namespace
}  // namespace herald
