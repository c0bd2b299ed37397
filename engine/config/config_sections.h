// Readers of the messaging sections of herald.yaml (agency, email, channels, delivery,
// status_callbacks, sms_replies, a connector's rate), split from config.cc to keep files small.
// Internal to engine/config; each reports its problems to `diag` and leaves the defaults
// in place for a value it could not read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/config/config.h"
#include "engine/config/yaml_reader.h"

namespace herald::config_internal {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

void ReadAgency(const YamlEntry& e, Diagnostics* diag, AgencyConfig* out);
void ReadEmail(const YamlEntry& e, Diagnostics* diag, EmailConfig* out);
void ReadDelivery(const YamlEntry& e, Diagnostics* diag, DeliveryConfig* out);
void ReadRetention(const YamlEntry& e, Diagnostics* diag, RetentionConfig* out);
void ReadStatusCallbacks(const YamlEntry& e, Diagnostics* diag, const EnvLookup& env,
                         StatusCallbackConfig* out);
// `channels: {email: [a, b], sms: [c]}`. Names are checked against the connectors once
// the whole file is read: `refs` gets each (name, node).
void ReadChannels(const YamlEntry& e, Diagnostics* diag, DeliveryConfig* out,
                  std::vector<std::pair<std::string, YAML::Node>>* refs);
// `sms_replies: {<locale>: {help, stop, start}}`: locales checked with IsValidLocale and
// unique ignoring ASCII case; each text one line of UTF-8 without control characters.
// Segments are counted later, by the layer that has the counter (CheckSmsReplies in
// templates/pages/sms_replies.h), at the positions kept in each SmsReplyText.
void ReadSmsReplies(const YamlEntry& e, Diagnostics* diag, std::vector<SmsReplySet>* out);
// A connector's `rate: {per_second, burst}`; false when it was wrong.
bool ReadConnectorRate(const YamlEntry& e, Diagnostics* diag, ConnectorConfig* out);

// "Name <addr@example.org>" or "addr@example.org"; false with `error` set otherwise.
bool ParseMailbox(std::string_view text, std::string* name, std::string* address,
                  std::string* error);

}  // namespace herald::config_internal
