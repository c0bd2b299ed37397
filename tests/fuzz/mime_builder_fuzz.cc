// Fuzzes the MIME builder (templates/mime/mime_message.h) with hostile names, subjects,
// addresses, bodies and headers.
//
// Input: NUL-separated fields, in this order (missing ones are empty): from name, from
// address, to name, to address, subject, text, html, message id, reply-to name,
// unsubscribe URL, unsubscribe mailto, extra header name, extra header value. Each input
// builds three
// specs: as given, with every field made valid UTF-8, and that again with fixed valid
// addresses (so the header checks always see the fuzzed names and subject).
//
// Properties of every message built, besides "no crash, no sanitizer report":
// - lines end with CRLF only, and so does the message; no other control character,
//   non-ASCII bytes only in the headers and only for a non-ASCII address;
// - the header block is header lines ("Name:" with Name of [A-Za-z0-9-]) and
//   continuation lines (starting with a space, not blank), at most 998 bytes, and the
//   headers are exactly the expected ones in order: no input adds, drops or splits one;
// - the Subject decodes back to the sanitized subject; the Message-ID is <dot-atom@..>;
// - each body part decodes (quoted-printable) back to its text with CRLF line breaks,
//   and its lines are at most 76 characters;
// - the same spec builds the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "templates/mime/mime_encoding.h"
#include "templates/mime/mime_message.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/templates/mime/mime_test_util.h"

namespace herald {
namespace {

using testing::DecodeRfc2047;
using testing::RawHeader;
using testing::SplitCrlf;

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; });
}

bool IsHeaderName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Runs of spaces as one: plain header text is written word by word.
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
  });
}

std::vector<std::string> ExpectedHeaders(const MimeMessageSpec& spec) {
  std::vector<std::string> names = {"Date", "From"};
  if (spec.reply_to) names.push_back("Reply-To");
  for (const char* n : {"To", "Subject", "Message-ID"}) names.push_back(n);
  if (!spec.unsubscribe_url.empty()) {
    names.push_back("List-Unsubscribe");
    names.push_back("List-Unsubscribe-Post");
  }
  for (const MimeHeader& h : spec.extra_headers) names.push_back(h.name);
  names.push_back("MIME-Version");
  names.push_back("Content-Type");
  if (spec.html.empty()) names.push_back("Content-Transfer-Encoding");
  return names;
}

// A quoted-printable part: decodes to `text` with CRLF line breaks (plus the final CRLF
// the builder adds to a text-only message), lines short.
void CheckPart(std::string_view qp, std::string_view text, bool final_crlf) {
  for (const std::string& line : SplitCrlf(qp)) HERALD_FUZZ_CHECK(line.size() <= 76);
  std::string want = NormalizeCrlf(text);
  if (final_crlf && !want.ends_with("\r\n")) want += "\r\n";
  HERALD_FUZZ_CHECK(DecodeQuotedPrintable(qp) == want);
}

void CheckBodies(const MimeMessageSpec& spec, std::string_view m, size_t body_at) {
  const std::string_view body = m.substr(body_at);
  if (spec.html.empty()) {
    CheckPart(body, spec.text, true);
    return;
  }
  const std::string ct = RawHeader(m, "Content-Type").value_or("");
  const size_t q = ct.find("boundary=\"");
  HERALD_FUZZ_CHECK(q != std::string::npos && ct.back() == '"');
  const std::string boundary = ct.substr(q + 10, ct.size() - q - 11);
  const std::string delimiter = "\r\n--" + boundary;
  const std::string head = "--" + boundary + "\r\n";
  HERALD_FUZZ_CHECK(body.starts_with(head));
  const std::string part_head = "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  size_t at = head.size();
  for (const std::string* text : {&spec.text, &spec.html}) {
    const size_t start = body.find(part_head, at);
    const size_t end = body.find(delimiter, at);
    HERALD_FUZZ_CHECK(start != std::string_view::npos && end != std::string_view::npos &&
                      start < end);
    CheckPart(body.substr(start + part_head.size(), end - start - part_head.size()), *text, false);
    at = end + delimiter.size();
  }
  HERALD_FUZZ_CHECK(body.substr(at) == "--\r\n");
}

