// The `smtp` connector: email to an SMTP server (a relay, a submission port, a provider's
// SMTP endpoint) through libcurl.
//
// Options (herald.yaml, under connectors.<name>; every one checked at start-up, errors
// name the field, never its value):
//   url              required: smtp://host[:port] (default port 25; 587 for submission)
//                    or smtps://host[:port] (implicit TLS, default 465). No path, user
//                    or query: use helo, username and password.
//   starttls         none | opportunistic | required (default opportunistic; ignored
//                    with smtps://). Maps to CURLOPT_USE_SSL.
//   username         login for AUTH (curl picks the best mechanism the server offers).
//   password         its password, or
//   password_env     the name of an environment variable holding it (read at start-up).
//                    A password is only sent over TLS (smtps:// or starttls: required),
//                    or to a loopback host (localhost, 127.0.0.0/8, ::1).
//   from             required: the envelope sender (MAIL FROM) when a message has none.
//   concurrency      connections kept open at most, 1..64 (default 4).
//   timeout_seconds  limit for one message, connecting included, 1..600 (default 30).
//   helo             the name sent with EHLO (default: the domain of `from`).
//   tls_verify       check the server's certificate and name (default true).
//   ca_file          an absolute path to a PEM bundle of trusted CAs (default: system's).
//
// Connections: the connector keeps up to `concurrency` curl easy handles; each Send
// checks one out (waiting while all are busy) and returns it, and curl reuses the live
// connection a handle holds, so consecutive messages skip connect, EHLO, STARTTLS and
// AUTH. After a failed transaction the connector closes that handle and its connection
// (curl itself may keep it open after a timeout, with the late reply still to come); the
// next message opens a new one.
//
// The message: OutboundMessage::mime is sent as is after PrepareSmtpPayload (line ends
// made CRLF, a final CRLF added); libcurl itself does the SMTP dot-stuffing of lines that
// start with '.' (RFC 5321 4.5.2) and sends the final "." line, so this connector does
// not. The envelope: MAIL FROM envelope_from (or `from`), RCPT TO the message's `to`;
// both are checked with IsValidEmail first, so no CR or LF can reach the SMTP dialogue.
//
// Outcomes (SendOutcome):
//   accepted   the server's final 250; provider_id is the id in "queued as <id>" when the
//              reply has one, else the message's Message-ID (without <>), else its id.
//   temporary  a 4xx reply at any stage; connection refused, DNS, TLS, timeouts, a
//              dropped connection; a 5xx before the transaction (greeting, EHLO,
//              STARTTLS, AUTH) and 530 "authentication required" at any stage: the
//              server or our settings, not the message.
//   permanent  a 5xx reply to MAIL, RCPT, DATA or the end of the data; an invalid
//              recipient or sender address.
// `code` is the reply code ("550"); `reason` is "<STAGE>: <code> <server text>" with any
// address in the text replaced by "[email]" (engine/core/redact.h), or curl's error text.
//
// Thread-safe: Send may run on up to max_concurrency() (= concurrency) threads at once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/result.h"

namespace herald {

struct SmtpOptions {
  enum class StartTls { kNone, kOpportunistic, kRequired };

  std::string url;            // scheme://host[:port], as given without a trailing '/'
  bool implicit_tls = false;  // smtps://
  std::string host;
  StartTls starttls = StartTls::kOpportunistic;
  std::string username;
  std::string password;
  std::string from;
  int concurrency = 4;
  int timeout_seconds = 30;
  std::string helo;  // never empty after parsing
  bool tls_verify = true;
  std::string ca_file;
};

// Looks up an environment variable (getenv in production, a map in tests).
using SmtpEnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Checks the options of an smtp connector. InvalidArgument with one
// "connectors.<name>.<field>: problem" line per problem.
Result<SmtpOptions> ParseSmtpOptions(const ConnectorConfig& config, const SmtpEnvLookup& env);

// Makes an smtp connector (options read with getenv for password_env).
Result<std::unique_ptr<Connector>> CreateSmtpConnector(const ConnectorConfig& config,
                                                       const ConnectorEnv& env);

// The bytes given to curl for `mime`: every line break (LF, CRLF, lone CR) as CRLF and a
// CRLF at the end. No dot-stuffing (curl does it). What the server stores is exactly this.
std::string PrepareSmtpPayload(std::string_view mime);

}  // namespace herald
