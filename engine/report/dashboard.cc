#include "engine/report/dashboard.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "engine/report/report_format.h"

namespace herald {
namespace {

// Colours: every text colour is >= 4.5:1 on its background (WCAG AA); the chart's series
// differ by dash pattern as well as colour, so colour is never the only cue.
constexpr std::string_view kCss = R"(
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff}
header{background:#12355b;color:#fff;padding:.75rem 1.5rem;display:flex;gap:2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}
header p{margin:0;font-weight:700;font-size:1.1rem}
nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1.5rem;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
a{color:#0b4f9c}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
button{font:inherit;padding:.4rem 1rem;border:2px solid #12355b;background:#12355b;color:#fff;border-radius:4px;cursor:pointer}
header button{background:#fff;color:#12355b;border-color:#fff}
input{font:inherit;padding:.35rem .5rem;border:2px solid #555;border-radius:4px}
label{display:block;font-weight:600}
form.period{display:flex;gap:1rem;align-items:flex-end;flex-wrap:wrap;margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;min-width:50%}
caption{text-align:left;font-weight:700;padding:.25rem 0}
th,td{border:1px solid #8a8a8a;padding:.3rem .6rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#e8edf3}
.error{border:2px solid #a4001d;color:#a4001d;padding:.5rem 1rem;background:#fff5f5}
.funnel{list-style:none;padding:0;max-width:48rem}
.funnel li{margin:.5rem 0}
.bar{height:1.25rem;background:#1f5fa8;min-width:2px}
.muted{color:#4a4a4a}
dt{font-weight:700;margin-top:.5rem}
dd{margin-left:1rem}
)";

std::string Count(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

std::string Cell(const Metrics& m, const MetricColumn& c) {
  std::optional<double> v = MetricValue(m, c.name);
  switch (c.kind) {
    case MetricKind::kCount:
      return v ? Count(static_cast<int64_t>(*v)) : "—";
    case MetricKind::kRate:
      return FormatRate(v);
    case MetricKind::kSeconds:
      return FormatSeconds(v);
  }
  return "—";
}

const MetricColumn& Column(std::string_view name) {
  for (const MetricColumn& c : MetricColumns()) {
    if (c.name == name) return c;
  }
  return MetricColumns().front();
}

std::string Page(std::string_view title, std::string_view body, bool signed_in) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out += "<title>" + HtmlEscape(title) + " — herald reports</title>\n<style>";
  out += kCss;
  out += "</style>\n</head>\n<body>\n<header>\n<p>herald reports</p>\n";
  if (signed_in) {
    out += "<nav aria-label=\"Main\"><ul><li><a href=\"/reports\">Campaigns</a></li>";
    out += "<li><a href=\"#definitions\">Definitions</a></li>";
    out +=
        "<li><form method=\"post\" action=\"/reports/logout\"><button type=\"submit\">Sign out"
        "</button></form></li></ul></nav>\n";
  }
  out += "</header>\n<main id=\"main\">\n";
  out += body;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

// Table columns of the breakdowns and the campaign list.
constexpr std::string_view kBreakdownColumns[] = {
    "sent",        "reached",    "unique_human_opens", "unique_machine_opens", "unique_clicks",
    "open_rate",   "click_rate", "click_to_open_rate", "engagement_rate",      "unsubscribes",
    "sms_opt_outs"};

std::string MetricsTable(std::string_view caption, std::string_view key_label,
                         const std::vector<ReportRow>& rows) {
  std::string t = "<table>\n<caption>" + HtmlEscape(caption) + "</caption>\n<thead><tr>";
  t += "<th scope=\"col\">" + HtmlEscape(key_label) + "</th>";
  for (std::string_view name : kBreakdownColumns) {
    t += "<th scope=\"col\" class=\"n\">" + HtmlEscape(Column(name).label) + "</th>";
  }
  t += "</tr></thead>\n<tbody>\n";
  if (rows.empty()) {
    t += "<tr><td colspan=\"" + std::to_string(std::size(kBreakdownColumns) + 1) +
         "\">No messages in this period.</td></tr>\n";
  }
  for (const ReportRow& row : rows) {
    const Metrics m = DeriveMetrics(row.counters);
    t += "<tr><th scope=\"row\">" + HtmlEscape(row.key.empty() ? "(none)" : row.key) + "</th>";
    for (std::string_view name : kBreakdownColumns) {
      t += "<td class=\"n\">" + Cell(m, Column(name)) + "</td>";
    }
    t += "</tr>\n";
  }
  t += "</tbody>\n</table>\n";
  return t;
}

std::optional<std::chrono::sys_days> ParseDay(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || std::sscanf(std::string(s).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::string DayName(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

struct DayPoint {
  std::string day;
  int64_t sent = 0, opens = 0, clicks = 0;
};

// Every day of the period, zeros included, so the chart's x axis is time.
std::vector<DayPoint> DailySeries(const DashboardCampaignPage& p) {
  std::map<std::string, const Counters*> by_key;
  for (const ReportRow& r : p.by_day.rows) by_key[r.key] = &r.counters;
  std::vector<DayPoint> out;
  auto first = ParseDay(p.from_date), last = ParseDay(p.to_date);
  if (first && last && *first <= *last && (*last - *first).count() <= 800) {
    for (auto d = *first; d <= *last; d += std::chrono::days(1)) out.push_back({DayName(d)});
  } else {
    for (const auto& [k, c] : by_key) out.push_back({k});
  }
  for (DayPoint& pt : out) {
    auto it = by_key.find(pt.day);
    if (it == by_key.end()) continue;
    const Metrics m = DeriveMetrics(*it->second);
    pt.sent = m.sent;
    pt.opens = m.unique_human_opens;
    pt.clicks = m.unique_clicks;
  }
  return out;
}

std::string Chart(const std::vector<DayPoint>& days, std::string_view tz) {
  constexpr int kW = 760, kH = 260, kLeft = 56, kRight = 16, kTop = 16, kBottom = 40;
  int64_t max = 1;
  for (const DayPoint& d : days) max = std::max({max, d.sent, d.opens, d.clicks});
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  auto x = [&](size_t i) {
    return kLeft + (days.size() <= 1 ? plot_w / 2 : plot_w * i / double(days.size() - 1));
  };
  auto y = [&](int64_t v) { return kTop + plot_h - plot_h * double(v) / double(max); };
  char buf[96];
  std::string desc = "Messages sent, estimated human opens and unique clicks per day in " +
                     std::string(tz) + ", from " + (days.empty() ? "" : days.front().day) + " to " +
                     (days.empty() ? "" : days.back().day) + "; the highest daily value is " +
                     std::to_string(max) + ". The same numbers are in the table below.";
  std::string s = "<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" width=\"" +
                  std::to_string(kW) + "\" height=\"" + std::to_string(kH) + "\" viewBox=\"0 0 " +
                  std::to_string(kW) + " " + std::to_string(kH) + "\">\n";
  s += "<title id=\"chart-title\">Daily sends, opens and clicks</title>\n";
  s += "<desc id=\"chart-desc\">" + HtmlEscape(desc) + "</desc>\n";
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n", kLeft,
                kTop + int(plot_h), kW - kRight, kTop + int(plot_h));
  s += buf;
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n", kLeft, kTop,
                kLeft, kTop + int(plot_h));
  s += buf;
  auto text = [&](double tx, double ty, const char* anchor, const std::string& t) {
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" ", tx, ty,
                  anchor);
    s += buf;
    s += "font-size=\"12\" fill=\"#1b1b1b\">" + HtmlEscape(t) + "</text>\n";
  };
  text(kLeft - 6, kTop + 4, "end", Count(max));
  text(kLeft - 6, kTop + plot_h + 4, "end", "0");
  if (!days.empty()) {
    text(x(0), kH - kBottom + 18, "start", days.front().day);
    if (days.size() > 1) text(x(days.size() - 1), kH - kBottom + 18, "end", days.back().day);
  }
  struct Series {
    const char* name;
    const char* colour;
    const char* dash;
    int64_t DayPoint::*field;
  };
  const Series series[] = {{"Sent", "#12355b", "", &DayPoint::sent},
                           {"Estimated human opens", "#0a7d3b", "6 4", &DayPoint::opens},
                           {"Unique clicks", "#a4001d", "2 3", &DayPoint::clicks}};
  int legend_x = kLeft;
  for (const Series& se : series) {
    s += "<polyline fill=\"none\" stroke-width=\"2.5\" stroke=\"" + std::string(se.colour) + "\"";
    if (*se.dash) s += " stroke-dasharray=\"" + std::string(se.dash) + "\"";
    s += " points=\"";
    for (size_t i = 0; i < days.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", x(i), y(days[i].*se.field));
      s += buf;
    }
    s += "\"/>\n";
    std::snprintf(
        buf, sizeof buf,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke-width=\"2.5\" stroke=\"%s\"",
        legend_x, kH - 8, legend_x + 24, kH - 8, se.colour);
    s += buf;
    if (*se.dash) s += " stroke-dasharray=\"" + std::string(se.dash) + "\"";
    s += "/>\n";
    text(legend_x + 30, kH - 4, "start", se.name);
    legend_x += 40 + 8 * static_cast<int>(std::string_view(se.name).size());
  }
  s += "</svg>\n";
  return s;
}

std::string Funnel(const Metrics& m) {
  auto pct = [](int64_t part, int64_t whole) -> std::optional<double> {
    if (whole <= 0) return std::nullopt;
    return double(part) / double(whole);
  };
  auto step = [&](std::string_view label, int64_t v, std::optional<double> rate,
                  std::string_view of, std::string_view extra) {
    const double width = m.sent > 0 ? std::min(100.0, 100.0 * double(v) / double(m.sent)) : 0;
    char style[48];
    std::snprintf(style, sizeof style, "width:%.1f%%", width);
    std::string li = "<li><strong>" + HtmlEscape(label) + ":</strong> <span class=\"count\">" +
                     Count(v) + "</span>";
    if (!of.empty()) li += " (" + FormatRate(rate) + " " + std::string(of) + ")";
    if (!extra.empty()) li += " " + std::string(extra);
    li += "<div class=\"bar\" style=\"" + std::string(style) + "\"></div></li>\n";
    return li;
  };
  std::string f = "<ol class=\"funnel\" aria-label=\"Funnel\">\n";
  f += step("Sent", m.sent, std::nullopt, "", "");
  f += step("Reached", m.reached, pct(m.reached, m.sent), "of sent", "");
  f += step("Estimated human opens", m.unique_human_opens, m.open_rate, "of reached: open rate",
            "<span class=\"muted\">— beside them, machine opens: " + Count(m.unique_machine_opens) +
                " (not counted)</span>");
  f += step("Unique clicks", m.unique_clicks, m.click_rate, "of reached: click rate", "");
  f += "</ol>\n";
  return f;
}

constexpr std::string_view kGlossary = R"(<section aria-labelledby="definitions">
<h2 id="definitions">Definitions</h2>
<p>Every message counts in the hour it was sent, so a late open adds to the day the message went out. The full definitions are in <code>docs/reports.md</code>.</p>
<dl>
<dt>Reached</dt><dd>Sent minus bounced: the denominator of every rate.</dd>
<dt>Estimated human opens</dt><dd>Emails opened by a person at least once (a human click counts as an open). Opens by machines such as Apple Mail Privacy Protection or security scanners are left out and shown apart as machine opens.</dd>
<dt>Unique clicks</dt><dd>Messages (email or SMS) with at least one click by a person.</dd>
<dt>Open rate</dt><dd>Estimated human opens divided by reached.</dd>
<dt>Click rate</dt><dd>Unique clicks divided by reached.</dd>
<dt>Click-to-open rate</dt><dd>Emails clicked divided by estimated human opens.</dd>
<dt>Engagement rate</dt><dd>Messages opened (email) or clicked (SMS) by a person, divided by reached: comparable across channels.</dd>
<dt>Unsubscribes and SMS opt-outs</dt><dd>Emails whose unsubscribe link was used; STOP replies to an SMS.</dd>
<dt>—</dt><dd>No value: the rate's denominator is zero, or there is no sample.</dd>
</dl>
</section>
)";

}  // namespace

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string RenderCampaignList(const std::vector<DashboardCampaign>& campaigns,
                               std::string_view period) {
  std::string b = "<h1>Campaigns</h1>\n<p>Numbers for the " + HtmlEscape(period) +
                  ". Choose a campaign for its funnel, daily chart, breakdowns and CSV.</p>\n";
  b += "<table>\n<caption>Campaigns, " + HtmlEscape(period) +
       "</caption>\n<thead><tr><th scope=\"col\">Campaign</th>";
  for (std::string_view name : {"sent", "reached", "open_rate", "click_rate"}) {
    b += "<th scope=\"col\" class=\"n\">" + HtmlEscape(Column(name).label) + "</th>";
  }
  b += "</tr></thead>\n<tbody>\n";
  if (campaigns.empty()) b += "<tr><td colspan=\"5\">No campaigns are configured.</td></tr>\n";
  for (const DashboardCampaign& c : campaigns) {
    const Metrics m = DeriveMetrics(c.total);
    b += "<tr><th scope=\"row\"><a href=\"/reports/campaigns/" + HtmlEscape(UrlEncode(c.id)) +
         "\">" + HtmlEscape(c.name.empty() ? c.id : c.name) + "</a></th>";
    for (std::string_view name : {"sent", "reached", "open_rate", "click_rate"}) {
      b += "<td class=\"n\">" + Cell(m, Column(name)) + "</td>";
    }
    b += "</tr>\n";
  }
  b += "</tbody>\n</table>\n";
  b += kGlossary;
  return Page("Campaigns", b, /*signed_in=*/true);
}

std::string RenderCampaignPage(const DashboardCampaignPage& p) {
  const std::string name = p.name.empty() ? p.id : p.name;
  std::string b =
      "<p><a href=\"/reports\">All campaigns</a></p>\n<h1>" + HtmlEscape(name) + "</h1>\n";
  b += "<form class=\"period\" method=\"get\" action=\"/reports/campaigns/" +
       HtmlEscape(UrlEncode(p.id)) + "\" aria-label=\"Period\">\n";
  b += "<div><label for=\"from\">From (date)</label><input id=\"from\" name=\"from\" type=\"date\" "
       "value=\"" +
       HtmlEscape(p.from_date) + "\"></div>\n";
  b += "<div><label for=\"to\">To (date, included)</label><input id=\"to\" name=\"to\" "
       "type=\"date\" value=\"" +
       HtmlEscape(p.to_date) + "\"></div>\n";
  b += "<div><label for=\"tz\">Time zone (IANA)</label><input id=\"tz\" name=\"tz\" type=\"text\" "
       "value=\"" +
       HtmlEscape(p.timezone) + "\" autocomplete=\"off\"></div>\n";
  b += "<div><button type=\"submit\">Show</button></div>\n</form>\n";
  if (!p.error.empty()) {
    b += "<p class=\"error\" role=\"alert\">" + HtmlEscape(p.error) + "</p>\n";
    return Page(name, b, true);
  }
  b += "<p><a href=\"" + HtmlEscape(p.csv_url) + "\" download>Download CSV (by day)</a></p>\n";

  const Metrics m = DeriveMetrics(p.by_day.total);
  b += "<section aria-labelledby=\"funnel\">\n<h2 id=\"funnel\">Funnel</h2>\n" + Funnel(m);
  b += "<table>\n<caption>Totals, " + HtmlEscape(p.from_date) + " to " + HtmlEscape(p.to_date) +
       " (" + HtmlEscape(p.timezone) +
       ")</caption>\n<thead><tr><th scope=\"col\">Metric</th>"
       "<th scope=\"col\" class=\"n\">Value</th></tr></thead>\n<tbody>\n";
  for (const MetricColumn& c : MetricColumns()) {
    b += "<tr><th scope=\"row\">" + HtmlEscape(c.label) + "</th><td class=\"n\" data-metric=\"" +
         std::string(c.name) + "\">" + Cell(m, c) + "</td></tr>\n";
  }
  b += "</tbody>\n</table>\n</section>\n";

  const std::vector<DayPoint> days = DailySeries(p);
  b += "<section aria-labelledby=\"daily\">\n<h2 id=\"daily\">Day by day</h2>\n" +
       Chart(days, p.timezone);
  b += "<details><summary>The chart's numbers as a table</summary>\n<table>\n<caption>Per day (" +
       HtmlEscape(p.timezone) +
       ")</caption>\n<thead><tr><th scope=\"col\">Day</th>"
       "<th scope=\"col\" class=\"n\">Sent</th><th scope=\"col\" class=\"n\">Estimated human "
       "opens</th><th scope=\"col\" class=\"n\">Unique clicks</th></tr></thead>\n<tbody>\n";
  for (const DayPoint& d : days) {
    b += "<tr><th scope=\"row\">" + HtmlEscape(d.day) + "</th><td class=\"n\">" + Count(d.sent) +
         "</td><td class=\"n\">" + Count(d.opens) + "</td><td class=\"n\">" + Count(d.clicks) +
         "</td></tr>\n";
  }
  b += "</tbody>\n</table>\n</details>\n</section>\n";

  b += "<section aria-labelledby=\"breakdowns\">\n<h2 id=\"breakdowns\">Breakdowns</h2>\n";
  b += MetricsTable("By language", "Language", p.by_locale.rows);
  b += MetricsTable("By channel", "Channel", p.by_channel.rows);
  b += "</section>\n";

  b += "<section aria-labelledby=\"failures\">\n<h2 id=\"failures\">Not delivered, by "
       "reason</h2>\n<table>\n<caption>Failures, bounces and suppressions</caption>\n<thead><tr>"
       "<th scope=\"col\">Status</th><th scope=\"col\">Reason</th><th scope=\"col\" "
       "class=\"n\">Messages</th></tr></thead>\n<tbody>\n";
  if (p.by_day.reasons.empty()) b += "<tr><td colspan=\"3\">None.</td></tr>\n";
  for (const ReasonCount& r : p.by_day.reasons) {
    b += "<tr><td>" + HtmlEscape(r.status) + "</td><th scope=\"row\">" + HtmlEscape(r.reason) +
         "</th><td class=\"n\">" + Count(r.count) + "</td></tr>\n";
  }
  b += "</tbody>\n</table>\n</section>\n";

  b += "<section aria-labelledby=\"links\">\n<h2 id=\"links\">Links</h2>\n<table>\n<caption>"
       "Clicks per link (query strings removed)</caption>\n<thead><tr><th scope=\"col\">Link</th>"
       "<th scope=\"col\" class=\"n\">Human clicks</th><th scope=\"col\" class=\"n\">Machine "
       "clicks</th></tr></thead>\n<tbody>\n";
  if (p.by_day.links.empty()) b += "<tr><td colspan=\"3\">No clicks.</td></tr>\n";
  for (const LinkClicks& l : p.by_day.links) {
    b += "<tr><th scope=\"row\"><code>" + HtmlEscape(l.link) + "</code></th><td class=\"n\">" +
         Count(l.human_clicks) + "</td><td class=\"n\">" + Count(l.machine_clicks) + "</td></tr>\n";
  }
  b += "</tbody>\n</table>\n</section>\n";
  b += kGlossary;
  return Page(name, b, true);
}

std::string RenderLoginPage(std::string_view error, std::string_view next) {
  std::string b = "<h1>Sign in to the reports</h1>\n";
  if (!error.empty()) b += "<p class=\"error\" role=\"alert\">" + HtmlEscape(error) + "</p>\n";
  b += "<form method=\"post\" action=\"/reports/login\">\n";
  b += "<label for=\"key\">Admin API key</label>\n";
  b += "<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" "
       "required size=\"40\">\n";
  if (!next.empty()) {
    b += "<input type=\"hidden\" name=\"next\" value=\"" + HtmlEscape(next) + "\">\n";
  }
  b += "<p><button type=\"submit\">Sign in</button></p>\n</form>\n";
  b += "<p class=\"muted\">The key is checked once; the browser then keeps only a session "
       "cookie, valid for 8 hours.</p>\n";
  return Page("Sign in", b, /*signed_in=*/false);
}

}  // namespace herald