void CheckMessage(const MimeMessageSpec& spec, const std::string& m) {
  fuzz::FailureContext() = m;
  HERALD_FUZZ_CHECK(m.ends_with("\r\n"));
  const size_t header_end = m.find("\r\n\r\n");
  HERALD_FUZZ_CHECK(header_end != std::string::npos);
  const bool ascii_addresses = IsAscii(spec.from.address) && IsAscii(spec.to.address) &&
                               (!spec.reply_to || IsAscii(spec.reply_to->address));
  for (size_t i = 0; i < m.size(); ++i) {
    const auto c = static_cast<uint8_t>(m[i]);
    if (c == '\r') HERALD_FUZZ_CHECK(i + 1 < m.size() && m[i + 1] == '\n');
    if (c == '\n') HERALD_FUZZ_CHECK(i > 0 && m[i - 1] == '\r');
    HERALD_FUZZ_CHECK(c >= 0x20 || c == '\r' || c == '\n');
    HERALD_FUZZ_CHECK(c != 0x7f);
    if (c >= 0x80) HERALD_FUZZ_CHECK(!ascii_addresses && i < header_end);
  }

  std::vector<std::string> names;
  for (const std::string& line : SplitCrlf(m.substr(0, header_end + 2))) {
    HERALD_FUZZ_CHECK(!line.empty() && line.size() <= 998);
    if (line[0] == ' ') {
      HERALD_FUZZ_CHECK(!names.empty() && line.find_first_not_of(' ') != std::string::npos);
      continue;
    }
    const size_t colon = line.find(':');
    HERALD_FUZZ_CHECK(colon != std::string::npos && IsHeaderName(line.substr(0, colon)));
    names.push_back(line.substr(0, colon));
  }
  HERALD_FUZZ_CHECK(names == ExpectedHeaders(spec));

  const std::string subject = DecodeRfc2047(RawHeader(m, "Subject").value_or(""));
  HERALD_FUZZ_CHECK(CollapseSpaces(subject) == CollapseSpaces(SanitizeHeaderText(spec.subject)));
  const std::string id = RawHeader(m, "Message-ID").value_or("");
  const size_t at = id.rfind('@');
  HERALD_FUZZ_CHECK(id.starts_with('<') && id.ends_with('>') && at != std::string::npos);
  HERALD_FUZZ_CHECK(IsDotAtom(std::string_view(id).substr(1, at - 1)));

  CheckBodies(spec, m, header_end + 4);
}

void Build(const MimeMessageSpec& spec) {
  const Result<std::string> m = BuildMimeMessage(spec);
  if (!m.ok()) {
    HERALD_FUZZ_CHECK(!m.status().message().empty());
    return;
  }
  CheckMessage(spec, *m);
  const Result<std::string> again = BuildMimeMessage(spec);
  HERALD_FUZZ_CHECK(again.ok() && *again == *m);
}

void Fuzz(std::string_view input) {
  std::vector<std::string_view> f = fuzz::SplitFields(input);
  f.resize(13);
  MimeMessageSpec spec;
  spec.from = {std::string(f[1]), std::string(f[0])};
  spec.to = {std::string(f[3]), std::string(f[2])};
  spec.subject = f[4];
  spec.text = f[5];
  spec.html = f[6];
  spec.message_id = f[7];
  if (!f[8].empty()) spec.reply_to = MailAddress{std::string(f[1]), std::string(f[8])};
  spec.unsubscribe_url = f[9];
  spec.unsubscribe_mailto = f[10];
  if (!f[11].empty()) spec.extra_headers.push_back({std::string(f[11]), std::string(f[12])});
  // Date: from a hash of the input, within 2^52 us (142 years) of 1970; offsets also out
  // of range (the builder then writes +0000).
  uint64_t hash = 14695981039346656037ULL;
  for (char c : input) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  spec.date = static_cast<Micros>(hash & ((uint64_t{1} << 52) - 1));
  spec.date_utc_offset_minutes = static_cast<int>((hash >> 52) % 3001) - 1500;
  Build(spec);

  MimeMessageSpec valid = spec;
  for (std::string* s :
       {&valid.from.address, &valid.from.display_name, &valid.to.address, &valid.to.display_name,
        &valid.subject, &valid.text, &valid.html, &valid.message_id}) {
    *s = fuzz::ValidUtf8(*s);
  }
  if (valid.reply_to) valid.reply_to->display_name = fuzz::ValidUtf8(valid.reply_to->display_name);
  for (MimeHeader& h : valid.extra_headers) h.value = fuzz::ValidUtf8(h.value);
  Build(valid);

  valid.from.address = "notices@benefits.example.gov";
  valid.to.address = "jane.doe@example.org";
  if (valid.reply_to) valid.reply_to->address = "help@benefits.example.gov";
  if (valid.message_id.empty() || valid.message_id.size() > 200) {  // 1..200 bytes (the header)
    valid.message_id = "0123456789abcdef0123456789abcdef";
  }
  const std::string& url = valid.unsubscribe_url;
  if (!url.starts_with("https://") || url.size() > 900 ||
      !std::all_of(url.begin(), url.end(), [](char c) {
        return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"';
      })) {
    valid.unsubscribe_url.clear();
  }
  valid.unsubscribe_mailto.clear();
  valid.extra_headers = {{"X-Herald-Message-Id", fuzz::ValidUtf8(f[12])}};
  Build(valid);
}

}  // namespace
}  // namespace herald

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  herald::Fuzz(herald::fuzz::AsText(data, size));
  return 0;
}
