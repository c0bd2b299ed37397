// Tracking and unsubscribe routes, the ones in emails and texts (no API key):
//   GET /o/{token}  the open pixel: always a 1x1 GIF; a valid token records an open;
//   GET /c/{token}  a click: 302 to the destination stored with the message, else 404;
//   GET /u/{token}  the unsubscribe confirmation page (changes nothing; HEAD too);
//   POST /u/{token} the RFC 8058 one-click unsubscribe (and the page's button).
// Inbound SMS and recipient preferences are in recipient_handlers.cc. See docs/api.md.
//
// A token only names a message (and a link index) under an HMAC tag (tracking_token.h);
// where a click goes is always the stored link table's entry, checked again with
// IsTrackableUrl, never anything from the request (CWE-601). Nothing personal is logged:
// not the token (it identifies a message and thereby a person), the user agent or the IP.
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "engine/api/http_server_impl.h"
#include "engine/api/recipient_handlers.h"
#include "engine/track/link_rewriter.h"
#include "templates/pages/recipient_pages.h"

namespace herald {
namespace {

// GIF89a, 1x1, one transparent pixel (43 bytes).
constexpr unsigned char kPixel[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

void SendPixel(httplib::Response& res) {
  res.status = 200;
  res.set_header("Cache-Control", "no-store, private");
  res.set_content(std::string(reinterpret_cast<const char*>(kPixel), sizeof(kPixel)), "image/gif");
}

// "https://host:port" of `url`, or "" when it has none or holds characters that would
// change the meaning of a CSP source expression.
std::string OriginOf(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const size_t end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, end));
  if (origin.size() == scheme_end + 3) return "";
  for (char c : origin) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ';' || c == ',' || c == '\'' || c == '"') return "";
  }
  return origin;
}

// The language of the first Accept-Language range (a 404 knows no message, hence no
// locale; the browser's language is the best guess). "" when absent or "*".
std::string RequestLocale(const httplib::Request& req) {
  const std::string header = req.get_header_value("Accept-Language");
  std::string tag = header.substr(0, header.find_first_of(",; "));
  if (tag.size() > 35 || tag == "*") return "";
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return "";
  }
  return tag;
}

}  // namespace

