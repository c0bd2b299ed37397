// The encodings a MIME message is made of: quoted-printable bodies (RFC 2045), base64,
// RFC 2047 encoded-words for non-ASCII header text, header folding (RFC 5322 2.2.3) and
// the RFC 5322 date. mime_message.h puts them together; they are exposed for tests and
// for other writers of mail.
//
// Pure functions on their arguments; thread-safe; never throw. Functions that take text
// expect well-formed UTF-8 (check it first with FindInvalidUtf8): on ill-formed input
// they still produce valid ASCII output, but the decoded text is then not meaningful.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"

namespace herald {

// Every line of a message ends with CRLF; bodies are normalised to it first.
inline constexpr std::string_view kCrlf = "\r\n";

// Rewrites every line break of `text` (LF, CR LF, or a lone CR) as CR LF.
std::string NormalizeCrlf(std::string_view text);

// Quoted-printable (RFC 2045 6.7) of `text`, after NormalizeCrlf: line breaks stay hard
// line breaks (CRLF); every output line is at most 76 characters (soft breaks "=" CRLF
// where needed, never inside a UTF-8 character or an "=XX" escape); '=', controls,
// bytes >= 0x80 and whitespace before a line end are escaped; so is a '.' or the 'F' of
// "From " at the start of an output line, so the body survives naive SMTP relays and mbox.
// The output ends with CRLF exactly when `text` ends with a line break.
std::string EncodeQuotedPrintable(std::string_view text);

// Decodes quoted-printable; nullopt on a malformed escape ("=G1", "=" then one char).
// Soft line breaks ("=" CRLF, or "=" LF) are removed; transport whitespace before a line
// end is dropped (RFC 2045 rule 3).
std::optional<std::string> DecodeQuotedPrintable(std::string_view qp);

// Standard base64 (RFC 4648 section 4) with padding, no line breaks.
std::string Base64Encode(std::string_view data);

// Replaces every control character of `text` (C0 including TAB, CR and LF, DEL, C1,
// U+2028, U+2029), and every ill-formed UTF-8 byte, by a space; runs of replaced
// characters become one space. Then trims spaces at both ends. The result can never
// start a new header line.
std::string SanitizeHeaderText(std::string_view text);

// RFC 2047 "B" encoded-words for `text` (UTF-8, charset label "UTF-8"), splitting it
// between characters (never inside a UTF-8 sequence) so that the first word is at most
// `first_max` characters long and the others at most `max` (<= 75). Adjacent encoded-words
// separated by folding whitespace decode to the concatenation of their text, so the words
// can be joined by " " or CRLF SP. A `first_max` too small for one character yields an
// empty first word "" (the caller then folds before the second). Empty text: no words.
std::vector<std::string> EncodeWords(std::string_view text, size_t first_max, size_t max = 75);

// True when `text` can appear in a header as it is: printable ASCII and spaces only, and
// nothing a decoder could take for an encoded-word ("=?").
bool IsPlainHeaderText(std::string_view text);

// Writes "Name: " followed by `tokens` separated by single spaces, folding (CRLF before
// the separating space) wherever the line would otherwise pass 76 characters, and ending
// with CRLF. A token is never split: a token longer than a line gets a line of its own
// (the first one too: "Name:" CRLF SP token).
// Tokens must not contain CR or LF.
std::string FoldHeader(std::string_view name, const std::vector<std::string>& tokens);

// An unstructured header value (Subject, extra headers): sanitised, then either its
// words as they are (IsPlainHeaderText and every word fits on a folded line) or RFC 2047
// encoded-words. The tokens are for FoldHeader(name, ...).
std::vector<std::string> UnstructuredTokens(std::string_view name, std::string_view value);

// RFC 5322 date-time of `t` shifted by `utc_offset_minutes` (-1439..1439, else 0 is used):
// "Thu, 01 Jan 2026 00:00:00 +0000". Seconds are truncated.
std::string FormatRfc5322Date(Micros t, int utc_offset_minutes = 0);

}  // namespace herald
