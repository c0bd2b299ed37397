#include "connectors/registry.h"

#include <doctest/doctest.h>

#include "tests/test_util.h"

namespace herald {
namespace {

TEST_CASE("the registry lists the built-in types in a fixed order") {
  std::vector<std::string> types;
  for (const ConnectorFactory& f : ConnectorFactories()) {
    types.emplace_back(f.type);
    CHECK((f.create != nullptr));
    CHECK_FALSE(f.channels.empty());
  }
  REQUIRE(types.size() >= 2);
  CHECK(types[0] == "file");
  CHECK(types[1] == "smtp");
  CHECK(ConnectorFactories()[0].channels == std::vector<Channel>{Channel::kEmail, Channel::kSms});
  CHECK(ConnectorFactories()[1].channels == std::vector<Channel>{Channel::kEmail});
}

TEST_CASE("CreateConnector makes a connector or names the problem") {
  testing::TempDir dir;
  FakeClock clock;
  ConnectorConfig config;
  config.name = "dev";
  config.type = "file";
  config.options = {{"path", dir.str()}};
  Result<std::unique_ptr<Connector>> c = CreateConnector(config, ConnectorEnv{&clock});
  REQUIRE(c.ok());
  CHECK((*c)->name() == "dev");
  CHECK((*c)->type() == "file");

  config.type = "smtp";
  config.options = {{"url", "smtp://127.0.0.1:2525"}, {"from", "a@example.org"}};
  c = CreateConnector(config, ConnectorEnv{&clock});
  REQUIRE(c.ok());
  CHECK((*c)->type() == "smtp");

  config.type = "pigeon";
  Result<std::unique_ptr<Connector>> unknown = CreateConnector(config, ConnectorEnv{&clock});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().IsInvalidArgument());
  CHECK(unknown.status().message().find("connectors.dev.type: unknown connector type \"pigeon\" "
                                        "(known: file, smtp") == 0);

  config.type = "file";
  config.options = nlohmann::json::array();
  CHECK(CreateConnector(config, ConnectorEnv{&clock}).status().message() ==
        "connectors.dev: options must be a mapping");
  config.options = {{"path", dir.str()}, {"colour", "blue"}};
  CHECK(CreateConnector(config, ConnectorEnv{&clock}).status().message() ==
        "connectors.dev.colour: unknown option for a file connector (known: path)");
}

TEST_CASE("SendOutcomeKindName") {
  CHECK(SendOutcomeKindName(SendOutcome::Kind::kAccepted) == "accepted");
  CHECK(SendOutcomeKindName(SendOutcome::Kind::kTemporary) == "temporary");
  CHECK(SendOutcomeKindName(SendOutcome::Kind::kPermanent) == "permanent");
  CHECK(SendOutcomeKindName(SendOutcome::Kind::kSuppress) == "suppress");
}

}  // namespace
}  // namespace herald