void HttpServer::Impl::RegisterTrackRoutes() {
  // Pages herald shows a person: self-contained (inline styles only), never framed or
  // cached. The form posts to public_url, which may be another origin than the one the
  // request reached (a proxy in front), so form-action names it too.
  auto send_page = [this](httplib::Response& res, int status, std::string html) {
    const std::string origin = OriginOf(deps.config->public_url);
    res.status = status;
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" +
                       (origin.empty() ? std::string() : " " + origin));
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_content(std::move(html), "text/html; charset=utf-8");
  };
  auto page_input = [this](std::string_view locale) {
    return RecipientPageInput{locale, &deps.branding, ""};
  };
  auto send_unavailable = [this, send_page, page_input](const httplib::Request& req,
                                                        httplib::Response& res, int status) {
    if (status == 503) res.set_header("Retry-After", "60");
    const std::string locale = RequestLocale(req);
    send_page(res, status, RenderNoticePage(NoticePage::kUnavailable, page_input(locale)));
  };
  // A store failure on a page route: logged by its kind only, answered with a page.
  auto send_store_failure = [send_unavailable](const httplib::Request& req, httplib::Response& res,
                                               std::string_view route, const Status& s) {
    spdlog::error("{}: track store failure: {}", route, s.ToString());
    send_unavailable(req, res, s.IsUnavailable() ? 503 : 500);
  };
  auto engagement = [this](TokenKind kind, const TrackingToken& token,
                           const httplib::Request& req) {
    EngagementInput in;
    in.kind = kind;
    in.message_id = token.message_id;
    in.link_index = token.link_index;
    in.at = deps.clock->NowMicros();
    in.user_agent = req.get_header_value("User-Agent");
    in.ip = req.remote_addr;
    return deps.track->RecordEngagement(in);
  };

  AddRoute("GET", R"(/o/([^/]+))", "/o/{token}",
           [this, engagement](const httplib::Request& req, httplib::Response& res) {
             // The pixel answers its GIF whatever happens: a broken image in an agency's
             // email helps nobody, and the answer must not reveal whether a token is valid.
             SendPixel(res);
             if (deps.track == nullptr || deps.tokens == nullptr) return;
             const std::optional<TrackingToken> token =
                 deps.tokens->Decode(TokenKind::kOpen, req.matches[1].str());
             if (!token) return;
             Result<EngagementResult> r = engagement(TokenKind::kOpen, *token, req);
             if (!r.ok())
               spdlog::warn("open pixel: track store failure: {}", r.status().ToString());
           });

  AddRoute("GET", R"(/c/([^/]+))", "/c/{token}",
           [this, engagement, send_page, page_input, send_unavailable, send_store_failure](
               const httplib::Request& req, httplib::Response& res) {
             if (deps.track == nullptr || deps.tokens == nullptr) {
               return send_unavailable(req, res, 503);
             }
             // The query string is never read: where a click goes is the server's business.
             const std::optional<TrackingToken> token =
                 deps.tokens->Decode(TokenKind::kClick, req.matches[1].str());
             std::optional<EngagementResult> found;
             if (token) {
               Result<EngagementResult> r = engagement(TokenKind::kClick, *token, req);
               if (!r.ok()) return send_store_failure(req, res, "click", r.status());
               if (r->found) found = std::move(r).value();
             }
             // Checked again here so that a damaged store cannot become an open redirect.
             if (found && !IsTrackableUrl(found->destination)) {
               spdlog::error("click: the stored destination is not an http(s) URL; not followed");
               found.reset();
             }
             if (!found) {
               const std::string locale = RequestLocale(req);
               return send_page(res, 404,
                                RenderNoticePage(NoticePage::kLinkNotFound, page_input(locale)));
             }
             res.status = 302;
             res.set_header("Location", found->destination);
             res.set_header("Cache-Control", "no-store");
             res.set_header("Referrer-Policy", "no-referrer");
           });

  // GET (and HEAD, which httplib serves through it without the body) only shows the page:
  // mail scanners and link previewers fetch every link, and must not unsubscribe anyone.
  AddRoute("GET", R"(/u/([^/]+))", "/u/{token}",
           [this, send_page, page_input, send_unavailable, send_store_failure](
               const httplib::Request& req, httplib::Response& res) {
             if (deps.track == nullptr || deps.tokens == nullptr) {
               return send_unavailable(req, res, 503);
             }
             const std::string text = req.matches[1].str();
             const std::optional<TrackingToken> token =
                 deps.tokens->Decode(TokenKind::kUnsubscribe, text);
             std::optional<TrackedMessage> message;
             if (token) {
               Result<std::optional<TrackedMessage>> m = deps.track->GetMessage(token->message_id);
               if (!m.ok()) return send_store_failure(req, res, "unsubscribe page", m.status());
               message = std::move(m).value();
             }
             if (!message) {
               const std::string locale = RequestLocale(req);
               return send_page(
                   res, 404, RenderUnsubscribePage(UnsubscribePage::kNotFound, page_input(locale)));
             }
             // The token was decoded, so it is base64url: safe in a URL as it is.
             const std::string action = deps.config->public_url + "/u/" + text;
             send_page(res, 200,
                       RenderUnsubscribePage(UnsubscribePage::kConfirm,
                                             {message->locale, &deps.branding, action}));
           });

  // RFC 8058: mailbox providers POST "List-Unsubscribe=One-Click" (urlencoded or
  // multipart); the page's button posts the same. Any POST with a valid token counts: it
  // is a deliberate act, and the token is the authorisation.
  AddRoute(
      "POST", R"(/u/([^/]+))", "/u/{token}",
      [this, engagement, send_page, page_input, send_unavailable, send_store_failure](
          const httplib::Request& req, httplib::Response& res) {
        if (deps.track == nullptr || deps.tokens == nullptr) {
          return send_unavailable(req, res, 503);
        }
        const std::optional<TrackingToken> token =
            deps.tokens->Decode(TokenKind::kUnsubscribe, req.matches[1].str());
        if (token) {
          Result<EngagementResult> r = engagement(TokenKind::kUnsubscribe, *token, req);
          if (!r.ok()) return send_store_failure(req, res, "unsubscribe", r.status());
          if (r->found) {
            return send_page(res, 200,
                             RenderUnsubscribePage(UnsubscribePage::kDone, page_input(r->locale)));
          }
        }
        const std::string locale = RequestLocale(req);
        send_page(res, 404, RenderUnsubscribePage(UnsubscribePage::kNotFound, page_input(locale)));
      });

  auto authorize = [this](const httplib::Request& req, httplib::Response& res, Scope scope,
                          const ApiKeyConfig** key) { return Authorize(req, res, scope, key); };
  for (RecipientRoute& r : RecipientRoutes(deps, authorize)) {
    AddRoute(r.method, r.pattern, r.openapi_path, std::move(r.handler));
  }
}

}  // namespace herald
