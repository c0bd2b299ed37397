// The communicators' dashboard: GET /reports, GET /reports/campaigns/{id} (and its .csv),
// and sign-in: GET/POST /reports/login, POST /reports/logout. The pages themselves are
// rendered by engine/report/dashboard.h; this file reads the reports, checks sessions
// and sets the security headers.
//
// Sessions: POST /reports/login takes the admin API key once, checks it with the
// Authenticator and sets `herald_session` (HttpOnly; SameSite=Strict; Path=/reports;
// Secure when public_url is https) to an opaque random id kept in memory for 8 hours.
// GET /reports/login?token= redeems a one-time link from POST /v1/admin/dashboard-links.
// CSRF: the cookie is SameSite=Strict, and the state-changing POSTs refuse a request
// whose Origin or Sec-Fetch-Site says it came from another site.
// Guessing: a sign-in key and a link token are credentials like a Bearer key, so they pass
// the same failed-attempt limit (AdmitCredential) first, and a wrong one counts. A live
// session cookie is not checked against the limit: it proves an earlier sign-in, is not
// guessable (128 random bits), and keeps communicators working while someone behind the
// same address (a shared NAT or proxy) is blocked.
#include <memory>
#include <string>

#include "engine/api/report_internal.h"
#include "engine/report/dashboard.h"
#include "engine/report/report_format.h"
#include "engine/report/report_period.h"

namespace herald {
namespace {

void SendHtml(httplib::Response& res, int status, const std::string& html) {
  res.status = status;
  res.set_header("Content-Security-Policy", std::string(kDashboardCsp));
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  res.set_content(html, "text/html; charset=utf-8");
}

void SeeOther(httplib::Response& res, const std::string& location) {
  res.status = 303;
  res.set_header("Location", location);
  res.set_header("Cache-Control", "no-store");
}

bool Secure(const ServerDeps& deps) {
  return deps.config->public_url.rfind("https://", 0) == 0;
}

void SetSessionCookie(httplib::Response& res, const ServerDeps& deps, const std::string& id,
                      Micros lifetime) {
  std::string cookie =
      std::string(kSessionCookie) + "=" + id +
      "; HttpOnly; SameSite=Strict; Path=/reports; Max-Age=" + std::to_string(lifetime / 1000000);
  if (Secure(deps)) cookie += "; Secure";
  res.set_header("Set-Cookie", cookie);
}

// "https://host:port" of a URL.
std::string OriginOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  const size_t path = url.find('/', scheme + 3);
  return std::string(url.substr(0, path));
}

// A cross-site POST is refused: Sec-Fetch-Site (when the browser sends it) must be
// same-origin or none, and Origin (when sent) must be public_url's or this Host's.
bool SameOriginPost(const ServerDeps& deps, const httplib::Request& req) {
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  if (!req.has_header("Origin")) return true;
  const std::string origin = req.get_header_value("Origin");
  const std::string host = req.get_header_value("Host");
  return origin == OriginOf(deps.config->public_url) ||
         (!host.empty() && (origin == "http://" + host || origin == "https://" + host));
}

// The dashboard's gate: a live session, or an admin Bearer key (scripts); otherwise a 303
// to the sign-in page, which comes back here.
bool DashboardAuthorized(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (state.sessions.Valid(SessionCookie(req))) return true;
  if (req.has_header("Authorization")) return state.authorize_admin(req, res, nullptr);
  const std::string target = IsDashboardPath(req.target) ? req.target : "/reports";
  SeeOther(res, "/reports/login?next=" + UrlEncode(target));
  return false;
}

std::string NotFoundPage(std::string_view what) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found"
         "</title></head><body><main><h1>Not found</h1><p>" +
         HtmlEscape(what) +
         "</p><p><a href=\"/reports\">All campaigns</a></p></main></body></html>\n";
}

