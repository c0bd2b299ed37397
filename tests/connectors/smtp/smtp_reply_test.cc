#include "connectors/smtp/smtp_reply.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

using Kind = SendOutcome::Kind;

TEST_CASE("the transcript follows stages and multi-line replies") {
  SmtpTranscript t;
  CHECK(t.stage() == SmtpStage::kConnect);
  t.OnReplyLine("220 mx.example ESMTP\r\n");
  CHECK(t.code() == 220);
  t.OnCommand("EHLO herald.example\r\n");
  CHECK(t.stage() == SmtpStage::kHello);
  CHECK(t.code() == 0);
  t.OnReplyLine("250-mx.example\r\n");
  CHECK(t.code() == 0);  // not complete yet
  t.OnReplyLine("250-PIPELINING\r\n");
  t.OnReplyLine("250 AUTH PLAIN LOGIN\r\n");
  CHECK(t.code() == 250);
  CHECK(t.text() == "mx.example PIPELINING AUTH PLAIN LOGIN");
  t.OnCommand("AUTH PLAIN\r\n");
  t.OnReplyLine("334 \r\n");
  t.OnCommand("aGVyYWxkAGhlcmFsZABzM2NyZXQ=\r\n");  // a SASL line stays in AUTH
  CHECK(t.stage() == SmtpStage::kAuth);
  t.OnCommand("MAIL FROM:<a@b.example> SIZE=10\r\n");
  CHECK(t.stage() == SmtpStage::kMail);
  t.OnCommand("rcpt TO:<c@d.example>\r\n");
  CHECK(t.stage() == SmtpStage::kRcpt);
  t.OnCommand("DATA\r\n");
  t.OnBodyData();  // no 354 yet: still DATA
  CHECK(t.stage() == SmtpStage::kData);
  t.OnReplyLine("354 go ahead\r\n");
  t.OnBodyData();
  CHECK(t.stage() == SmtpStage::kEndOfData);
  t.OnBodyData();
  t.OnReplyLine("250 2.0.0 Ok: queued as 4Bc9xY1z\r\n");
  CHECK(t.code() == 250);
  CHECK(QueueIdFromReply(t.text()) == "4Bc9xY1z");
  t.OnReplyLine("not a reply\r\n");
  CHECK(t.code() == 250);
}

TEST_CASE("queue ids") {
  CHECK(QueueIdFromReply("2.0.0 Ok: queued as 4Bc9xY1z") == "4Bc9xY1z");
  CHECK(QueueIdFromReply("OK queued as <abc-123>") == "abc-123");
  CHECK(QueueIdFromReply("Queued As: X1.") == "X1");
  CHECK(QueueIdFromReply("2.0.0 OK 1700000000 a1-2 - gsmtp") == "");
  CHECK(QueueIdFromReply("") == "");
}

SendOutcome Classify(SmtpStage stage, const std::string& command, const std::string& reply) {
  SmtpTranscript t;
  if (!command.empty()) t.OnCommand(command);
  if (stage == SmtpStage::kEndOfData) {
    t.OnReplyLine("354 go\r\n");
    t.OnBodyData();
  }
  if (!reply.empty()) t.OnReplyLine(reply);
  return ClassifySmtpFailure(t, "Failure when receiving data from the peer");
}

TEST_CASE("classification by code and stage") {
  SendOutcome o =
      Classify(SmtpStage::kRcpt, "RCPT TO:<x@y.example>", "450 4.2.0 <x@y.example>: busy");
  CHECK(o.kind == Kind::kTemporary);
  CHECK(o.code == "450");
  CHECK(o.reason == "RCPT: 450 4.2.0 <[email]>: busy");

  o = Classify(SmtpStage::kRcpt, "RCPT TO:<x@y.example>", "550 5.1.1 user x@y.example unknown");
  CHECK(o.kind == Kind::kPermanent);
  CHECK(o.reason == "RCPT: 550 5.1.1 user [email] unknown");

  CHECK(Classify(SmtpStage::kMail, "MAIL FROM:<a@b.example>", "552 5.3.4 too big").kind ==
        Kind::kPermanent);
  CHECK(Classify(SmtpStage::kData, "DATA", "554 no valid recipients").kind == Kind::kPermanent);
  CHECK(Classify(SmtpStage::kEndOfData, "DATA", "554 5.7.1 spam").kind == Kind::kPermanent);
  CHECK(Classify(SmtpStage::kEndOfData, "DATA", "452 4.3.1 full").kind == Kind::kTemporary);
  // Before the transaction, or authentication: not the message's fault.
  CHECK(Classify(SmtpStage::kConnect, "", "554 5.7.1 no service for you").kind == Kind::kTemporary);
  CHECK(Classify(SmtpStage::kAuth, "AUTH PLAIN", "535 5.7.8 bad credentials").kind ==
        Kind::kTemporary);
  CHECK(Classify(SmtpStage::kMail, "MAIL FROM:<a@b.example>", "530 5.7.0 auth required").kind ==
        Kind::kTemporary);
  // No reply explains it: the transport failed.
  o = Classify(SmtpStage::kMail, "MAIL FROM:<a@b.example>", "");
  CHECK(o.kind == Kind::kTemporary);
  CHECK(o.code.empty());
  CHECK(o.reason == "MAIL: Failure when receiving data from the peer");
}

TEST_CASE("reply text is cleaned and bounded") {
  CHECK(CleanReplyText("call +14155550100 or mail a@b.example\x01") ==
        "call [phone] or mail [email] ");
  const std::string long_text(500, 'z');
  CHECK(CleanReplyText(long_text).size() == 203);
}

}  // namespace
}  // namespace herald
