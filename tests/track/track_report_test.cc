// The report against a hand-computed fixture (the numbers are worked out in the comments),
// and the report's cost over many events.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

#include "tests/track/track_test_util.h"

namespace herald {
namespace {

using namespace herald::testing;

// Campaign "snap", times as hours after 2026-01-01T00:00Z (New York is UTC-5 in January):
//   m1 email docs/en     event 27:00, created 27:20, sent 27:30 (NY Jan 1 22:30), delivered
//                        27:31; Apple MPP open 27:31 (machine), opens 28:30 and 29:00
//                        (human; first open 60 min after sending), click link 0 at 28:31
//                        (human), unsubscribe 30:00.
//   m2 email docs/es     event 38:00, created 38:50, sent 39:00 (NY Jan 2 10:00), delivered;
//                        Gmail proxy open at 39:00:05 (machine: at delivery), open 41:00
//                        (human; first open 120 min), a scanner clicking both links at
//                        39:00:30 and 39:00:31 (both machine: all links).
//   m3 sms reminder/en   event 39:00, created and sent 39:10, delivered; click 40:00
//                        (human); STOP 41:00.
//   m4 email docs/en     created 40:00, failed "permanent".
//   m5 email docs/en     created 40:00, suppressed "opted_out".
//   m6 email reminder/en event 39:00, created and sent 40:00, bounced "hard_bounce".
// Totals: created 6, sent 4, delivered 3, bounced 1, failed 1, suppressed 1, reached 3;
// human opens 3, machine opens 2, unique human opens 2 (m1, m2), unique machine opens 2;
// human clicks 2 (m1, m3), machine clicks 2, unique clicks 2, of which email 1; engaged 3
// (m1, m2 opened; m3 clicked); unsubscribes 1, SMS opt-outs 1.
// Rates: open 2/3, click 2/3, click-to-open 1/2, engagement 3/3.
// Event to send: 30, 60, 10, 60 min: median (lower) 30 min. First open: 60, 120: 60 min.
class Fixture {
 public:
  Fixture() : store_(OpenTrackStore(dir_.str())) {
    TrackStore& s = *store_;
    auto at = [](int h, int m = 0, int sec = 0) { return kT0 + h * kHour + m * kMin + sec * kSec; };
    auto reg = [&](int n, Channel ch, const char* rule, const char* locale, Micros event,
                   Micros created) {
      TrackedMessage m = Msg(n, ch);
      m.rule = rule;
      m.locale = locale;
      m.case_event_at = event;
      m.created_at = created;
      if (ch == Channel::kSms) m.links = {"https://benefits.gov/upload?c=9"};
      REQUIRE(s.RegisterMessage(m).ok());
      return m.id;
    };
    auto status = [&](const std::string& id, MessageStatus st, Micros t, const char* why = "") {
      REQUIRE(s.RecordStatus(id, st, t, why).ok());
    };
    auto engage = [&](TokenKind kind, const std::string& id, Micros t, const char* ua,
                      uint32_t link = 0) {
      Result<EngagementResult> r = s.RecordEngagement(Ev(kind, id, t, ua, link));
      REQUIRE(r.ok());
      REQUIRE(r->found);
      return r->machine;
    };
    const std::string m1 = reg(1, Channel::kEmail, "docs", "en", at(27), at(27, 20));
    status(m1, MessageStatus::kSent, at(27, 30));
    status(m1, MessageStatus::kDelivered, at(27, 31));
    CHECK(engage(TokenKind::kOpen, m1, at(27, 31), "Mozilla/5.0"));
    CHECK_FALSE(engage(TokenKind::kOpen, m1, at(28, 30), kIphoneUa));
    CHECK_FALSE(engage(TokenKind::kOpen, m1, at(29), kIphoneUa));
    CHECK_FALSE(engage(TokenKind::kClick, m1, at(28, 31), kIphoneUa, 0));
    engage(TokenKind::kUnsubscribe, m1, at(30), kIphoneUa);

    const std::string m2 = reg(2, Channel::kEmail, "docs", "es", at(38), at(38, 50));
    status(m2, MessageStatus::kSent, at(39));
    status(m2, MessageStatus::kDelivered, at(39));
    CHECK(engage(TokenKind::kOpen, m2, at(39, 0, 5), kGmailProxyUa));
    CHECK_FALSE(engage(TokenKind::kOpen, m2, at(41), kIphoneUa));
    CHECK_FALSE(engage(TokenKind::kClick, m2, at(39, 0, 30), kIphoneUa, 0));
    CHECK(engage(TokenKind::kClick, m2, at(39, 0, 31), kIphoneUa, 1));

    const TrackedMessage sms = Msg(3, Channel::kSms);
    const std::string m3 = reg(3, Channel::kSms, "reminder", "en", at(39), at(39, 10));
    status(m3, MessageStatus::kSent, at(39, 10));
    status(m3, MessageStatus::kDelivered, at(39, 11));
    CHECK_FALSE(engage(TokenKind::kClick, m3, at(40), kIphoneUa, 0));
    REQUIRE(s.RecordSmsKeyword({sms.address, SmsKeyword::kStop, at(41)}).ok());

    const std::string m4 = reg(4, Channel::kEmail, "docs", "en", 0, at(40));
    status(m4, MessageStatus::kFailed, at(40, 5), "permanent");
    const std::string m5 = reg(5, Channel::kEmail, "docs", "en", 0, at(40));
    status(m5, MessageStatus::kSuppressed, at(40), "opted_out");
    const std::string m6 = reg(6, Channel::kEmail, "reminder", "en", at(39), at(40));
    status(m6, MessageStatus::kSent, at(40));
    status(m6, MessageStatus::kBounced, at(40, 10), "hard_bounce");
  }

