#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/track/track_test_util.h"

namespace herald {
namespace {

using namespace herald::testing;

TEST_CASE("messages register once; malformed ones are refused") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  REQUIRE(s->RegisterMessage(m).ok());
  TrackedMessage changed = m;
  changed.rule = "other";
  REQUIRE(s->RegisterMessage(changed).ok());  // a repeated intake: the first stays
  Result<std::optional<TrackedMessage>> got = s->GetMessage(m.id);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->rule == "docs");
  CHECK((*got)->links == m.links);
  CHECK((*got)->address.empty());  // never stored as such
  CHECK(Total(*s)[kCreated] == 1);

  TrackedMessage bad = Msg(2);
  bad.links.push_back("javascript:alert(1)");
  CHECK(s->RegisterMessage(bad).IsInvalidArgument());
  bad = Msg(2);
  bad.id = "ABC";
  CHECK(s->RegisterMessage(bad).IsInvalidArgument());
  bad = Msg(2);
  bad.campaign.clear();
  CHECK(s->RegisterMessage(bad).IsInvalidArgument());
  CHECK(s->GetMessage(Id(2))->has_value() == false);
  CHECK(s->GetMessage("../etc")->has_value() == false);
}

TEST_CASE("statuses count once per message and status") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  m.case_event_at = kT0 - 30 * kMin;
  REQUIRE(s->RegisterMessage(m).ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(s->RecordStatus(m.id, MessageStatus::kSending, kT0, "").ok());
    REQUIRE(s->RecordStatus(m.id, MessageStatus::kSent, kT0 + i * kSec, "").ok());
    REQUIRE(s->RecordStatus(m.id, MessageStatus::kDelivered, kT0 + kMin, "").ok());
  }
  CHECK(s->RecordStatus(Id(9), MessageStatus::kSent, kT0, "").IsNotFound());
  Counters c = Total(*s);
  CHECK(c[kSent] == 1);
  CHECK(c[kDelivered] == 1);
  CHECK(DeriveMetrics(c).median_event_to_send.has_value());
  CHECK((*s->GetMessage(m.id))->sent_at == kT0);  // the first one
  CHECK((*s->GetMessage(m.id))->delivered_at == kT0 + kMin);
}

TEST_CASE("opens: human and machine, unique per message, across a reopened store") {
  TempDir dir;
  const TrackedMessage m = Msg(1);
  {
    auto s = OpenTrackStore(dir.str());
    REQUIRE(s->RegisterMessage(m).ok());
    REQUIRE(s->RecordStatus(m.id, MessageStatus::kSent, kT0, "").ok());
    Result<EngagementResult> r =
        s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 5 * kSec, "Mozilla/5.0"));
    REQUIRE(r.ok());
    CHECK(r->found);
    CHECK(r->machine);
    CHECK(r->reason == MachineReason::kPrefetchProxy);
    r = s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 10 * kMin));
    REQUIRE(r.ok());
    CHECK_FALSE(r->machine);
    REQUIRE(s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 20 * kMin)).ok());
  }
  auto s = OpenTrackStore(dir.str());
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 30 * kMin)).ok());
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + 31 * kMin, "Mozilla/5.0")).ok());
  Counters c = Total(*s);
  CHECK(c[kOpensHuman] == 3);
  CHECK(c[kOpensMachine] == 2);
  CHECK(c[kUniqueOpens] == 1);
  CHECK(c[kUniqueMachineOpens] == 1);
  CHECK(c[kUniqueEngaged] == 1);
  const Metrics metrics = DeriveMetrics(c);
  REQUIRE(metrics.median_time_to_first_open);
  CHECK(std::abs(double(*metrics.median_time_to_first_open - 10 * kMin)) < 0.045 * 10 * kMin);
  Result<std::vector<EngagementRecord>> events = s->Events(m.id);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 5);
  CHECK((*events)[0].machine);
  CHECK((*events)[0].user_agent == "Mozilla/5.0");
  CHECK((*events)[1].ip == "198.51.100.7");
}

