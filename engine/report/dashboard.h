// The communicators' dashboard: server-rendered HTML pages built from campaign reports.
//
// Takes CampaignReports (already read from TrackStore by the HTTP layer) and hands on
// complete HTML documents: no JavaScript, no external assets (an inline SVG chart with a
// data-table equivalent, inline CSS), so the pages work under a strict CSP and with a
// keyboard alone. Every metric is named and computed by report_format.h, as in the API and
// CSV. Everything a caller passes in is escaped here. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/track/track_store.h"
#include "templates/text_util.h"

namespace herald {

// The Content-Security-Policy the pages are written for (no script, inline styles only).
inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

// One line of the campaign list.
struct DashboardCampaign {
  std::string id;
  std::string name;
  Counters total;  // over the list's period
};

// GET /reports. `period` describes the period for people ("last 30 days, UTC").
std::string RenderCampaignList(const std::vector<DashboardCampaign>& campaigns,
                               std::string_view period);

struct DashboardCampaignPage {
  std::string id;
  std::string name;
  // The period as the form shows it: local dates (both included) and the IANA zone.
  std::string from_date, to_date, timezone;
  std::string error;  // a bad parameter: shown above the form; the reports are then empty
  CampaignReport by_day, by_locale, by_channel;
  std::string csv_url;  // where the CSV download link points (already a relative URL)
};

// GET /reports/campaigns/{id}.
std::string RenderCampaignPage(const DashboardCampaignPage& page);

// GET /reports/login: a password field for the admin key. `next` is kept in a hidden
// field (the caller has checked it).
std::string RenderLoginPage(std::string_view error, std::string_view next);

// &, <, >, " and ' as entities: the templates layer's escaper, one for every page.
using templates_internal::HtmlEscape;
// Percent-encodes everything but unreserved characters (RFC 3986), for query values.
std::string UrlEncode(std::string_view s);

}  // namespace herald
