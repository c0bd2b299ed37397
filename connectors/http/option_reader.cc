#include "connectors/http/option_reader.h"

#include <cmath>
#include <cstdlib>

#include "engine/core/validate.h"

namespace herald::http {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

const nlohmann::json& EmptyObject() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

}  // namespace

OptionReader::OptionReader(const ConnectorConfig& config)
    : name_(config.name), options_(config.options.is_object() ? config.options : EmptyObject()) {
  if (!config.options.is_object() && !config.options.is_null()) {
    errors_.push_back("connectors." + name_ + ": options must be a mapping");
  }
}

const nlohmann::json* OptionReader::Find(std::string_view key) {
  known_.emplace(key);
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool OptionReader::Has(std::string_view key) {
  return Find(key) != nullptr;
}

const nlohmann::json* OptionReader::Raw(std::string_view key) {
  return Find(key);
}

std::optional<std::string> OptionReader::String(std::string_view key) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Error(key, "must be a string");
    return std::nullopt;
  }
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty()) {
    Error(key, "must not be empty");
    return std::nullopt;
  }
  if (FindInvalidUtf8(s) || ContainsControl(s)) {
    Error(key, "must be UTF-8 text without control characters (CR, LF, tab, ...)");
    return std::nullopt;
  }
  return s;
}

std::optional<double> OptionReader::Number(std::string_view key, double min, double max) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    Error(key, "must be a number");
    return std::nullopt;
  }
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    Error(key,
          "must be between " + nlohmann::json(min).dump() + " and " + nlohmann::json(max).dump());
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> OptionReader::Integer(std::string_view key, int64_t min, int64_t max) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    Error(key, "must be an integer");
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
    Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  int64_t n = v->get<int64_t>();
  if (n < min || n > max) {
    Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> OptionReader::Bool(std::string_view key) {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Error(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> OptionReader::Secret(std::string_view key, std::string_view env_key,
                                                const EnvLookup& env) {
  bool inline_given = Has(key);
  bool env_given = Has(env_key);
  if (inline_given && env_given) {
    Error(key, "give either " + std::string(key) + " or " + std::string(env_key) + ", not both");
    return std::nullopt;
  }
  if (!inline_given && !env_given) {
    Error(key, "required (or " + std::string(env_key) + ", the name of an environment variable)");
    return std::nullopt;
  }
  if (inline_given) {
    // Checked like String(), but the message never shows the value.
    const nlohmann::json* v = Find(key);
    if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
      Error(key, "must be a non-empty string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }
  std::optional<std::string> var = String(env_key);
  if (!var) return std::nullopt;
  std::optional<std::string> value = env ? env(*var) : std::nullopt;
  if (!value || value->empty()) {
    Error(env_key, "environment variable " + *var + " is not set or empty");
    return std::nullopt;
  }
  return value;
}

void OptionReader::Error(std::string_view field, std::string_view problem) {
  errors_.push_back("connectors." + name_ + "." + std::string(field) + ": " + std::string(problem));
}

void OptionReader::Missing(std::string_view field) {
  Error(field, "required");
}

Status OptionReader::Finish() {
  for (auto it = options_.begin(); it != options_.end(); ++it) {
    if (known_.count(it.key()) == 0) Error(it.key(), "unknown option");
  }
  if (errors_.empty()) return Status::Ok();
  std::string all;
  for (const std::string& e : errors_) {
    if (!all.empty()) all += '\n';
    all += e;
  }
  return Status::InvalidArgument(std::move(all));
}

}  // namespace herald::http