TEST_CASE("clicks answer the stored destination; unknown ones are not found") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  m.links = {"https://benefits.gov/r?url=https://evil.example", "https://benefits.gov/help"};
  REQUIRE(s->RegisterMessage(m).ok());
  REQUIRE(s->RecordStatus(m.id, MessageStatus::kSent, kT0, "").ok());

  Result<EngagementResult> r =
      s->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kHour, kIphoneUa, 0));
  REQUIRE(r.ok());
  CHECK(r->found);
  CHECK(r->destination == "https://benefits.gov/r?url=https://evil.example");
  // An index past the table, an unknown message: nothing to redirect to, nothing recorded.
  r = s->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kHour, kIphoneUa, 2));
  REQUIRE(r.ok());
  CHECK_FALSE(r->found);
  CHECK(r->destination.empty());
  r = s->RecordEngagement(Ev(TokenKind::kClick, Id(7), kT0 + kHour, kIphoneUa, 0));
  REQUIRE(r.ok());
  CHECK_FALSE(r->found);
  r = s->RecordEngagement(Ev(TokenKind::kOpen, Id(7), kT0 + kHour));
  REQUIRE(r.ok());
  CHECK_FALSE(r->found);
  CHECK(s->Events(m.id)->size() == 1);

  Counters c = Total(*s);
  CHECK(c[kClicksHuman] == 1);
  CHECK(c[kUniqueClicks] == 1);
  CHECK(c[kUniqueEmailClicks] == 1);
  CHECK(c[kUniqueOpens] == 1);  // a click implies the email was opened
  CHECK(c[kUniqueEngaged] == 1);
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + 2 * kHour, kIphoneUa, 0)).ok());
  c = Total(*s);
  CHECK(c[kClicksHuman] == 2);
  CHECK(c[kUniqueClicks] == 1);
}

TEST_CASE("a scanner clicking every link turns its earlier clicks into machine ones") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  m.links = {"https://a.gov/1", "https://a.gov/2", "https://a.gov/3"};
  REQUIRE(s->RegisterMessage(m).ok());
  REQUIRE(s->RecordStatus(m.id, MessageStatus::kSent, kT0, "").ok());
  const Micros t = kT0 + 5 * kMin;
  REQUIRE(!s->RecordEngagement(Ev(TokenKind::kClick, m.id, t, kIphoneUa, 0))->machine);
  REQUIRE(!s->RecordEngagement(Ev(TokenKind::kClick, m.id, t + kSec, kIphoneUa, 1))->machine);
  Counters c = Total(*s);
  CHECK(c[kUniqueClicks] == 1);
  CHECK(c[kUniqueOpens] == 1);
  Result<EngagementResult> r =
      s->RecordEngagement(Ev(TokenKind::kClick, m.id, t + 2 * kSec, kIphoneUa, 2));
  REQUIRE(r.ok());
  CHECK(r->machine);
  CHECK(r->reason == MachineReason::kAllLinks);
  CHECK(r->destination == "https://a.gov/3");  // a machine is still redirected
  c = Total(*s);
  CHECK(c[kClicksHuman] == 0);
  CHECK(c[kClicksMachine] == 3);
  CHECK(c[kUniqueClicks] == 0);
  CHECK(c[kUniqueEmailClicks] == 0);
  CHECK(c[kUniqueOpens] == 0);
  CHECK(c[kUniqueEngaged] == 0);
  CHECK(DeriveMetrics(c).median_time_to_first_open == std::nullopt);
  Result<std::vector<EngagementRecord>> events = s->Events(m.id);
  REQUIRE(events.ok());
  for (const EngagementRecord& e : *events) {
    CHECK(e.machine);
    CHECK(e.reason == MachineReason::kAllLinks);
  }
  // The person clicks later: counted again.
  REQUIRE(!s->RecordEngagement(Ev(TokenKind::kClick, m.id, t + kHour, kIphoneUa, 1))->machine);
  c = Total(*s);
  CHECK(c[kClicksHuman] == 1);
  CHECK(c[kUniqueClicks] == 1);
  CHECK(c[kUniqueOpens] == 1);
  Result<CampaignReport> rep = s->Report({"snap", kT0, kT0 + kHour, ReportGroup::kNone, "UTC"});
  REQUIRE(rep.ok());
  REQUIRE(rep->links.size() == 3);
  CHECK(rep->links[0].link == "https://a.gov/2");
  CHECK(rep->links[0].human_clicks == 1);
  CHECK(rep->links[0].machine_clicks == 1);
}

TEST_CASE("a human open keeps the unique open when a click burst is reclassified") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  REQUIRE(s->RegisterMessage(m).ok());
  REQUIRE(s->RecordStatus(m.id, MessageStatus::kSent, kT0, "").ok());
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kMin, kIphoneUa, 0)).ok());
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kOpen, m.id, kT0 + kMin + kSec)).ok());
  REQUIRE(s->RecordEngagement(Ev(TokenKind::kClick, m.id, kT0 + kMin + 2 * kSec, kIphoneUa, 1))
              ->machine);
  Counters c = Total(*s);
  CHECK(c[kUniqueClicks] == 0);
  CHECK(c[kUniqueOpens] == 1);  // moved from the click to the open
  CHECK(c[kUniqueEngaged] == 1);
  CHECK(c[kOpensHuman] == 1);
  const Metrics metrics = DeriveMetrics(c);
  REQUIRE(metrics.median_time_to_first_open);
  CHECK(std::abs(double(*metrics.median_time_to_first_open - (kMin + kSec))) < 0.05 * kMin);
}