  CampaignReport Report(ReportGroup group, const char* tz = "UTC", Micros from = kT0,
                        Micros to = kT0 + 72 * kHour) {
    Result<CampaignReport> r = store_->Report({"snap", from, to, group, tz});
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return std::move(r).value();
  }

 private:
  TempDir dir_;
  std::unique_ptr<RocksTrackStore> store_;
};

const ReportRow* Row(const CampaignReport& r, const std::string& key) {
  for (const ReportRow& row : r.rows) {
    if (row.key == key) return &row;
  }
  return nullptr;
}

TEST_CASE("report totals match the hand-computed fixture") {
  Fixture f;
  const CampaignReport r = f.Report(ReportGroup::kNone);
  const Metrics m = DeriveMetrics(r.total);
  CHECK(m.created == 6);
  CHECK(m.sent == 4);
  CHECK(m.delivered == 3);
  CHECK(m.bounced == 1);
  CHECK(m.failed == 1);
  CHECK(m.suppressed == 1);
  CHECK(m.reached == 3);
  CHECK(m.human_opens == 3);
  CHECK(m.machine_opens == 2);
  CHECK(m.unique_human_opens == 2);
  CHECK(m.unique_machine_opens == 2);
  CHECK(m.human_clicks == 2);
  CHECK(m.machine_clicks == 2);
  CHECK(m.unique_clicks == 2);
  CHECK(m.unique_email_clicks == 1);
  CHECK(m.unique_engaged == 3);
  CHECK(m.unsubscribes == 1);
  CHECK(m.sms_opt_outs == 1);
  CHECK(*m.open_rate == doctest::Approx(2.0 / 3));
  CHECK(*m.click_rate == doctest::Approx(2.0 / 3));
  CHECK(*m.click_to_open_rate == doctest::Approx(0.5));
  CHECK(*m.engagement_rate == doctest::Approx(1.0));
  auto near = [](Micros got, Micros want) { return std::abs(double(got - want)) < 0.045 * want; };
  CHECK(near(*m.median_event_to_send, 30 * kMin));
  CHECK(near(*m.median_time_to_first_open, 60 * kMin));
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].counters.v == r.total.v);

