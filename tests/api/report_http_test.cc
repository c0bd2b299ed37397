// The report API and the dashboard's sign-in over a real server (port 0) and a
// RocksTrackStore seeded with the hand-computed fixture of tests/report/report_server.h.
#include <doctest/doctest.h>

#include "engine/api/report_internal.h"
#include "engine/report/dashboard.h"
#include "tests/report/report_server.h"

namespace herald {
namespace {

using namespace herald::testing;

nlohmann::json Json(const httplib::Result& r) {
  return nlohmann::json::parse(r->body, nullptr, false);
}

// The session id a Set-Cookie header carries ("" when none).
std::string CookieValue(const httplib::Result& r) {
  const std::string set = r->get_header_value("Set-Cookie");
  const std::string prefix = "herald_session=";
  if (set.rfind(prefix, 0) != 0) return "";
  return set.substr(prefix.size(), set.find(';') - prefix.size());
}

httplib::Headers WithCookie(const std::string& session) {
  return {{"Cookie", "theme=dark; herald_session=" + session}};
}

TEST_CASE("report API: JSON totals, links and failures of the fixture") {
  ReportServer s;
  auto list = s.Get("/v1/reports/campaigns");
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(Json(list)["campaigns"][1] ==
        nlohmann::json({{"id", "snap"}, {"name", "SNAP renewal <2026>"}}));

  auto r = s.Get("/v1/reports/campaigns/snap?from=2026-01-01&to=2026-01-03");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const nlohmann::json j = Json(r);
  CHECK(j["campaign"] == "snap");
  CHECK(j["from"] == "2026-01-01T00:00:00Z");
  CHECK(j["to"] == "2026-01-04T00:00:00Z");
  CHECK(j["by"].is_null());
  const nlohmann::json& t = j["totals"];
  CHECK(t["created"] == 6);
  CHECK(t["sent"] == 4);
  CHECK(t["delivered"] == 3);
  CHECK(t["bounced"] == 1);
  CHECK(t["failed"] == 1);
  CHECK(t["suppressed"] == 1);
  CHECK(t["reached"] == 3);
  CHECK(t["unique_human_opens"] == 2);
  CHECK(t["unique_machine_opens"] == 2);
  CHECK(t["unique_clicks"] == 2);
  CHECK(t["unsubscribes"] == 1);
  CHECK(t["sms_opt_outs"] == 1);
  CHECK(t["open_rate"].get<double>() == doctest::Approx(0.6667));
  CHECK(t["click_rate"].get<double>() == doctest::Approx(0.6667));
  CHECK(t["click_to_open_rate"].get<double>() == doctest::Approx(0.5));
  CHECK(t["engagement_rate"].get<double>() == doctest::Approx(1.0));
  CHECK(t["median_time_to_first_open_seconds"].get<double>() ==
        doctest::Approx(3600).epsilon(0.05));
  REQUIRE(j["links"].size() == 3);
  CHECK(j["links"][0] ==
        nlohmann::json(
            {{"link", "https://benefits.gov/apply"}, {"human_clicks", 1}, {"machine_clicks", 1}}));
  REQUIRE(j["failures"].size() == 3);
  CHECK(j["failures"][1] ==
        nlohmann::json({{"status", "failed"}, {"reason", "permanent"}, {"count", 1}}));

  // A campaign with nothing sent: rates are null, not 0.
  auto empty = s.Get("/v1/reports/campaigns/empty");
  REQUIRE(empty);
  CHECK(empty->status == 200);
  CHECK(Json(empty)["totals"]["open_rate"].is_null());
}

TEST_CASE("report API: by=day in New York splits what UTC keeps on one day") {
  ReportServer s;
  auto utc = s.Get("/v1/reports/campaigns/snap?from=2026-01-01&to=2026-01-03&by=day");
  REQUIRE(utc);
  REQUIRE(utc->status == 200);
  nlohmann::json rows = Json(utc)["rows"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["key"] == "2026-01-02");
  CHECK(rows[0]["sent"] == 4);

  auto ny =
      s.Get("/v1/reports/campaigns/snap?from=2026-01-01&to=2026-01-03&by=day&tz=America/New_York");
  REQUIRE(ny);
  REQUIRE(ny->status == 200);
  const nlohmann::json j = Json(ny);
  CHECK(j["timezone"] == "America/New_York");
  CHECK(j["from"] == "2026-01-01T05:00:00Z");
  rows = j["rows"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["key"] == "2026-01-01");
  CHECK(rows[0]["sent"] == 1);
  CHECK(rows[0]["unsubscribes"] == 1);
  CHECK(rows[1]["key"] == "2026-01-02");
  CHECK(rows[1]["sent"] == 3);
  CHECK(rows[1]["sms_opt_outs"] == 1);

  auto locale = s.Get("/v1/reports/campaigns/snap?by=locale");
  REQUIRE(locale);
  CHECK(Json(locale)["rows"][1]["key"] == "es");
}

TEST_CASE("report API: CSV by format=csv or Accept: text/csv") {
  ReportServer s;
  for (const auto& [path, headers] :
       {std::pair<std::string, httplib::Headers>{
            "/v1/reports/campaigns/snap?from=2026-01-01&to=2026-01-03&by=channel&format=csv", {}},
        {"/v1/reports/campaigns/snap?from=2026-01-01&to=2026-01-03&by=channel",
         {{"Accept", "text/csv"}}}}) {
    auto r = s.Get(path, kReportAdminKey, headers);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/csv; charset=utf-8");
    CHECK(r->get_header_value("Content-Disposition") ==
          "attachment; filename=\"snap-2026-01-01-2026-01-03.csv\"");
    CHECK(r->body.rfind("by,key,created,sent,", 0) == 0);
    CHECK(r->body.find("\r\nchannel,email,5,3,") != std::string::npos);
    CHECK(r->body.find("\r\nchannel,sms,1,1,") != std::string::npos);
    CHECK(r->body.find("\r\ntotal,,6,4,3,1,1,1,0,3,2,2,") != std::string::npos);
  }
}

TEST_CASE("report API: bad parameters name the field; unknown campaign; keys") {
  ReportServer s;
  const std::pair<const char*, const char*> bad[] = {{"?from=2026-13-01", "from"},
                                                     {"?to=yesterday", "to"},
                                                     {"?tz=Mars/Base", "tz"},
                                                     {"?by=week", "by"},
                                                     {"?format=xml", "format"},
                                                     {"?from=2026-01-05&to=2026-01-01", "to"},
                                                     {"?from=2020-01-01&to=2026-01-01", "to"}};
  for (const auto& [query, field] : bad) {
    CAPTURE(query);
    auto r = s.Get(std::string("/v1/reports/campaigns/snap") + query);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(Json(r)["error"]["code"] == "invalid_parameter");
    CHECK(Json(r)["error"]["field"] == field);
    CHECK_FALSE(Json(r)["error"]["message"].get<std::string>().empty());
  }
  auto unknown = s.Get("/v1/reports/campaigns/nope");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(Json(unknown)["error"]["code"] == "campaign_not_found");

  auto none = s.Get("/v1/reports/campaigns/snap", "");
  REQUIRE(none);
  CHECK(none->status == 401);
  auto wrong = s.Get("/v1/reports/campaigns", "not-a-key");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto ingest = s.Get("/v1/reports/campaigns/snap", kReportIngestKey);
  REQUIRE(ingest);
  CHECK(ingest->status == 403);
  httplib::Headers h = {{"Authorization", std::string("Bearer ") + kReportIngestKey}};
  auto mint = s.Client().Post("/v1/admin/dashboard-links", h, "", "application/json");
  REQUIRE(mint);
  CHECK(mint->status == 403);
}

TEST_CASE("dashboard: sign in with the key, use the cookie, sign out") {
  ReportServer s;
  auto anonymous = s.Get("/reports/campaigns/snap?tz=UTC", "");
  REQUIRE(anonymous);
  CHECK(anonymous->status == 303);
  // (httplib's client percent-decodes Location; the wire has next=%2Freports%2F...)
  CHECK(anonymous->get_header_value("Location") ==
        "/reports/login?next=/reports/campaigns/snap?tz=UTC");

  auto form = s.Get("/reports/login", "");
  REQUIRE(form);
  CHECK(form->status == 200);
  CHECK(form->body.find("type=\"password\"") != std::string::npos);
  CHECK(form->get_header_value("X-Frame-Options") == "DENY");
  CHECK(form->get_header_value("Content-Security-Policy").find("default-src 'none'") == 0);

  auto c = s.Client();
  auto bad = c.Post("/reports/login", "key=wrong", "application/x-www-form-urlencoded");
  REQUIRE(bad);
  CHECK(bad->status == 401);
  CHECK(bad->get_header_value("Set-Cookie").empty());
  auto ingest = c.Post("/reports/login", std::string("key=") + kReportIngestKey,
                       "application/x-www-form-urlencoded");
  REQUIRE(ingest);
  CHECK(ingest->status == 401);
  CHECK(ingest->body.find("admin scope") != std::string::npos);
  httplib::Headers cross = {{"Origin", "https://evil.example"}};
  auto csrf = c.Post("/reports/login", cross, std::string("key=") + kReportAdminKey,
                     "application/x-www-form-urlencoded");
  REQUIRE(csrf);
  CHECK(csrf->status == 403);
  httplib::Headers fetch_site = {{"Sec-Fetch-Site", "cross-site"}};
  auto csrf2 = c.Post("/reports/login", fetch_site, std::string("key=") + kReportAdminKey,
                      "application/x-www-form-urlencoded");
  REQUIRE(csrf2);
  CHECK(csrf2->status == 403);

  httplib::Headers same = {{"Origin", s.origin()}, {"Sec-Fetch-Site", "same-origin"}};
  auto ok = c.Post("/reports/login", same,
                   std::string("key=") + kReportAdminKey + "&next=%2Freports%2Fcampaigns%2Fsnap",
                   "application/x-www-form-urlencoded");
  REQUIRE(ok);
  CHECK(ok->status == 303);
  CHECK(ok->get_header_value("Location") == "/reports/campaigns/snap");
  const std::string cookie = ok->get_header_value("Set-Cookie");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Path=/reports") != std::string::npos);
  CHECK(cookie.find("Secure") == std::string::npos);  // public_url is http here
  CHECK(cookie.find(kReportAdminKey) == std::string::npos);
  const std::string session = CookieValue(ok);
  CHECK(session.size() == 32);

  auto list = c.Get("/reports", WithCookie(session));
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(list->body.find("SNAP renewal &lt;2026&gt;") != std::string::npos);
  auto page = c.Get("/reports/campaigns/snap?from=2026-01-01&to=2026-01-03", WithCookie(session));
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("data-metric=\"sent\">4<") != std::string::npos);
  auto bad_tz = c.Get("/reports/campaigns/snap?tz=Mars/Base", WithCookie(session));
  REQUIRE(bad_tz);
  CHECK(bad_tz->status == 400);
  CHECK(bad_tz->body.find("unknown time zone") != std::string::npos);
  auto missing = c.Get("/reports/campaigns/nope", WithCookie(session));
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto csv = c.Get("/reports/campaigns/snap.csv?from=2026-01-01&to=2026-01-03&by=day",
                   WithCookie(session));
  REQUIRE(csv);
  CHECK(csv->status == 200);
  CHECK(csv->get_header_value("Content-Type") == "text/csv; charset=utf-8");
  CHECK(csv->body.find("\r\nday,2026-01-02,6,4,") != std::string::npos);
  // The cookie also opens the report API (for clients that send it).
  auto api = c.Get("/v1/reports/campaigns", WithCookie(session));
  REQUIRE(api);
  CHECK(api->status == 200);