TEST_CASE("one-click unsubscribe opts the recipient and the address out, once") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage m = Msg(1);
  m.locale = "es";
  REQUIRE(s->RegisterMessage(m).ok());
  CHECK_FALSE(s->CheckSuppression(m.recipient_id, Channel::kEmail, m.address)->suppressed);
  for (int i = 0; i < 2; ++i) {
    Result<EngagementResult> r =
        s->RecordEngagement(Ev(TokenKind::kUnsubscribe, m.id, kT0 + kHour));
    REQUIRE(r.ok());
    CHECK(r->found);
    CHECK(r->opted_out);
    CHECK(r->locale == "es");
  }
  CHECK(Total(*s)[kUnsubscribes] == 1);
  Result<Suppression> sup = s->CheckSuppression(m.recipient_id, Channel::kEmail, "");
  REQUIRE(sup.ok());
  CHECK(sup->suppressed);
  CHECK(sup->source == "recipient");
  CHECK(sup->opt_out.by == "recipient");
  CHECK(sup->opt_out.at == kT0 + kHour);
  // The same address under another recipient id (case-insensitively) is suppressed too.
  sup = s->CheckSuppression("someone-else", Channel::kEmail, "P1@Example.org");
  REQUIRE(sup.ok());
  CHECK(sup->suppressed);
  CHECK(sup->source == "address");
  CHECK_FALSE(s->CheckSuppression(m.recipient_id, Channel::kSms, "+14155550100")->suppressed);
  Result<std::optional<RecipientPreferences>> p = s->GetPreferences(m.recipient_id);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  REQUIRE((*p)->opt_outs.size() == 1);
  CHECK((*p)->opt_outs[0].channel == Channel::kEmail);
}

TEST_CASE("SMS STOP and START, attributed to the last SMS to the number") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage older = Msg(1, Channel::kSms);
  TrackedMessage newer = Msg(2, Channel::kSms);
  newer.address = older.address;
  newer.recipient_id = older.recipient_id;
  newer.created_at = kT0 + kHour;
  newer.locale = "vi";
  REQUIRE(s->RegisterMessage(newer).ok());
  REQUIRE(s->RegisterMessage(older).ok());  // registered later, but older: not the last

  Result<SmsKeywordResult> r =
      s->RecordSmsKeyword({older.address, SmsKeyword::kHelp, kT0 + 2 * kHour});
  REQUIRE(r.ok());
  CHECK_FALSE(r->changed);
  CHECK(r->message_id == newer.id);
  CHECK(r->locale == "vi");

  r = s->RecordSmsKeyword({older.address, SmsKeyword::kStop, kT0 + 2 * kHour});
  REQUIRE(r.ok());
  CHECK(r->changed);
  CHECK(s->CheckSuppression("", Channel::kSms, older.address)->suppressed);
  CHECK(s->CheckSuppression(older.recipient_id, Channel::kSms, "")->suppressed);
  CHECK_FALSE(s->CheckSuppression(older.recipient_id, Channel::kEmail, "")->suppressed);
  CHECK_FALSE(s->RecordSmsKeyword({older.address, SmsKeyword::kStop, kT0 + 3 * kHour})->changed);
  CHECK(Total(*s)[kSmsOptOuts] == 1);

  r = s->RecordSmsKeyword({older.address, SmsKeyword::kStart, kT0 + 4 * kHour});
  REQUIRE(r.ok());
  CHECK(r->changed);
  CHECK_FALSE(s->CheckSuppression(older.recipient_id, Channel::kSms, older.address)->suppressed);
  CHECK(Total(*s)[kSmsOptIns] == 1);

  // A number herald never wrote to: the opt-out still holds for the number.
  r = s->RecordSmsKeyword({"+14155559999", SmsKeyword::kStop, kT0});
  REQUIRE(r.ok());
  CHECK(r->message_id.empty());
  CHECK(s->CheckSuppression("", Channel::kSms, "+14155559999")->suppressed);
}

TEST_CASE("RegisterMessages: one write for a batch, all or nothing, the later SMS is the last") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  TrackedMessage a = Msg(1, Channel::kSms), b = Msg(2, Channel::kSms), c = Msg(3);
  b.address = a.address;
  b.created_at = kT0 + kHour;
  b.locale = "es";
  TrackedMessage bad = Msg(4);
  bad.links = {"javascript:alert(1)"};
  CHECK(s->RegisterMessages({a, b, bad}).IsInvalidArgument());
  CHECK_FALSE(s->GetMessage(a.id)->has_value());  // nothing of a refused batch is written

  REQUIRE(s->RegisterMessages({b, a, c, c}).ok());  // b before a in the batch: b is later
  CHECK(s->GetMessage(a.id)->has_value());
  CHECK(s->GetMessage(c.id)->has_value());
  CHECK(Total(*s)[kCreated] == 3);
  Result<SmsKeywordResult> r = s->RecordSmsKeyword({a.address, SmsKeyword::kHelp, kT0 + 2 * kHour});
  REQUIRE(r.ok());
  CHECK(r->message_id == b.id);
  CHECK(r->locale == "es");
  REQUIRE(s->RegisterMessages({a, b, c}).ok());  // again: nothing changes
  CHECK(Total(*s)[kCreated] == 3);
}

