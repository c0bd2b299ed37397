// The connector registry: type name -> factory, in one explicit list (registry.cc).
//
// CreateConnector validates a connector's options once, at start-up, and returns either
// a ready connector or every problem with its options (field names, not values: options
// may hold secrets). An unknown type is an error naming the known ones.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "engine/config/config.h"
#include "engine/core/result.h"

namespace herald {

// What a connector may need from the engine, injected (no globals).
struct ConnectorEnv {
  Clock* clock = nullptr;  // for Date headers, timeouts; never null when created by serve
};

using ConnectorFactoryFn = Result<std::unique_ptr<Connector>> (*)(const ConnectorConfig& config,
                                                                  const ConnectorEnv& env);

struct ConnectorFactory {
  std::string_view type;          // "file", "smtp", "twilio", "webhook"
  std::vector<Channel> channels;  // what connectors of this type can carry
  ConnectorFactoryFn create;
};

// Every built-in type, in a fixed order.
const std::vector<ConnectorFactory>& ConnectorFactories();

// Makes the connector `config` describes. InvalidArgument with "connectors.<name>.<field>:
// problem" messages (several joined by "\n") when the options are wrong.
Result<std::unique_ptr<Connector>> CreateConnector(const ConnectorConfig& config,
                                                   const ConnectorEnv& env);

}  // namespace herald
