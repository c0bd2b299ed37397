// The dashboard's HTML from a fixture: the numbers, escaping, no script, accessibility
// structure.
#include <doctest/doctest.h>

#include <string>

#include "engine/report/dashboard.h"
#include "engine/track/metrics.h"

namespace herald {
namespace {

Counters Make(int64_t sent, int64_t bounced, int64_t opens, int64_t machine, int64_t clicks) {
  Counters c;
  c.v[kCreated] = sent;
  c.v[kSent] = sent;
  c.v[kBounced] = bounced;
  c.v[kUniqueOpens] = opens;
  c.v[kUniqueEngaged] = opens;
  c.v[kUniqueMachineOpens] = machine;
  c.v[kUniqueClicks] = clicks;
  c.v[kUniqueEmailClicks] = clicks;
  return c;
}

bool Has(const std::string& html, const std::string& needle) {
  return html.find(needle) != std::string::npos;
}

DashboardCampaignPage Fixture() {
  DashboardCampaignPage p;
  p.id = "snap";
  p.name = "SNAP <b>renewal</b> & \"more\"";
  p.from_date = "2026-01-01";
  p.to_date = "2026-01-03";
  p.timezone = "America/New_York";
  // Jan 1: 1000 sent, 40 bounced, 480 opens, 300 machine, 96 clicks; Jan 3: 234 sent.
  p.by_day.rows = {{"2026-01-01", Make(1000, 40, 480, 300, 96)},
                   {"2026-01-03", Make(234, 0, 0, 0, 0)}};
  p.by_day.total = Make(1234, 40, 480, 300, 96);
  p.by_day.links = {{"https://benefits.gov/apply?<x>", 90, 12}};
  p.by_day.reasons = {{"failed", "permanent", 7}};
  p.by_locale.rows = {{"en", Make(1000, 40, 480, 300, 96)}, {"es", Make(234, 0, 0, 0, 0)}};
  p.by_channel.rows = {{"email", Make(1234, 40, 480, 300, 96)}};
  p.csv_url = "/reports/campaigns/snap.csv?from=2026-01-01&to=2026-01-03&tz=America%2FNew_York";
  return p;
}

TEST_CASE("campaign page shows the fixture's numbers, formatted") {
  const std::string html = RenderCampaignPage(Fixture());
  // Funnel: 1,234 sent, 1,194 reached (96.8% of sent), 480 opens (40.2% of reached),
  // machine opens beside them, 96 clicks (8.0%).
  CHECK(Has(html, "<span class=\"count\">1,234</span>"));
  CHECK(Has(html, "<span class=\"count\">1,194</span> (96.8% of sent)"));
  CHECK(Has(html, "<span class=\"count\">480</span> (40.2% of reached: open rate)"));
  CHECK(Has(html, "machine opens: 300"));
  CHECK(Has(html, "<span class=\"count\">96</span> (8.0% of reached: click rate)"));
  CHECK(Has(html, "data-metric=\"sent\">1,234<"));
  CHECK(Has(html, "data-metric=\"open_rate\">40.2%<"));
  CHECK(Has(html, "data-metric=\"click_to_open_rate\">20.0%<"));
  // No sample: a dash, not 0.
  CHECK(Has(html, "data-metric=\"median_time_to_first_open_seconds\">—<"));
  // The daily table fills the empty day in between.
  CHECK(Has(html, "<th scope=\"row\">2026-01-02</th><td class=\"n\">0</td>"));
  CHECK(Has(html, "<th scope=\"row\">2026-01-03</th><td class=\"n\">234</td>"));
  CHECK(Has(html, "<caption>By language</caption>"));
  CHECK(Has(html, "<th scope=\"row\">es</th>"));
  CHECK(Has(html, "<caption>By channel</caption>"));
  CHECK(Has(html, "<th scope=\"row\">permanent</th><td class=\"n\">7</td>"));
  CHECK(Has(html, "Download CSV"));
  CHECK(Has(html,
            "href=\"/reports/campaigns/snap.csv?from=2026-01-01&amp;to=2026-01-03&amp;"
            "tz=America%2FNew_York\""));
  CHECK(Has(html, "value=\"America/New_York\""));
}

TEST_CASE("campaign page escapes names and links, has no script and is structured") {
  const std::string html = RenderCampaignPage(Fixture());
  CHECK(Has(html, "SNAP &lt;b&gt;renewal&lt;/b&gt; &amp; &quot;more&quot;"));
  CHECK_FALSE(Has(html, "<b>renewal"));
  CHECK(Has(html, "https://benefits.gov/apply?&lt;x&gt;"));
  CHECK_FALSE(Has(html, "<x>"));
  CHECK_FALSE(Has(html, "<script"));
  CHECK_FALSE(Has(html, "http://"));  // no external assets
  CHECK(Has(html, "<html lang=\"en\">"));
  CHECK(Has(html, "<header>"));
  CHECK(Has(html, "<nav aria-label=\"Main\">"));
  CHECK(Has(html, "<main id=\"main\">"));
  CHECK(Has(html, "<title id=\"chart-title\">"));
  CHECK(Has(html, "<desc id=\"chart-desc\">"));
  CHECK(Has(html, ":focus-visible"));
  CHECK(Has(html, "id=\"definitions\""));
  // Headings in order: one h1 before any h2, no h3 skipping.
  CHECK(html.find("<h1>") < html.find("<h2"));
  CHECK_FALSE(Has(html, "<h4"));
}

TEST_CASE("campaign page with an error shows it and the form only") {
  DashboardCampaignPage p = Fixture();
  p.error = "tz: unknown time zone '<Mars>'";
  const std::string html = RenderCampaignPage(p);
  CHECK(Has(html, "role=\"alert\">tz: unknown time zone &#39;&lt;Mars&gt;&#39;</p>"));
  CHECK_FALSE(Has(html, "Funnel"));
}

TEST_CASE("campaign list and login page") {
  std::vector<DashboardCampaign> list = {{"a&b", "<Renewals>", Make(10, 0, 5, 1, 0)},
                                         {"empty", "", Counters{}}};
  const std::string html = RenderCampaignList(list, "last 30 days (UTC)");
  CHECK(Has(html, "<a href=\"/reports/campaigns/a%26b\">&lt;Renewals&gt;</a>"));
  CHECK(Has(html,
            "<td class=\"n\">10</td><td class=\"n\">10</td><td class=\"n\">50.0%</td>"
            "<td class=\"n\">0.0%</td>"));
  // Nothing sent: rates are a dash.
  CHECK(Has(html,
            ">empty</a></th><td class=\"n\">0</td><td class=\"n\">0</td><td "
            "class=\"n\">—</td><td class=\"n\">—</td>"));
  CHECK_FALSE(Has(html, "<script"));

  const std::string login = RenderLoginPage("bad \"key\"", "/reports/campaigns/x?a=1&b=2");
  CHECK(Has(login, "type=\"password\""));
  CHECK(Has(login, "bad &quot;key&quot;"));
  CHECK(Has(login, "value=\"/reports/campaigns/x?a=1&amp;b=2\""));
  CHECK_FALSE(Has(login, "Sign out"));
}

TEST_CASE("escaping helpers") {
  CHECK(HtmlEscape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(UrlEncode("America/New_York ü") == "America%2FNew_York%20%C3%BC");
}

}  // namespace
}  // namespace herald
