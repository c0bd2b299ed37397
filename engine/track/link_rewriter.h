// Link rewriting: turns a rendered email (HTML and text parts) or SMS into its tracked form
// and collects the message's link table.
//
// What is rewritten:
// - HTML: the href of <a> and <area> tags whose value (after decoding character
//   references, as a browser would) is a trackable http/https URL becomes
//   "{public_url}/c/{click token}". Nothing else: <img src> (the agency logo), <link>
//   stylesheets, URLs inside comments (Outlook's conditional VML) and text stay as they are.
// - Text and SMS: bare http:// and https:// URLs (ending at whitespace, <, > or ", without
//   trailing sentence punctuation or an unbalanced closing bracket).
// - HTML only: the open pixel <img src="{public_url}/o/{open token}" width="1" height="1"
//   alt=""> before the last </body> (appended when there is none; none for empty HTML).
//
// What is never rewritten (left direct, never stored):
// - URLs that are not http/https (javascript:, data:, mailto:, tel:, relative) or are
//   malformed (no host, whitespace or control characters, over 2,048 bytes): a click link
//   can therefore only ever lead to an http/https destination the template produced;
// - URLs under "{public_url}/" itself: the unsubscribe link {public_url}/u/{token} must
//   stay direct (RFC 8058 List-Unsubscribe points at it; a redirect in front of it would
//   count the unsubscribe as a click, and link scanners following click links must never
//   reach it), and rewriting an already rewritten body changes nothing;
// - URLs starting with one of `direct_prefixes` (e.g. an agency help page the agency wants
//   untracked). The agency help link is tracked by default: it is an ordinary click.
// Query strings are part of the stored destination: "https://a.gov/x?url=https://evil"
// is stored whole and the redirect goes exactly there, never to the inner URL.
//
// The link table lists each distinct destination once, in order of first appearance (HTML
// first, then text), so a link repeated in both parts has one index; at most kMaxLinks
// destinations, the rest are left direct. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/track/tracking_token.h"

namespace herald {

inline constexpr size_t kMaxLinks = 200;
inline constexpr size_t kMaxUrlBytes = 2048;

struct LinkRewriteOptions {
  std::string public_url;  // e.g. "https://notify.agency.gov"; a trailing '/' is ignored
  std::vector<std::string> direct_prefixes;  // left direct besides {public_url}/
  bool open_pixel = true;                    // email HTML only
};

// The tokens of one message.
struct MessageTokens {
  std::function<std::string(uint32_t link_index)> click;
  std::string open;
};

// The tokens of `message_id` under `codec`; InvalidArgument for an id that is not 32 lowercase
// hex characters.
Result<MessageTokens> MakeMessageTokens(const TokenCodec& codec, std::string_view message_id);

struct RewrittenEmail {
  std::string html;
  std::string text;
  std::vector<std::string> links;  // the link table: index = click token's link index
};

struct RewrittenSms {
  std::string text;
  std::vector<std::string> links;
};

RewrittenEmail RewriteEmail(std::string_view html, std::string_view text,
                            const LinkRewriteOptions& options, const MessageTokens& tokens);

// The composer must count SMS segments after rewriting (the tracked URL has another length).
RewrittenSms RewriteSms(std::string_view text, const LinkRewriteOptions& options,
                        const MessageTokens& tokens);

// True when `url` is a destination herald may store and redirect to: scheme http or https
// (any case), "//", a non-empty host, no ASCII whitespace, control characters, backslashes
// or non-ASCII bytes (send IRIs percent-encoded), at most kMaxUrlBytes. The HTTP redirect
// handler checks it again before answering 302, so a damaged store cannot be abused either.
bool IsTrackableUrl(std::string_view url);

}  // namespace herald
