// Report routes: GET /v1/reports/campaigns, GET /v1/reports/campaigns/{id} (JSON or CSV)
// and POST /v1/admin/dashboard-links (a one-time sign-in link to the dashboard). The
// dashboard's own pages are in dashboard_handlers.cc. Registered by
// HttpServer::Impl::RegisterRoutes; see docs/api.md ("Reports") and docs/reports.md.
//
// Reports read counters only (TrackStore::Report), so a request costs O(hours x groups)
// whatever the campaign's volume. Admin scope: a Bearer key, or the dashboard's session
// cookie (which browsers send only under /reports, hence the dashboard's own CSV route).
#include <openssl/rand.h>

#include <memory>
#include <string>

#include "engine/api/report_internal.h"
#include "engine/core/time_format.h"
#include "engine/report/dashboard.h"
#include "engine/report/report_format.h"
#include "engine/report/report_period.h"

namespace herald {
namespace {

std::string RandomHex128() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// "from: '2026-13-01' is not a date" -> "from".
std::string FieldOf(const std::string& message) {
  const size_t colon = message.find(':');
  return colon == std::string::npos ? "" : message.substr(0, colon);
}

// A file name part: [A-Za-z0-9._-], anything else '_'.
std::string FileSafe(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace

// --- DashboardSessions ---------------------------------------------------------------

void DashboardSessions::PruneLocked(Micros now) {
  for (auto* m : {&sessions_, &links_}) {
    std::erase_if(*m, [now](const auto& kv) { return kv.second.expires <= now; });
  }
}

std::string DashboardSessions::Create(const std::string& key_id) {
  std::string id = RandomHex128();
  if (id.empty()) return id;
  std::lock_guard<std::mutex> lock(mu_);
  const Micros now = clock_.NowMicros();
  PruneLocked(now);
  sessions_[id] = {key_id, now + kSessionLifetime};
  return id;
}

bool DashboardSessions::Valid(std::string_view id) {
  if (id.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  if (it->second.expires <= clock_.NowMicros()) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

void DashboardSessions::Remove(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = sessions_.find(id); it != sessions_.end()) sessions_.erase(it);
}

std::string DashboardSessions::MintLink(const std::string& key_id) {
  std::string token = RandomHex128();
  if (token.empty()) return token;
  std::lock_guard<std::mutex> lock(mu_);
  const Micros now = clock_.NowMicros();
  PruneLocked(now);
  links_[token] = {key_id, now + kLoginLinkLifetime};
  return token;
}

std::optional<std::string> DashboardSessions::RedeemLink(std::string_view token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(token);
  if (it == links_.end()) return std::nullopt;
  Entry e = it->second;
  links_.erase(it);  // used up whether or not it was still valid
  if (e.expires <= clock_.NowMicros()) return std::nullopt;
  return e.key_id;
}

// --- shared helpers --------------------------------------------------------------------

std::string SessionCookie(const httplib::Request& req) {
  const std::string header = req.get_header_value("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == kSessionCookie) {
      return std::string(part.substr(eq + 1));
    }
  }
  return "";
}

bool AuthorizeReport(ReportState& state, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Authorization") && state.sessions.Valid(SessionCookie(req))) return true;
  return state.authorize_admin(req, res, nullptr);
}

bool KnownCampaign(const ServerDeps& deps, const std::string& campaign, std::string* name) {
  if (!deps.campaign_names) return true;
  for (const auto& [id, display] : deps.campaign_names()) {
    if (id == campaign) {
      if (name != nullptr) *name = display;
      return true;
    }
  }
  return false;
}

void SendReportCsv(httplib::Response& res, const ReportQuery& q, const CampaignReport& r,
                   const Zone& zone) {
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"" + FileSafe(q.campaign) + "-" +
                                            LocalDate(q.from, zone) + "-" +
                                            LocalDate(q.to - 1, zone) + ".csv\"");
  res.set_header("Cache-Control", "no-store");
  res.set_content(ReportToCsv(q, r), "text/csv; charset=utf-8");
}

// --- routes ----------------------------------------------------------------------------

void HttpServer::Impl::RegisterReportRoutes() {
  auto state = std::make_shared<ReportState>(
      deps, auth, metrics, auth_limiter,
      [this](const httplib::Request& req, httplib::Response& res, const ApiKeyConfig** key) {
        return Authorize(req, res, Scope::kAdmin, key);
      },
      [this](const std::string& method, const std::string& pattern, const std::string& openapi,
             Handler handler) { AddRoute(method, pattern, openapi, std::move(handler)); });

  AddRoute("GET", "/v1/reports/campaigns", "/v1/reports/campaigns",
           [this, state](const httplib::Request& req, httplib::Response& res) {
             if (!AuthorizeReport(*state, req, res)) return;
             nlohmann::json list = nlohmann::json::array();
             if (deps.campaign_names) {
               for (const auto& [id, name] : deps.campaign_names()) {
                 list.push_back({{"id", id}, {"name", name}});
               }
             }
             SendJson(res, 200, {{"campaigns", std::move(list)}});
           });

  AddRoute(
      "GET", R"(/v1/reports/campaigns/([^/]+))", "/v1/reports/campaigns/{id}",
      [this, state](const httplib::Request& req, httplib::Response& res) {
        if (!AuthorizeReport(*state, req, res)) return;
        if (deps.track == nullptr) {
          return SendError(res, 503, "tracking_not_running", "engagement tracking is not running");
        }
        const std::string campaign = req.matches[1];
        const std::string from = req.get_param_value("from"), to = req.get_param_value("to");
        const std::string tz = req.get_param_value("tz"), by = req.get_param_value("by");
        std::string format = req.get_param_value("format");
        if (format.empty()) {
          format =
              req.get_header_value("Accept").find("text/csv") != std::string::npos ? "csv" : "json";
        }
        if (format != "json" && format != "csv") {
          return SendError(res, 400, "invalid_parameter", "format: expected json or csv",
                           {{"field", "format"}});
        }
        Result<ReportQuery> q =
            ParseReportRequest({campaign, from, to, tz, by}, deps.clock->NowMicros(), state->zones);
        if (!q.ok()) {
          return SendError(res, 400, "invalid_parameter", q.status().message(),
                           {{"field", FieldOf(q.status().message())}});
        }
        if (!KnownCampaign(deps, campaign, nullptr)) {
          return SendError(res, 404, "campaign_not_found", "no campaign with that id",
                           {{"campaign", campaign}});
        }
        Result<CampaignReport> report = deps.track->Report(*q);
        if (!report.ok()) {
          if (report.status().IsInvalidArgument()) {
            return SendError(res, 400, "invalid_parameter", report.status().message(),
                             {{"field", FieldOf(report.status().message())}});
          }
          return SendStoreFailure(res, report.status());
        }
        if (format == "csv") {
          Result<Zone> zone = state->zones.Get(q->timezone);  // parsed above: cached
          if (!zone.ok()) return SendStoreFailure(res, zone.status());
          return SendReportCsv(res, *q, *report, *zone);
        }
        SendJson(res, 200, ReportToJson(*q, *report));
      });

  // A one-time sign-in link for the dashboard (ops, and the browser test): single use,
  // valid 5 minutes. Only a Bearer key: a browser session cannot mint more sessions.
  AddRoute(
      "POST", "/v1/admin/dashboard-links", "/v1/admin/dashboard-links",
      [this, state](const httplib::Request& req, httplib::Response& res) {
        const ApiKeyConfig* key = nullptr;
        if (!Authorize(req, res, Scope::kAdmin, &key)) return;
        std::string next;
        if (!req.body.empty()) {
          nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
          if (body.is_discarded() || !body.is_object()) {
            return SendError(res, 400, "invalid_json", "the body must be a JSON object");
          }
          if (body.contains("next")) {
            if (!body["next"].is_string() || !IsDashboardPath(body["next"].get<std::string>())) {
              return SendError(res, 400, "invalid_parameter",
                               "next: expected a path under /reports", {{"field", "next"}});
            }
            next = body["next"].get<std::string>();
          }
        }
        const std::string token = state->sessions.MintLink(key->id);
        if (token.empty()) return SendError(res, 500, "internal", "no randomness available");
        std::string url = deps.config->public_url + "/reports/login?token=" + token;
        if (!next.empty()) url += "&next=" + UrlEncode(next);
        SendJson(res, 201,
                 {{"url", url},
                  {"expires_at", FormatRfc3339(deps.clock->NowMicros() + kLoginLinkLifetime)}});
      });

  RegisterDashboardRoutes(state);
}

}  // namespace herald
