// Following an SMTP dialogue as libcurl reports it, and turning its end into a
// SendOutcome. Internal to the smtp connector; separate so it can be tested without a
// server.
//
// SmtpTranscript is fed from curl's debug callback: each command line curl sent
// (CURLINFO_HEADER_OUT), each reply line it read (CURLINFO_HEADER_IN) and the fact that
// message bytes went out (CURLINFO_DATA_OUT). It keeps only the current stage (which
// command is being answered) and the last complete reply's code and text; it never keeps
// a command's arguments (addresses, AUTH credentials) or the message. Not thread-safe:
// one per transfer.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace herald {

enum class SmtpStage {
  kConnect,  // waiting for the greeting
  kHello,    // EHLO / HELO
  kStartTls,
  kAuth,       // AUTH and its continuation lines
  kMail,       // MAIL FROM
  kRcpt,       // RCPT TO
  kData,       // DATA (before the 354)
  kEndOfData,  // the message went out; the reply is the final one for the transaction
  kOther,      // RSET, NOOP, QUIT, ...
};

// "CONNECT", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "END OF DATA", "SMTP".
std::string_view SmtpStageName(SmtpStage stage);

class SmtpTranscript {
 public:
  void Reset() { *this = SmtpTranscript(); }
  // A command line curl sent ("MAIL FROM:<...>\r\n"); only its verb is looked at.
  // QUIT (and the 221 to it) leaves the stage and the last reply as they were.
  void OnCommand(std::string_view line);
  // Message data went out (after DATA's 354).
  void OnBodyData();
  // One reply line ("250-PIPELINING\r\n", "550 5.1.1 <a@b.c>: no such user\r\n").
  void OnReplyLine(std::string_view line);

  SmtpStage stage() const { return stage_; }
  // The last complete reply to the current stage: its code (0 when none came yet) and
  // its text (lines joined by a space, code and separators removed, not yet redacted).
  int code() const { return code_; }
  const std::string& text() const { return text_; }

 private:
  SmtpStage stage_ = SmtpStage::kConnect;
  int code_ = 0;
  std::string text_;
  std::string partial_;    // lines of a multi-line reply still coming
  bool quitting_ = false;  // QUIT sent: its reply is not the transaction's
};

// The queue id in a final reply's text ("2.0.0 Ok: queued as 4Bc9xY1z" -> "4Bc9xY1z",
// case-insensitive, surrounding <> or punctuation dropped), or empty when the text has
// no "queued as".
std::string QueueIdFromReply(std::string_view text);

// Server text made fit for a reason: addresses and phone numbers redacted, controls
// removed, at most 200 bytes.
std::string CleanReplyText(std::string_view text);

// The outcome of a transaction that did not end with a 250 to the data. `transport_error`
// is curl's description of what went wrong (used when no 4xx/5xx reply explains it).
SendOutcome ClassifySmtpFailure(const SmtpTranscript& transcript, std::string_view transport_error);

}  // namespace herald
