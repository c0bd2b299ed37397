#include "connectors/registry.h"

#include <string>

#include "connectors/file/file_connector.h"
#include "connectors/smtp/smtp_connector.h"
#include "connectors/twilio/twilio_connector.h"
#include "connectors/webhook/webhook_connector.h"

namespace herald {

const std::vector<ConnectorFactory>& ConnectorFactories() {
  // One line per built-in type; each factory is declared in its folder's header.
  static const std::vector<ConnectorFactory> factories = {
      {"file", {Channel::kEmail, Channel::kSms}, &CreateFileConnector},
      {"smtp", {Channel::kEmail}, &CreateSmtpConnector},
      {"twilio", {Channel::kSms}, &CreateTwilioConnector},
      {"webhook", {Channel::kEmail, Channel::kSms}, &CreateWebhookConnector},
  };
  return factories;
}

Result<std::unique_ptr<Connector>> CreateConnector(const ConnectorConfig& config,
                                                   const ConnectorEnv& env) {
  std::string known;
  for (const ConnectorFactory& factory : ConnectorFactories()) {
    if (factory.type == config.type) {
      if (!config.options.is_object()) {
        return Status::InvalidArgument("connectors." + config.name + ": options must be a mapping");
      }
      return factory.create(config, env);
    }
    known += (known.empty() ? "" : ", ") + std::string(factory.type);
  }
  return Status::InvalidArgument("connectors." + config.name + ".type: unknown connector type \"" +
                                 config.type + "\" (known: " + known + ")");
}

}  // namespace herald