  auto logout_cross = c.Post("/reports/logout", cross, "", "application/x-www-form-urlencoded");
  REQUIRE(logout_cross);
  CHECK(logout_cross->status == 403);
  httplib::Headers logout_headers = WithCookie(session);
  logout_headers.emplace("Origin", s.origin());
  auto logout = c.Post("/reports/logout", logout_headers, "", "application/x-www-form-urlencoded");
  REQUIRE(logout);
  CHECK(logout->status == 303);
  CHECK(logout->get_header_value("Set-Cookie").find("Max-Age=0") != std::string::npos);
  auto after = c.Get("/reports", WithCookie(session));
  REQUIRE(after);
  CHECK(after->status == 303);
  auto forged = c.Get("/reports", WithCookie("00000000000000000000000000000000"));
  REQUIRE(forged);
  CHECK(forged->status == 303);
}

TEST_CASE("dashboard: a session lasts 8 hours by the server's clock") {
  ReportServer s;
  auto c = s.Client();
  auto ok = c.Post("/reports/login", std::string("key=") + kReportAdminKey,
                   "application/x-www-form-urlencoded");
  REQUIRE(ok);
  const std::string session = CookieValue(ok);
  s.clock().Advance(8 * kHour - kSec);
  CHECK(c.Get("/reports", WithCookie(session))->status == 200);
  s.clock().Advance(kSec);
  CHECK(c.Get("/reports", WithCookie(session))->status == 303);
}

TEST_CASE("one-time sign-in links: single use, 5 minutes") {
  ReportServer s;
  const std::string link = s.MintLinkPath();
  CHECK(link.rfind("/reports/login?token=", 0) == 0);
  auto c = s.Client();
  auto first = c.Get(link);
  REQUIRE(first);
  CHECK(first->status == 303);
  CHECK(first->get_header_value("Location") == "/reports");
  const std::string session = CookieValue(first);
  CHECK(c.Get("/reports", WithCookie(session))->status == 200);
  auto again = c.Get(link);
  REQUIRE(again);
  CHECK(again->status == 401);
  CHECK(again->get_header_value("Set-Cookie").empty());

  const std::string late = s.MintLinkPath();
  s.clock().Advance(5 * kMin);
  auto expired = c.Get(late);
  REQUIRE(expired);
  CHECK(expired->status == 401);
  CHECK(c.Get("/reports/login?token=" + std::string(32, 'a'))->status == 401);

  const std::string in_time = s.MintLinkPath();
  s.clock().Advance(5 * kMin - kSec);
  CHECK(c.Get(in_time)->status == 303);
}

TEST_CASE("one-time sign-in links: next stays under /reports (no open redirect)") {
  ReportServer s;
  auto c = s.Client();
  const std::string good = s.MintLinkPath(R"({"next": "/reports/campaigns/snap?tz=UTC"})");
  auto r = c.Get(good);
  REQUIRE(r);
  CHECK(r->status == 303);
  CHECK(r->get_header_value("Location") == "/reports/campaigns/snap?tz=UTC");

  for (const char* next :
       {"https://evil.example/", "//evil.example/reports", "/\\evil.example", "/reportsevil",
        "/reports//evil.example", "/reports/../v1/events", "/reports/%2e%2e/x",
        "/reports\r\nSet-Cookie:x", "javascript:alert(1)", "/reports@evil.example"}) {
    CAPTURE(next);
    CHECK_FALSE(IsDashboardPath(next));
    const std::string link = s.MintLinkPath();
    auto res = c.Get(link + "&next=" + UrlEncode(next));
    REQUIRE(res);
    CHECK(res->status == 303);
    CHECK(res->get_header_value("Location") == "/reports");
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kReportAdminKey}};
    auto mint = c.Post("/v1/admin/dashboard-links", h, nlohmann::json({{"next", next}}).dump(),
                       "application/json");
    REQUIRE(mint);
    CHECK(mint->status == 400);
    auto login =
        c.Post("/reports/login", std::string("key=") + kReportAdminKey + "&next=" + UrlEncode(next),
               "application/x-www-form-urlencoded");
    REQUIRE(login);
    CHECK(login->get_header_value("Location") == "/reports");
  }
}

TEST_CASE("report routes answer 503 without the track store") {
  Config config;
  config.source = "<test>";
  config.api_keys = {{"ops", Sha256Hex(kReportAdminKey), {Scope::kAdmin}}};
  config.http.threads = 2;
  FakeClock clock;
  ServerDeps deps;
  deps.config = &config;
  deps.clock = &clock;
  HttpServer server(deps);
  Result<int> port = server.Start("127.0.0.1", 0);
  REQUIRE(port.ok());
  httplib::Client c("127.0.0.1", *port);
  httplib::Headers h = {{"Authorization", std::string("Bearer ") + kReportAdminKey}};
  auto r = c.Get("/v1/reports/campaigns/snap", h);
  REQUIRE(r);
  CHECK(r->status == 503);
  auto list = c.Get("/v1/reports/campaigns", h);
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(Json(list)["campaigns"].empty());
  server.Stop();
}

}  // namespace
}  // namespace herald
