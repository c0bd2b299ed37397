// The smtp connector against a real SMTP server (aiosmtpd, tests/connectors/smtp/
// smtp_test_server.py) on a loopback port.
#include "connectors/smtp/smtp_connector.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "templates/mime/mime_message.h"
#include "tests/connectors/smtp/smtp_test_server.h"

namespace herald {
namespace {

using testing::SmtpTestServer;

std::unique_ptr<Connector> MakeConnector(nlohmann::json options) {
  ConnectorConfig config;
  config.name = "mail";
  config.type = "smtp";
  config.options = std::move(options);
  FakeClock clock;
  Result<std::unique_ptr<Connector>> c = CreateSmtpConnector(config, ConnectorEnv{&clock});
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return std::move(c).value();
}

nlohmann::json Options(const SmtpTestServer& server) {
  return {{"url", server.url()}, {"from", "bounces@herald.example"}, {"timeout_seconds", 20}};
}

OutboundMessage Email(const std::string& id, const std::string& to, const std::string& mime) {
  OutboundMessage m;
  m.id = id;
  m.channel = Channel::kEmail;
  m.to = to;
  m.mime = mime;
  return m;
}

// A small valid message whose body has the lines SMTP transparency is about.
std::string RawMessage(const std::string& subject, const std::string& body) {
  return "From: Office <office@herald.example>\r\n"
         "To: jane@example.org\r\n"
         "Subject: " +
         subject +
         "\r\n"
         "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
         "Message-ID: <" +
         subject +
         "@herald.example>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n"
         "\r\n" +
         body;
}

TEST_CASE("messages arrive byte for byte, dots intact, over one reused connection") {
  SmtpTestServer server;
  REQUIRE_MESSAGE(server.port() > 0, server.errors());
  auto connector = MakeConnector(Options(server));
  CHECK(connector->type() == "smtp");
  CHECK(connector->max_concurrency() == 4);

  const std::vector<std::string> bodies = {
      ".starts with a dot\r\n..two dots\r\n.\r\nmiddle\r\n. space after dot\r\n",
      "bare LF line ends\n.dot after LF\nlast line without a break",
      ".\r\n",
      "plain\r\n\r\n\r\n",
      "a lone CR\rthen text\r\n.. \r\n",
  };
  std::vector<std::string> sent;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const std::string mime = RawMessage("m" + std::to_string(i), bodies[i]);
    sent.push_back(PrepareSmtpPayload(mime));
    const SendOutcome out =
        connector->Send(Email("id-" + std::to_string(i), "jane@example.org", mime));
    INFO(out.reason, server.errors());
    REQUIRE(out.kind == SendOutcome::Kind::kAccepted);
    CHECK(out.provider_id == "Q0000" + std::to_string(i + 1));  // from "queued as Q0000n"
  }
  const auto received = server.Messages();
  REQUIRE(received.size() == bodies.size());
  for (size_t i = 0; i < received.size(); ++i) {
    CAPTURE(i);
    CHECK(received[i].data == sent[i]);  // transparency undone: exactly what was meant
    CHECK(received[i].info["defects"].empty());
    CHECK(received[i].info["mail_from"] == "bounces@herald.example");
    CHECK(received[i].info["rcpt_tos"] == nlohmann::json::array({"jane@example.org"}));
    CHECK(received[i].info["connection"] == 1);
  }
  // One connection for five messages: connect and EHLO happened once.
  CHECK(server.Stats()["connections"] == 1);
}

TEST_CASE("PrepareSmtpPayload makes CRLF line ends and adds a final one; it never stuffs dots") {
  CHECK(PrepareSmtpPayload("a\nb") == "a\r\nb\r\n");
  CHECK(PrepareSmtpPayload("a\r\n.b\r\n") == "a\r\n.b\r\n");
  CHECK(PrepareSmtpPayload("a\rb\r\n\n") == "a\r\nb\r\n\r\n");
  CHECK(PrepareSmtpPayload(".") == ".\r\n");
}

TEST_CASE("a message from the MIME builder arrives clean under a strict parse") {
  SmtpTestServer server;
  REQUIRE(server.port() > 0);
  auto connector = MakeConnector(Options(server));
  MimeMessageSpec spec;
  spec.from = {"office@herald.example", "Văn phòng"};
  spec.to = {"jane@example.org", "Jane"};
  spec.subject = "您的申请 — documents requested";
  spec.text = "Hello,\n.\n.a line with a dot\nFrom here on\n" + std::string(300, 'x') + "\n";
  spec.html = "<p>Hello</p>\n<p>.</p>\n";
  spec.message_id = "msg-7";
  spec.unsubscribe_url = "https://herald.example/u/7";
  Result<std::string> mime = BuildMimeMessage(spec);
  REQUIRE(mime.ok());
  const SendOutcome out = connector->Send(Email("msg-7", "jane@example.org", *mime));
  REQUIRE_MESSAGE(out.kind == SendOutcome::Kind::kAccepted, out.reason);
  const auto received = server.Messages();
  REQUIRE(received.size() == 1);
  CHECK(received[0].data == *mime);
  CHECK(received[0].info["defects"].empty());
  CHECK(received[0].info["subject"] == spec.subject);
}

TEST_CASE("4xx is temporary, 5xx to RCPT or DATA is permanent; no address in the reason") {
  SmtpTestServer server;
  REQUIRE(server.port() > 0);
  auto connector = MakeConnector(Options(server));

  const SendOutcome temp =
      connector->Send(Email("t", "tempfail@example.org", RawMessage("t", "body\r\n")));
  CHECK(temp.kind == SendOutcome::Kind::kTemporary);
  CHECK(temp.code == "451");
  CHECK(temp.reason.find("RCPT: 451") == 0);
  CHECK(temp.reason.find("greylisted") != std::string::npos);
  CHECK(temp.reason.find("tempfail") == std::string::npos);
  CHECK(temp.reason.find("[email]") != std::string::npos);

  const SendOutcome rejected =
      connector->Send(Email("r", "reject.me@example.org", RawMessage("r", "body\r\n")));
  CHECK(rejected.kind == SendOutcome::Kind::kPermanent);
  CHECK(rejected.code == "550");
  CHECK(rejected.reason.find("RCPT: 550") == 0);
  CHECK(rejected.reason.find("reject.me") == std::string::npos);

  const SendOutcome data_rejected =
      connector->Send(Email("d", "jane@example.org", RawMessage("REJECT-DATA", "body\r\n")));
  CHECK(data_rejected.kind == SendOutcome::Kind::kPermanent);
  CHECK(data_rejected.code == "554");
  CHECK(data_rejected.reason.find("END OF DATA: 554") == 0);

  // The connector goes on working after refusals.
  const SendOutcome ok =
      connector->Send(Email("ok", "jane@example.org", RawMessage("ok", "b\r\n")));
  CHECK_MESSAGE(ok.kind == SendOutcome::Kind::kAccepted, ok.reason);
  CHECK(server.Messages().size() == 1);

  // Invalid addresses never reach the server (no CR LF can be smuggled into RCPT).
  const SendOutcome bad =
      connector->Send(Email("b", "jane@example.org>\r\nRCPT TO:<x@example.org", "x\r\n"));
  CHECK(bad.kind == SendOutcome::Kind::kPermanent);
  OutboundMessage bad_sender = Email("s", "jane@example.org", RawMessage("s", "b\r\n"));
  bad_sender.envelope_from = "not an address";
  CHECK(connector->Send(bad_sender).kind == SendOutcome::Kind::kPermanent);
}

TEST_CASE("AUTH with a password or a password from the environment") {
  SmtpTestServer server("herald:s3cret");
  REQUIRE(server.port() > 0);
  nlohmann::json options = Options(server);
  options["username"] = "herald";
  options["password"] = "s3cret";
  auto connector = MakeConnector(options);
  for (int i = 0; i < 3; ++i) {
    const SendOutcome out = connector->Send(
        Email("a" + std::to_string(i), "jane@example.org", RawMessage("a", "b\r\n")));
    REQUIRE_MESSAGE(out.kind == SendOutcome::Kind::kAccepted, out.reason);
  }
  const auto received = server.Messages();
  REQUIRE(received.size() == 3);
  CHECK(received[0].info["auth_user"] == "herald");
  // Three messages, one connection, one AUTH.
  CHECK(server.Stats()["connections"] == 1);
  CHECK(server.Stats()["auth_ok"] == 1);

  ::setenv("HERALD_SMTP_TEST_PASSWORD", "s3cret", 1);
  options.erase("password");
  options["password_env"] = "HERALD_SMTP_TEST_PASSWORD";
  auto from_env = MakeConnector(options);
  const SendOutcome env_out =
      from_env->Send(Email("e", "jane@example.org", RawMessage("e", "b\r\n")));
  CHECK_MESSAGE(env_out.kind == SendOutcome::Kind::kAccepted, env_out.reason);
  ::unsetenv("HERALD_SMTP_TEST_PASSWORD");

  options.erase("password_env");
  options["password"] = "wrong";
  auto wrong = MakeConnector(options);
  const SendOutcome denied = wrong->Send(Email("w", "jane@example.org", RawMessage("w", "b\r\n")));
  CHECK(denied.kind == SendOutcome::Kind::kTemporary);  // our settings, not the message
  CHECK(denied.code == "535");
  CHECK(denied.reason.find("AUTH: 535") == 0);
  CHECK(denied.reason.find("wrong") == std::string::npos);

  options.erase("username");
  options.erase("password");
  auto anonymous = MakeConnector(options);
  const SendOutcome refused =
      anonymous->Send(Email("n", "jane@example.org", RawMessage("n", "b\r\n")));
  CHECK(refused.kind == SendOutcome::Kind::kTemporary);  // 530 to MAIL: our settings
  CHECK(refused.code == "530");
}

TEST_CASE("concurrent sends share at most `concurrency` connections") {
  SmtpTestServer server;
  REQUIRE(server.port() > 0);
  nlohmann::json options = Options(server);
  options["concurrency"] = 2;
  auto connector = MakeConnector(options);
  CHECK(connector->max_concurrency() == 2);
  std::vector<std::thread> threads;
  std::vector<SendOutcome::Kind> kinds(12, SendOutcome::Kind::kTemporary);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const int n = t * 3 + i;
        kinds[n] = connector
                       ->Send(Email("c" + std::to_string(n), "jane@example.org",
                                    RawMessage("c", "body\r\n")))
                       .kind;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (SendOutcome::Kind k : kinds) CHECK(k == SendOutcome::Kind::kAccepted);
  CHECK(server.Messages().size() == 12);
  CHECK(server.Stats()["connections"] <= 2);
}

TEST_CASE("a dead server is temporary") {
  SUBCASE("connection refused") {
    // A bound socket that does not listen: connecting to its port is refused.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    auto connector =
        MakeConnector({{"url", "smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))},
                       {"from", "bounces@herald.example"}});
    const SendOutcome out =
        connector->Send(Email("x", "jane@example.org", RawMessage("x", "b\r\n")));
    ::close(fd);
    CHECK(out.kind == SendOutcome::Kind::kTemporary);
    CHECK(out.code.empty());
    CHECK(out.reason.find("CONNECT: ") == 0);
  }
  SUBCASE("the server goes away between messages") {
    SmtpTestServer server;
    REQUIRE(server.port() > 0);
    auto connector = MakeConnector(Options(server));
    REQUIRE(connector->Send(Email("1", "jane@example.org", RawMessage("a", "b\r\n"))).kind ==
            SendOutcome::Kind::kAccepted);
    server.Kill();
    const SendOutcome out =
        connector->Send(Email("2", "jane@example.org", RawMessage("a", "b\r\n")));
    CHECK(out.kind == SendOutcome::Kind::kTemporary);
  }
}

}  // namespace
}  // namespace herald