void CampaignPage(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!DashboardAuthorized(state, req, res)) return;
  const std::string id = req.matches[1];
  DashboardCampaignPage page;
  page.id = id;
  if (!KnownCampaign(state.deps, id, &page.name)) {
    return SendHtml(res, 404, NotFoundPage("There is no campaign with that id."));
  }
  const std::string from = req.get_param_value("from"), to = req.get_param_value("to");
  const std::string tz = req.get_param_value("tz");
  page.from_date = from;
  page.to_date = to;
  page.timezone = tz.empty() ? "UTC" : tz;
  if (state.deps.track == nullptr) {
    page.error = "Engagement tracking is not running, so there are no reports.";
    return SendHtml(res, 503, RenderCampaignPage(page));
  }
  Result<ReportQuery> q =
      ParseReportRequest({id, from, to, tz, "day"}, state.deps.clock->NowMicros(), state.zones);
  if (!q.ok()) {
    page.error = q.status().message();
    return SendHtml(res, 400, RenderCampaignPage(page));
  }
  Result<Zone> zone = state.zones.Get(q->timezone);
  if (!zone.ok()) return SendStoreFailure(res, zone.status());
  page.from_date = LocalDate(q->from, *zone);
  page.to_date = LocalDate(q->to - 1, *zone);
  page.timezone = q->timezone;
  for (auto [group, out] : {std::pair{ReportGroup::kDay, &page.by_day},
                            std::pair{ReportGroup::kLocale, &page.by_locale},
                            std::pair{ReportGroup::kChannel, &page.by_channel}}) {
    ReportQuery gq = *q;
    gq.group = group;
    Result<CampaignReport> r = state.deps.track->Report(gq);
    if (!r.ok()) return SendStoreFailure(res, r.status());
    *out = std::move(r).value();
  }
  page.csv_url = "/reports/campaigns/" + UrlEncode(id) + ".csv?from=" + UrlEncode(page.from_date) +
                 "&to=" + UrlEncode(page.to_date) + "&tz=" + UrlEncode(page.timezone) + "&by=day";
  SendHtml(res, 200, RenderCampaignPage(page));
}

void CampaignCsv(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!DashboardAuthorized(state, req, res)) return;
  const std::string id = req.matches[1];
  if (!KnownCampaign(state.deps, id, nullptr)) {
    return SendError(res, 404, "campaign_not_found", "no campaign with that id");
  }
  if (state.deps.track == nullptr) {
    return SendError(res, 503, "tracking_not_running", "engagement tracking is not running");
  }
  Result<ReportQuery> q =
      ParseReportRequest({id, req.get_param_value("from"), req.get_param_value("to"),
                          req.get_param_value("tz"), req.get_param_value("by")},
                         state.deps.clock->NowMicros(), state.zones);
  if (!q.ok()) return SendError(res, 400, "invalid_parameter", q.status().message());
  Result<Zone> zone = state.zones.Get(q->timezone);
  if (!zone.ok()) return SendStoreFailure(res, zone.status());
  Result<CampaignReport> r = state.deps.track->Report(*q);
  if (!r.ok()) return SendStoreFailure(res, r.status());
  SendReportCsv(res, *q, *r, *zone);
}

void CampaignList(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!DashboardAuthorized(state, req, res)) return;
  std::vector<DashboardCampaign> list;
  if (state.deps.campaign_names) {
    for (const auto& [id, name] : state.deps.campaign_names()) list.push_back({id, name, {}});
  }
  if (state.deps.track != nullptr) {
    for (DashboardCampaign& c : list) {
      Result<ReportQuery> q =
          ParseReportRequest({c.id, "", "", "", ""}, state.deps.clock->NowMicros(), state.zones);
      if (!q.ok()) return SendStoreFailure(res, q.status());
      Result<CampaignReport> r = state.deps.track->Report(*q);
      if (!r.ok()) return SendStoreFailure(res, r.status());
      c.total = r->total;
    }
  }
  SendHtml(res, 200, RenderCampaignList(list, "last 30 days (UTC)"));
}

// The peer may present a credential now; otherwise the sign-in page says when it may
// (429 with Retry-After).
bool AdmitSignIn(ReportState& state, const httplib::Request& req, httplib::Response& res,
                 const std::string& next) {
  return AdmitCredential(state.limiter, state.metrics, req, res,
                         [&next](httplib::Response& r, int64_t wait) {
                           SendHtml(r, 429,
                                    RenderLoginPage("Too many failed sign-in attempts from your "
                                                    "network. Try again in " +
                                                        std::to_string(wait) + " seconds.",
                                                    next));
                         });
}

