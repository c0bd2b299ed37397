// Internal to engine/api: state and helpers shared by the report API (report_handlers.cc)
// and the communicators' dashboard (dashboard_handlers.cc).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "engine/api/http_server_impl.h"
#include "engine/schedule/local_time.h"

namespace herald {

inline constexpr std::string_view kSessionCookie = "herald_session";
inline constexpr Micros kSessionLifetime = 8LL * 3600 * 1000000;
inline constexpr Micros kLoginLinkLifetime = 5LL * 60 * 1000000;

// Dashboard sessions and one-time login links, in memory (a restart signs everyone out).
// A session id and a link token are 128 random bits (OpenSSL RAND_bytes) as hex: the
// browser holds only them, never the API key. Expiry follows the server's Clock.
// Thread-safe.
class DashboardSessions {
 public:
  explicit DashboardSessions(const Clock& clock) : clock_(clock) {}

  // A new session for the admin key `key_id`; returns its id ("" if no randomness).
  std::string Create(const std::string& key_id);
  // Whether `id` is a live session.
  bool Valid(std::string_view id);
  void Remove(std::string_view id);
  // A single-use login token valid for kLoginLinkLifetime; "" if no randomness.
  std::string MintLink(const std::string& key_id);
  // The key id of a live, unused token, which is used up; nullopt otherwise.
  std::optional<std::string> RedeemLink(std::string_view token);

 private:
  struct Entry {
    std::string key_id;
    Micros expires = 0;
  };
  void PruneLocked(Micros now);

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> sessions_;  // guarded by mu_
  std::map<std::string, Entry, std::less<>> links_;     // guarded by mu_
};

// What the report and dashboard handlers use of the server (HttpServer::Impl is private
// to HttpServer, so RegisterReportRoutes hands on the parts and two hooks).
struct ReportState {
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using AddRoute = std::function<void(const std::string& method, const std::string& pattern,
                                      const std::string& openapi_path, Handler handler)>;
  using AuthorizeAdmin =
      std::function<bool(const httplib::Request&, httplib::Response&, const ApiKeyConfig**)>;
  ReportState(const ServerDeps& d, const Authenticator& a, ApiMetrics& m, AuthFailureLimiter& l,
              AuthorizeAdmin authorize, AddRoute add)
      : deps(d),
        auth(a),
        metrics(m),
        limiter(l),
        authorize_admin(std::move(authorize)),
        add_route(std::move(add)),
        sessions(*d.clock) {}
  const ServerDeps& deps;
  const Authenticator& auth;
  ApiMetrics& metrics;
  AuthFailureLimiter& limiter;     // Impl::auth_limiter: sign-in and one-time links use it too
  AuthorizeAdmin authorize_admin;  // Impl::Authorize with Scope::kAdmin
  AddRoute add_route;              // Impl::AddRoute
  DashboardSessions sessions;
  ZoneCache zones;
};

// The session id the request's Cookie header carries ("" when none).
std::string SessionCookie(const httplib::Request& req);

// Admin scope from `Authorization: Bearer` (when sent) or a live session cookie. Otherwise
// answers 401/403 as Authorize does and returns false.
bool AuthorizeReport(ReportState& state, const httplib::Request& req, httplib::Response& res);

// Whether `campaign` can be reported on (always true without ServerDeps::campaign_names);
// sets `*name` to its display name.
bool KnownCampaign(const ServerDeps& deps, const std::string& campaign, std::string* name);

// Answers a report query as CSV (an attachment named <campaign>-<from>-<to>.csv).
void SendReportCsv(httplib::Response& res, const ReportQuery& q, const CampaignReport& r,
                   const Zone& zone);

// Whether `path` (a path and query, as given for `next`) is under /reports and can only
// be read as a same-origin path: no scheme, no "//", no backslash, no "..", printable
// ASCII only. Guards the sign-in redirects against open redirects.
bool IsDashboardPath(std::string_view path);

// The dashboard's routes (dashboard_handlers.cc).
void RegisterDashboardRoutes(const std::shared_ptr<ReportState>& state);

}  // namespace herald
