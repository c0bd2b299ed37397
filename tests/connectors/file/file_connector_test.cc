#include "connectors/file/file_connector.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "tests/cli/subprocess.h"
#include "tests/test_util.h"

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;

std::unique_ptr<Connector> MakeFileConnector(const std::string& path) {
  ConnectorConfig config;
  config.name = "outbox";
  config.type = "file";
  config.options = {{"path", path}};
  Result<std::unique_ptr<Connector>> c = CreateFileConnector(config, ConnectorEnv{});
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return std::move(c).value();
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

OutboundMessage Email(const std::string& id, const std::string& mime) {
  OutboundMessage m;
  m.id = id;
  m.channel = Channel::kEmail;
  m.to = "jane@example.org";
  m.mime = mime;
  return m;
}

TEST_CASE("email is written as <id>.eml, exactly as given") {
  TempDir dir;
  auto c = MakeFileConnector(dir.Sub("out"));  // created on first use
  CHECK(c->name() == "outbox");
  CHECK(c->type() == "file");
  CHECK(c->channels() == std::vector<Channel>{Channel::kEmail, Channel::kSms});
  const std::string mime = "Subject: hi\r\n\r\n.body\r\nno final break";
  const SendOutcome out = c->Send(Email("msg-1", mime));
  REQUIRE_MESSAGE(out.kind == SendOutcome::Kind::kAccepted, out.reason);
  CHECK(out.provider_id == "msg-1.eml");
  CHECK(ReadFile(dir.Sub("out/msg-1.eml")) == mime);
  CHECK(Names(dir.Sub("out")) == std::vector<std::string>{"msg-1.eml"});
  CHECK((fs::status(dir.Sub("out/msg-1.eml")).permissions() & fs::perms::others_read) ==
        fs::perms::none);
}

TEST_CASE("SMS is written as <id>.json") {
  TempDir dir;
  auto c = MakeFileConnector(dir.str());
  OutboundMessage m;
  m.id = "sms-1";
  m.channel = Channel::kSms;
  m.to = "+14155550100";
  m.sms_text = "Your case C-9 needs documents. Reply STOP to opt out.";
  m.status_callback_url = "https://herald.example/receipts";
  m.metadata = {{"campaign", "docs"}, {"case_id", "C-9"}};
  const SendOutcome out = c->Send(m);
  REQUIRE(out.kind == SendOutcome::Kind::kAccepted);
  CHECK(out.provider_id == "sms-1.json");
  const nlohmann::json j = nlohmann::json::parse(ReadFile(dir.Sub("sms-1.json")));
  CHECK(j["id"] == "sms-1");
  CHECK(j["channel"] == "sms");
  CHECK(j["to"] == "+14155550100");
  CHECK(j["text"] == m.sms_text);
  CHECK(j["status_callback_url"] == "https://herald.example/receipts");
  CHECK(j["metadata"]["case_id"] == "C-9");
}

TEST_CASE("the same id twice is one file; concurrent writers never leave partial files") {
  TempDir dir;
  auto c = MakeFileConnector(dir.str());
  REQUIRE(c->Send(Email("dup", "first\r\n")).kind == SendOutcome::Kind::kAccepted);
  REQUIRE(c->Send(Email("dup", "second\r\n")).kind == SendOutcome::Kind::kAccepted);
  CHECK(Names(dir.path()) == std::vector<std::string>{"dup.eml"});
  CHECK(ReadFile(dir.Sub("dup.eml")) == "second\r\n");

  const std::string big(1 << 20, 'x');
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        CHECK(c->Send(Email("same", big)).kind == SendOutcome::Kind::kAccepted);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(Names(dir.path()) == std::vector<std::string>{"dup.eml", "same.eml"});  // no temp left
  CHECK(ReadFile(dir.Sub("same.eml")) == big);
}

TEST_CASE("ids are made safe file names") {
  CHECK(FileConnectorStem("camp:rule/C-9") == "camp%3Arule%2FC-9");
  CHECK(FileConnectorStem("../etc/passwd") == "%2E.%2Fetc%2Fpasswd");
  CHECK(FileConnectorStem(".hidden") == "%2Ehidden");
  CHECK(FileConnectorStem("a.b_c-D") == "a.b_c-D");
  const std::string long_a(300, 'a'), long_b = std::string(299, 'a') + "b";
  CHECK(FileConnectorStem(long_a).size() == 150);
  CHECK(FileConnectorStem(long_a) != FileConnectorStem(long_b));

  TempDir dir;
  auto c = MakeFileConnector(dir.str());
  const SendOutcome out = c->Send(Email("../escape", "x\r\n"));
  REQUIRE(out.kind == SendOutcome::Kind::kAccepted);
  CHECK(out.provider_id == "%2E.%2Fescape.eml");
  CHECK(fs::exists(dir.Sub("%2E.%2Fescape.eml")));
}

TEST_CASE("an unwritable folder is temporary; bad messages are permanent") {
  TempDir dir;
  { std::ofstream(dir.Sub("a-file")) << "x"; }
  // A folder under a regular file can never be created (even by root).
  auto c = MakeFileConnector(dir.Sub("a-file/out"));
  const SendOutcome out = c->Send(Email("m", "x\r\n"));
  CHECK(out.kind == SendOutcome::Kind::kTemporary);
  CHECK(out.reason.find("cannot create the output folder: ") == 0);
  CHECK(out.reason.find(dir.str()) == std::string::npos);  // no path in the reason

  auto ok = MakeFileConnector(dir.str());
  CHECK(ok->Send(Email("", "x\r\n")).kind == SendOutcome::Kind::kPermanent);
  CHECK(ok->Send(Email("m", "")).kind == SendOutcome::Kind::kPermanent);
}

TEST_CASE("file options: path required, unknown options named") {
  ConnectorConfig config;
  config.name = "outbox";
  config.type = "file";
  config.options = {{"path", 42}, {"folder", "x"}};
  Result<std::unique_ptr<Connector>> r = CreateFileConnector(config, ConnectorEnv{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message() ==
        "connectors.outbox.folder: unknown option for a file connector (known: path)\n"
        "connectors.outbox.path: must be a non-empty string (a folder)");
  config.options = nlohmann::json::object();
  CHECK(CreateFileConnector(config, ConnectorEnv{}).status().message() ==
        "connectors.outbox.path: required (the folder messages are written to)");
}

}  // namespace
}  // namespace herald