void LoginForm(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  std::string next = req.get_param_value("next");
  if (!IsDashboardPath(next)) next.clear();
  const std::string token = req.get_param_value("token");
  if (token.empty()) return SendHtml(res, 200, RenderLoginPage("", next));
  if (!AdmitSignIn(state, req, res, next)) return;
  std::optional<std::string> key_id = state.sessions.RedeemLink(token);
  if (!key_id) {
    CountCredentialFailure(state.limiter, req);
    return SendHtml(res, 401,
                    RenderLoginPage("This sign-in link has expired or was already used. Sign in "
                                    "with the admin key, or ask for a new link.",
                                    next));
  }
  const std::string session = state.sessions.Create(*key_id);
  if (session.empty()) return SendError(res, 500, "internal", "no randomness available");
  SetSessionCookie(res, state.deps, session, kSessionLifetime);
  SeeOther(res, next.empty() ? "/reports" : next);
}

void LoginPost(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!SameOriginPost(state.deps, req)) {
    return SendError(res, 403, "cross_site", "sign-in must come from the dashboard's own page");
  }
  std::string next = req.get_param_value("next");
  if (!IsDashboardPath(next)) next.clear();
  if (!AdmitSignIn(state, req, res, next)) return;
  const std::string key = req.get_param_value("key");
  const AuthResult result =
      key.empty() ? AuthResult{} : state.auth.Check("Bearer " + key, Scope::kAdmin);
  if (result.kind != AuthResult::Kind::kOk) {
    // A wrong key is a guess; an empty form or a valid key without the admin scope is not.
    if (result.kind == AuthResult::Kind::kInvalid) CountCredentialFailure(state.limiter, req);
    state.metrics.CountRejected("unauthorized", 0);
    return SendHtml(res, 401,
                    RenderLoginPage(result.kind == AuthResult::Kind::kForbidden
                                        ? "That key does not have the admin scope."
                                        : "That key is not valid.",
                                    next));
  }
  const std::string session = state.sessions.Create(result.key->id);
  if (session.empty()) return SendError(res, 500, "internal", "no randomness available");
  SetSessionCookie(res, state.deps, session, kSessionLifetime);
  SeeOther(res, next.empty() ? "/reports" : next);
}

void Logout(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!SameOriginPost(state.deps, req)) {
    return SendError(res, 403, "cross_site", "sign-out must come from the dashboard's own page");
  }
  state.sessions.Remove(SessionCookie(req));
  SetSessionCookie(res, state.deps, "", 0);
  SeeOther(res, "/reports/login");
}

}  // namespace

bool IsDashboardPath(std::string_view path) {
  constexpr std::string_view kRoot = "/reports";
  if (path.size() > 2000 || path.substr(0, kRoot.size()) != kRoot) return false;
  if (path.size() > kRoot.size() && path[kRoot.size()] != '/' && path[kRoot.size()] != '?') {
    return false;
  }
  for (char c : path) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return false;
  }
  const std::string_view route = path.substr(0, path.find('?'));
  return route.find("//") == std::string_view::npos && route.find("..") == std::string_view::npos &&
         route.find('%') == std::string_view::npos;
}

void RegisterDashboardRoutes(const std::shared_ptr<ReportState>& state) {
  using Fn = void (*)(ReportState&, const httplib::Request&, httplib::Response&);
  auto bind = [state](Fn fn) {
    return
        [state, fn](const httplib::Request& req, httplib::Response& res) { fn(*state, req, res); };
  };
  ReportState& s = *state;
  s.add_route("GET", "/reports", "/reports", bind(&CampaignList));
  s.add_route("GET", "/reports/login", "/reports/login", bind(&LoginForm));
  s.add_route("POST", "/reports/login", "/reports/login", bind(&LoginPost));
  s.add_route("POST", "/reports/logout", "/reports/logout", bind(&Logout));
  // The .csv route first: httplib takes the first pattern that matches.
  s.add_route("GET", R"(/reports/campaigns/([^/]+)\.csv)", "/reports/campaigns/{id}.csv",
              bind(&CampaignCsv));
  s.add_route("GET", R"(/reports/campaigns/([^/]+))", "/reports/campaigns/{id}",
              bind(&CampaignPage));
}

}  // namespace herald