  // Clicks per link (query strings dropped) and failures by reason, whole campaign.
  REQUIRE(r.links.size() == 3);
  CHECK(r.links[0].link == "https://benefits.gov/apply");
  CHECK(r.links[0].human_clicks == 1);
  CHECK(r.links[0].machine_clicks == 1);
  CHECK(r.links[1].link == "https://benefits.gov/upload");
  CHECK(r.links[1].human_clicks == 1);
  CHECK(r.links[2].link == "https://benefits.gov/help");
  CHECK(r.links[2].machine_clicks == 1);
  REQUIRE(r.reasons.size() == 3);
  CHECK(r.reasons[0].status == "bounced");
  CHECK(r.reasons[0].reason == "hard_bounce");
  CHECK(r.reasons[1].status == "failed");
  CHECK(r.reasons[1].reason == "permanent");
  CHECK(r.reasons[2].status == "suppressed");
  CHECK(r.reasons[2].reason == "opted_out");
  CHECK(r.reasons[2].count == 1);
}

TEST_CASE("report by day: the New York day boundary splits what UTC keeps together") {
  Fixture f;
  const CampaignReport utc = f.Report(ReportGroup::kDay, "UTC");
  REQUIRE(utc.rows.size() == 1);
  CHECK(utc.rows[0].key == "2026-01-02");
  CHECK(utc.rows[0].counters[kSent] == 4);

  const CampaignReport ny = f.Report(ReportGroup::kDay, "America/New_York");
  REQUIRE(ny.rows.size() == 2);
  const ReportRow* jan1 = Row(ny, "2026-01-01");
  const ReportRow* jan2 = Row(ny, "2026-01-02");
  REQUIRE(jan1);
  REQUIRE(jan2);
  // m1 alone was sent on January 1st in New York.
  CHECK(jan1->counters[kCreated] == 1);
  CHECK(jan1->counters[kSent] == 1);
  CHECK(jan1->counters[kOpensHuman] == 2);
  CHECK(jan1->counters[kOpensMachine] == 1);
  CHECK(jan1->counters[kUniqueOpens] == 1);
  CHECK(jan1->counters[kUnsubscribes] == 1);
  CHECK(jan2->counters[kCreated] == 5);
  CHECK(jan2->counters[kSent] == 3);
  CHECK(jan2->counters[kUniqueOpens] == 1);
  CHECK(jan2->counters[kUniqueClicks] == 1);
  CHECK(jan2->counters[kSmsOptOuts] == 1);

  // [from, to) by cohort hour: from 28:00 leaves m1 (hour 27) out.
  const CampaignReport later = f.Report(ReportGroup::kNone, "UTC", kT0 + 28 * kHour);
  CHECK(later.total[kSent] == 3);
  CHECK(later.total[kUnsubscribes] == 0);
  CHECK(f.Report(ReportGroup::kNone, "UTC", kT0, kT0 + 27 * kHour).total[kSent] == 0);
}

