// The MIME builder: one rendered email (subject, HTML and plain text) to a complete
// RFC 5322 message, ready for a connector (OutboundMessage::mime).
//
// What it writes, in this order, every line ending CRLF:
//   Date              the spec's instant, RFC 5322 with a numeric zone
//   From, Reply-To, To  [display name] <address>; names with specials quoted, non-ASCII
//                     names as RFC 2047 encoded-words
//   Subject           as is when plain ASCII, else RFC 2047 "B" encoded-words
//   Message-ID        <id@domain>
//   List-Unsubscribe, List-Unsubscribe-Post   when an unsubscribe URL is given (RFC 2369,
//                     RFC 8058 one-click)
//   extra headers     in the given order
//   MIME-Version, Content-Type
// then a multipart/alternative body, text/plain first and text/html second (the one a
// client prefers), each "charset=utf-8" and quoted-printable, so no line passes 76
// characters and the message is 7-bit clean. Without HTML the message is a single
// text/plain part. The boundary is derived from the content ("=_herald_" and a hash), and
// cannot appear in a quoted-printable body ("=_" is never valid QP); it is checked anyway.
// Every header line is folded to at most 76 characters where the value has a place to
// fold; a header line is never longer than 998.
//
// Header safety: CR, LF and every other control character in any header value (subject,
// display names, extra headers) are replaced by a space, so no input can start a new
// header or end the header block. Addresses are checked with IsValidEmail
// (engine/core/validate.h); URLs and extra header names are checked too; anything
// invalid is InvalidArgument naming the field (never its value: it may be an address).
//
// Internationalised addresses: a non-ASCII domain is written as its IDNA A-label
// ("bücher.de" -> "xn--bcher-kva.de"); a non-ASCII local part is kept as UTF-8
// (RFC 6532), and such a message needs an SMTPUTF8 server.
//
// Pure function of its input (deterministic: the same spec gives the same bytes);
// thread-safe; never throws.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/result.h"

namespace herald {

struct MailAddress {
  std::string address;       // addr-spec ("jane@example.org"), checked with IsValidEmail
  std::string display_name;  // UTF-8, may be empty
};

struct MimeHeader {
  std::string name;   // 1..40 of [A-Za-z0-9-], not one the builder writes itself
  std::string value;  // UTF-8 text, unstructured (controls replaced, encoded when needed)
};

struct MimeMessageSpec {
  MailAddress from;
  MailAddress to;
  std::optional<MailAddress> reply_to;
  std::string subject;  // UTF-8
  std::string text;     // text/plain body, UTF-8; any line breaks (LF, CRLF, CR)
  std::string html;     // text/html body, UTF-8; empty: a text/plain-only message

  Micros date = 0;                  // the Date header: the injected Clock's NowMicros()
  int date_utc_offset_minutes = 0;  // zone of the Date header (-1439..1439)

  // Message-ID is <message_id@domain>. The id (1 to 200 bytes) is the caller's (herald's
  // message id, so a retried message keeps its Message-ID); characters outside RFC 5322
  // atext are written as "=XX". The domain is message_id_domain, or the from-address's
  // domain when empty.
  std::string message_id;
  std::string message_id_domain;

  // One-click unsubscribe (RFC 8058): an https:// URL. When set, List-Unsubscribe carries
  // <url> (and <mailto:...> when unsubscribe_mailto is set: an address or a mailto: URI),
  // and List-Unsubscribe-Post: List-Unsubscribe=One-Click is added.
  std::string unsubscribe_url;
  std::string unsubscribe_mailto;

  // Further headers (X-Herald-Message-Id, Content-Language, ...). From, To, Cc, Bcc,
  // Reply-To, Sender, Subject, Date, Message-ID, MIME-Version, Content-Type,
  // Content-Transfer-Encoding and the List-Unsubscribe headers are refused here.
  std::vector<MimeHeader> extra_headers;
};

// Builds the message. InvalidArgument ("to.address: not a valid email address",
// "subject: not valid UTF-8", "unsubscribe_url: must be an https:// URL", ...) when the
// spec cannot make a valid message.
Result<std::string> BuildMimeMessage(const MimeMessageSpec& spec);

}  // namespace herald