TEST_CASE("preferences: put, get, validation") {
  TempDir dir;
  auto s = OpenTrackStore(dir.str());
  RecipientPreferences p;
  p.recipient_id = "r1";
  p.channels = {Channel::kSms, Channel::kEmail};
  p.locale = "es-MX";
  p.opt_outs = {{Channel::kEmail, kT0, "key-1", "asked by phone"}};
  p.updated_at = kT0;
  p.updated_by = "key-1";
  REQUIRE(s->PutPreferences(p).ok());
  Result<std::optional<RecipientPreferences>> got = s->GetPreferences("r1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == p);
  CHECK(s->CheckSuppression("r1", Channel::kEmail, "")->suppressed);
  CHECK_FALSE(s->GetPreferences("r2")->has_value());
  p.opt_outs.push_back({Channel::kEmail, kT0, "x", "y"});
  CHECK(s->PutPreferences(p).IsInvalidArgument());
  p.recipient_id.clear();
  CHECK(s->PutPreferences(RecipientPreferences{}).IsInvalidArgument());
}

// Every byte RocksDB keeps on disk, for the retention test.
std::string AllFileBytes(const std::string& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return all;
}

TEST_CASE("purge removes raw events and personal data from disk, keeps counters") {
  TempDir dir;
  const std::string ua = "Mozilla/5.0 (X11; Linux) UA-SECRET-4242";
  const std::string ip = "203.0.113.77";
  TrackedMessage old_msg = Msg(1);
  old_msg.recipient_id = "recipient-secret-9";
  TrackedMessage new_msg = Msg(2);
  new_msg.created_at = kT0 + 10 * kHour;
  {
    auto s = OpenTrackStore(dir.str());
    REQUIRE(s->RegisterMessage(old_msg).ok());
    REQUIRE(s->RegisterMessage(new_msg).ok());
    REQUIRE(s->RecordStatus(old_msg.id, MessageStatus::kSent, kT0, "").ok());
    for (int i = 0; i < 50; ++i) {
      EngagementInput in = Ev(TokenKind::kOpen, old_msg.id, kT0 + kHour + i * kSec, ua);
      in.ip = ip;
      REQUIRE(s->RecordEngagement(in).ok());
    }
    EngagementInput keep = Ev(TokenKind::kOpen, new_msg.id, kT0 + 11 * kHour, "KEEP-UA");
    REQUIRE(s->RecordEngagement(keep).ok());
    REQUIRE(s->CompactAll().ok());  // the personal data is in SST files now
    CHECK(AllFileBytes(dir.str()).find("UA-SECRET-4242") != std::string::npos);

    Result<PurgeStats> st = s->Purge(kT0 + 5 * kHour);
    REQUIRE(st.ok());
    CHECK(st->events_deleted == 50);
    CHECK(st->messages_scrubbed == 1);
    CHECK(s->Events(old_msg.id)->empty());
    CHECK(s->Events(new_msg.id)->size() == 1);
    CHECK((*s->GetMessage(old_msg.id))->recipient_id.empty());
    CHECK((*s->GetMessage(old_msg.id))->links == old_msg.links);  // links keep working
    CHECK((*s->GetMessage(new_msg.id))->recipient_id == new_msg.recipient_id);
    Counters c = Total(*s);
    CHECK(c[kOpensHuman] == 51);
    CHECK(c[kUniqueOpens] == 2);
    // A second purge finds nothing more.
    CHECK(s->Purge(kT0 + 5 * kHour)->events_deleted == 0);
  }
  const std::string bytes = AllFileBytes(dir.str());
  CHECK(bytes.find("UA-SECRET-4242") == std::string::npos);
  CHECK(bytes.find(ip) == std::string::npos);
  CHECK(bytes.find("recipient-secret-9") == std::string::npos);
  CHECK(bytes.find("p1@example.org") == std::string::npos);  // never stored at all
  CHECK(bytes.find("KEEP-UA") != std::string::npos);
  auto s = OpenTrackStore(dir.str());
  CHECK(Total(*s)[kOpensHuman] == 51);
}

}  // namespace
}  // namespace herald