TEST_CASE("report by rule, locale and channel") {
  Fixture f;
  const CampaignReport rule = f.Report(ReportGroup::kRule);
  REQUIRE(rule.rows.size() == 2);
  const ReportRow* docs = Row(rule, "docs");
  const ReportRow* reminder = Row(rule, "reminder");
  REQUIRE(docs);
  REQUIRE(reminder);
  CHECK(docs->counters[kSent] == 2);
  CHECK(docs->counters[kFailed] == 1);
  CHECK(docs->counters[kSuppressed] == 1);
  CHECK(docs->counters[kUniqueOpens] == 2);
  CHECK(reminder->counters[kSent] == 2);
  CHECK(reminder->counters[kBounced] == 1);
  CHECK(reminder->counters[kUniqueClicks] == 1);

  const CampaignReport locale = f.Report(ReportGroup::kLocale);
  REQUIRE(Row(locale, "es"));
  CHECK(Row(locale, "es")->counters[kSent] == 1);
  CHECK(Row(locale, "en")->counters[kSent] == 3);

  const CampaignReport channel = f.Report(ReportGroup::kChannel);
  REQUIRE(channel.rows.size() == 2);
  const Metrics sms = DeriveMetrics(Row(channel, "sms")->counters);
  CHECK(sms.sent == 1);
  CHECK(sms.unique_clicks == 1);
  CHECK(sms.unique_human_opens == 0);
  CHECK(*sms.engagement_rate == doctest::Approx(1.0));
  CHECK(sms.sms_opt_outs == 1);
  const Metrics email = DeriveMetrics(Row(channel, "email")->counters);
  CHECK(email.sent == 3);
  CHECK(*email.open_rate == doctest::Approx(1.0));  // m1, m2 of reached m1, m2 (m6 bounced)
  CHECK(*email.click_to_open_rate == doctest::Approx(0.5));
}

TEST_CASE("report errors") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  CHECK(s->Report({"snap", kT0, kT0 + kHour, ReportGroup::kDay, "Not/AZone"})
            .status()
            .IsInvalidArgument());
  CHECK(s->Report({"snap", kT0 + kHour, kT0, ReportGroup::kNone, "UTC"})
            .status()
            .IsInvalidArgument());
  Result<CampaignReport> empty = s->Report({"none", kT0, kT0 + kHour, ReportGroup::kDay, "UTC"});
  REQUIRE(empty.ok());
  CHECK(empty->rows.empty());
}

// A year of hourly counters for 4 rules x 5 locales x 2 channels holding 10,000,000 events
// (the number of events only changes the values, not the rows a report reads). Run with
// track_test -tc='report latency*' --no-skip.
TEST_CASE("report latency over 10,000,000 events" * doctest::skip()) {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  const char* rules[] = {"docs", "interview", "decision", "renewal"};
  const char* locales[] = {"en", "es", "vi", "zh-Hans", "ar"};
  const int hours = 365 * 24;
  int64_t events = 0;
  for (int h = 0; h < hours; ++h) {
    for (const char* rule : rules) {
      for (const char* locale : locales) {
        for (Channel ch : {Channel::kEmail, Channel::kSms}) {
          // 10M events over 8760 hours x 40 rows: 29 per row.
          CounterDelta d = {{kSent, 6},
                            {kDelivered, 5},
                            {kOpensHuman, 9},
                            {kOpensMachine, 4},
                            {kUniqueOpens, 3},
                            {kClicksHuman, 3},
                            {kClicksMachine, 2},
                            {kUniqueClicks, 2},
                            {kUniqueEngaged, 3},
                            {kFirstOpenHist + 40, 3},
                            {kSendDelayHist + 60, 6}};
          events += 6 + 5 + 9 + 4 + 3 + 2;  // statuses, opens and clicks
          REQUIRE(s->MergeCountersForTesting("snap", kT0 + h * kHour, rule, locale, ch, d).ok());
        }
      }
    }
  }
  std::printf("events represented: %lld\n", static_cast<long long>(events));
  CHECK(events >= 10'000'000);
  REQUIRE(s->CompactAll().ok());
  for (ReportGroup g : {ReportGroup::kDay, ReportGroup::kRule, ReportGroup::kLocale}) {
    for (int days : {30, 90, 365}) {
      const auto start = std::chrono::steady_clock::now();
      Result<CampaignReport> r =
          s->Report({"snap", kT0, kT0 + days * 24 * kHour, g, "America/New_York"});
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      REQUIRE(r.ok());
      std::printf("group %d, %d days: %zu rows, %llu counter rows read, %.1f ms\n", int(g), days,
                  r->rows.size(), static_cast<unsigned long long>(r->counter_rows_read), ms);
      CHECK(ms < 50);
    }
  }
}

}  // namespace
}  // namespace herald
