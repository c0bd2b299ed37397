#include "templates/mime/mime_message.h"

#include <unicode/uidna.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "engine/core/sha256.h"
#include "engine/core/validate.h"
#include "templates/mime/mime_encoding.h"

namespace herald {
namespace {

constexpr size_t kMaxLine = 76;
// An id this long, every byte escaped ("=XX"), and the longest domain still make a
// Message-ID line under RFC 5322's 998 characters.
constexpr size_t kMaxMessageIdBytes = 200;

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// memmem rather than std::string::find, whose first-character scan stops at every '=' of
// quoted-printable text (the boundary starts with one).
bool Contains(std::string_view haystack, std::string_view needle) {
  return memmem(haystack.data(), haystack.size(), needle.data(), needle.size()) != nullptr;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// The IDNA A-label form of a domain ("bücher.de" -> "xn--bcher-kva.de"); ASCII domains
// are returned as they are. nullopt when IDNA refuses the name.
std::optional<std::string> DomainToAscii(std::string_view domain) {
  if (IsAscii(domain)) return std::string(domain);
  static UIDNA* const idna = [] {
    UErrorCode status = U_ZERO_ERROR;
    UIDNA* p = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI, &status);
    return U_SUCCESS(status) ? p : nullptr;
  }();
  if (idna == nullptr) return std::nullopt;
  char buf[256];
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = uidna_nameToASCII_UTF8(idna, domain.data(), static_cast<int32_t>(domain.size()),
                                           buf, sizeof buf, &info, &status);
  if (U_FAILURE(status) || info.errors != 0 || n <= 0 || n >= static_cast<int32_t>(sizeof buf)) {
    return std::nullopt;
  }
  return std::string(buf, static_cast<size_t>(n));
}

// The address as it goes into a header: checked, domain in A-labels.
Result<std::string> HeaderAddress(const std::string& field, std::string_view address) {
  if (!IsValidEmail(address)) return Status::InvalidArgument(field + ": not a valid email address");
  const size_t at = address.find('@');
  std::optional<std::string> domain = DomainToAscii(address.substr(at + 1));
  if (!domain) return Status::InvalidArgument(field + ": the domain is not a valid IDNA name");
  return std::string(address.substr(0, at + 1)) + *domain;
}

// The tokens of a display name for FoldHeader: atoms, one quoted-string, or encoded-words.
std::vector<std::string> DisplayNameTokens(std::string_view header, std::string_view name) {
  const std::string text = SanitizeHeaderText(name);
  if (text.empty()) return {};
  const size_t first_max = kMaxLine - header.size() - 2;
  if (IsPlainHeaderText(text)) {
    constexpr std::string_view kSpecials = "()<>[]:;@\\,.\"";
    if (text.find_first_of(kSpecials) == std::string::npos) {
      std::vector<std::string> atoms;
      size_t start = 0;
      bool fits = true;
      while (true) {
        const size_t space = text.find(' ', start);
        atoms.emplace_back(text.substr(start, space == std::string::npos ? space : space - start));
        if (atoms.back().size() > kMaxLine - 1) fits = false;
        if (space == std::string::npos) break;
        start = space + 1;
      }
      if (fits) return atoms;
    } else {
      std::string quoted = "\"";
      for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      quoted += '"';
      if (quoted.size() <= first_max) return {quoted};
    }
  }
  return EncodeWords(text, first_max, 75);
}

// A mailbox header: "Name: display name <address>" or "Name: address", folded.
Result<std::string> MailboxHeader(std::string_view header, const std::string& field,
                                  const MailAddress& mailbox) {
  if (FindInvalidUtf8(mailbox.display_name)) {
    return Status::InvalidArgument(field + ".display_name: not valid UTF-8");
  }
  Result<std::string> address = HeaderAddress(field + ".address", mailbox.address);
  if (!address.ok()) return address.status();
  std::vector<std::string> tokens = DisplayNameTokens(header, mailbox.display_name);
  tokens.push_back(tokens.empty() ? *address : "<" + *address + ">");
  return FoldHeader(header, tokens);
}

bool IsAtext(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// The left part of a Message-ID as a dot-atom: characters outside atext (and '=' itself,
// the escape) as "=XX"; dots kept only where a dot-atom allows them.
std::string MessageIdLeft(std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    const bool dot_ok = c == '.' && i > 0 && i + 1 < id.size() && id[i - 1] != '.';
    if ((IsAtext(static_cast<char>(c)) && c != '=') || dot_ok) {
      out += static_cast<char>(c);
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

// A URI that can sit between '<' and '>' in a header: printable ASCII without space, '<',
// '>' or '"', and short enough for one header line.
bool IsHeaderSafeUri(std::string_view uri) {
  if (uri.empty() || uri.size() > 900) return false;
  return std::all_of(uri.begin(), uri.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '<' && c != '>' && c != '"';
  });
}

Result<std::string> ListUnsubscribeHeaders(const MimeMessageSpec& spec) {
  if (spec.unsubscribe_url.empty()) {
    if (!spec.unsubscribe_mailto.empty()) {
      return Status::InvalidArgument(
          "unsubscribe_mailto: needs unsubscribe_url (RFC 8058 one-click needs an https URL)");
    }
    return std::string();
  }
  if (!StartsWithIgnoreCase(spec.unsubscribe_url, "https://") || spec.unsubscribe_url.size() <= 8 ||
      !IsHeaderSafeUri(spec.unsubscribe_url)) {
    return Status::InvalidArgument("unsubscribe_url: must be an https:// URL without spaces");
  }
  std::vector<std::string> tokens = {"<" + spec.unsubscribe_url + ">"};
  if (!spec.unsubscribe_mailto.empty()) {
    std::string mailto;
    if (StartsWithIgnoreCase(spec.unsubscribe_mailto, "mailto:")) {
      mailto = spec.unsubscribe_mailto;
      if (!IsHeaderSafeUri(mailto)) {
        return Status::InvalidArgument("unsubscribe_mailto: not a valid mailto: URI");
      }
    } else {
      Result<std::string> address = HeaderAddress("unsubscribe_mailto", spec.unsubscribe_mailto);
      if (!address.ok()) return address.status();
      if (!IsAscii(*address)) {
        return Status::InvalidArgument("unsubscribe_mailto: must be an ASCII address");
      }
      mailto = "mailto:" + *address;
    }
    tokens.front() += ',';
    tokens.push_back("<" + mailto + ">");
  }
  return FoldHeader("List-Unsubscribe", tokens) +
         FoldHeader("List-Unsubscribe-Post", {"List-Unsubscribe=One-Click"});
}

Result<std::string> ExtraHeaders(const std::vector<MimeHeader>& headers) {
  static constexpr std::string_view kReserved[] = {
      "From",
      "To",
      "Cc",
      "Bcc",
      "Reply-To",
      "Sender",
      "Subject",
      "Date",
      "Message-ID",
      "MIME-Version",
      "Content-Type",
      "Content-Transfer-Encoding",
      "List-Unsubscribe",
      "List-Unsubscribe-Post",
  };
  std::string out;
  for (size_t i = 0; i < headers.size(); ++i) {
    const MimeHeader& h = headers[i];
    const std::string field = "extra_headers[" + std::to_string(i) + "]";
    const bool name_ok = !h.name.empty() && h.name.size() <= 40 && h.name.front() != '-' &&
                         std::all_of(h.name.begin(), h.name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
                         });
    if (!name_ok) {
      return Status::InvalidArgument(field + ".name: must be 1 to 40 letters, digits and '-'");
    }
    for (std::string_view reserved : kReserved) {
      if (EqualsIgnoreCase(h.name, reserved)) {
        return Status::InvalidArgument(field + ".name: " + h.name +
                                       " is written by the MIME builder itself");
      }
    }
    if (FindInvalidUtf8(h.value)) return Status::InvalidArgument(field + ".value: not valid UTF-8");
    out += FoldHeader(h.name, UnstructuredTokens(h.name, h.value));
  }
  return out;
}

std::string PartHeaders(std::string_view type) {
  return "Content-Type: " + std::string(type) +
         "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
}

}  // namespace

Result<std::string> BuildMimeMessage(const MimeMessageSpec& spec) {
  if (FindInvalidUtf8(spec.subject)) return Status::InvalidArgument("subject: not valid UTF-8");
  if (FindInvalidUtf8(spec.text)) return Status::InvalidArgument("text: not valid UTF-8");
  if (FindInvalidUtf8(spec.html)) return Status::InvalidArgument("html: not valid UTF-8");
  if (spec.message_id.empty()) return Status::InvalidArgument("message_id: must not be empty");
  if (spec.message_id.size() > kMaxMessageIdBytes) {
    return Status::InvalidArgument("message_id: longer than " + std::to_string(kMaxMessageIdBytes) +
                                   " bytes");
  }

  Result<std::string> from = MailboxHeader("From", "from", spec.from);
  if (!from.ok()) return from.status();
  Result<std::string> to = MailboxHeader("To", "to", spec.to);
  if (!to.ok()) return to.status();
  std::string reply_to;
  if (spec.reply_to) {
    Result<std::string> r = MailboxHeader("Reply-To", "reply_to", *spec.reply_to);
    if (!r.ok()) return r.status();
    reply_to = std::move(r).value();
  }

  std::string domain;
  if (spec.message_id_domain.empty()) {
    Result<std::string> address = HeaderAddress("from.address", spec.from.address);
    if (!address.ok()) return address.status();
    domain = address->substr(address->find('@') + 1);
  } else {
    Result<std::string> probe = HeaderAddress("message_id_domain", "id@" + spec.message_id_domain);
    if (!probe.ok()) return Status::InvalidArgument("message_id_domain: not a valid domain");
    domain = probe->substr(3);
  }
  Result<std::string> unsubscribe = ListUnsubscribeHeaders(spec);
  if (!unsubscribe.ok()) return unsubscribe.status();
  Result<std::string> extra = ExtraHeaders(spec.extra_headers);
  if (!extra.ok()) return extra.status();

  // The parts are encoded first so the message is assembled into one buffer of the right
  // size: an email is ~8 KB (three times its text for non-Latin scripts), and every copy
  // of it shows in the composing cost.
  const std::string text = EncodeQuotedPrintable(spec.text);
  const std::string html = spec.html.empty() ? std::string() : EncodeQuotedPrintable(spec.html);
  std::string out;
  out.reserve(1024 + from->size() + reply_to.size() + to->size() + unsubscribe->size() +
              extra->size() + text.size() + html.size());
  out += FoldHeader("Date", {FormatRfc5322Date(spec.date, spec.date_utc_offset_minutes)});
  out += *from;
  out += reply_to;
  out += *to;
  out += FoldHeader("Subject", UnstructuredTokens("Subject", spec.subject));
  out += FoldHeader("Message-ID", {"<" + MessageIdLeft(spec.message_id) + "@" + domain + ">"});
  out += *unsubscribe;
  out += *extra;
  out += "MIME-Version: 1.0\r\n";

  if (spec.html.empty()) {
    out += PartHeaders("text/plain");
    out += text;
    if (!text.ends_with(kCrlf)) out += kCrlf;  // the message ends with a line end
    return out;
  }
  // "=_" never occurs in quoted-printable output, so the first candidate always works;
  // the loop is the proof rather than the hope.
  std::string boundary;
  std::string hashed;
  hashed.reserve(24 + spec.message_id.size() + spec.text.size() + spec.html.size());
  for (int attempt = 0;; ++attempt) {
    hashed.assign(std::to_string(attempt));
    hashed += '\0';
    hashed += spec.message_id;
    hashed += '\0';
    hashed += spec.text;
    hashed += '\0';
    hashed += spec.html;
    boundary = "=_herald_" + Sha256Hex(hashed).substr(0, 24);
    if (!Contains(text, boundary) && !Contains(html, boundary)) {
      break;
    }
  }
  out += "Content-Type: multipart/alternative;\r\n boundary=\"";
  out += boundary;
  out += "\"\r\n\r\n";
  // The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so each
  // part decodes to exactly its text, with or without a final line break.
  out += "--";
  out += boundary;
  out += "\r\n";
  out += PartHeaders("text/plain");
  out += text;
  out += "\r\n--";
  out += boundary;
  out += "\r\n";
  out += PartHeaders("text/html");
  out += html;
  out += "\r\n--";
  out += boundary;
  out += "--\r\n";
  return out;
}

}  // namespace herald
