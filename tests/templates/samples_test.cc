// Every sample template (samples/templates) in every language, rendered with the case
// states that samples/events.ndjson produces: the samples must load, render, and keep
// their promises (language and direction, no leftover tags, SMS length).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include <doctest/doctest.h>

#include "templates/render.h"
#include "templates/template_data.h"
#include "templates/template_set.h"
#include "tests/templates/template_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::Contains;

const std::string kSamples = std::string(HERALD_SOURCE_DIR) + "/samples";
const std::vector<std::string> kLocales = {"en", "es", "zh-Hans", "vi", "ar"};

// One message the sample campaign would send: a template, and the case as of an event.
struct Scenario {
  std::string template_id;
  std::string event_id;  // the event after which the message is sent
  std::string note;      // what the scenario shows
  json data = {};
  std::string locale = {};    // the recipient's
  std::string timezone = {};  // the recipient's
};

// Folds samples/events.ndjson case by case (the data merged as RFC 7396, the recipient
// field by field) and builds the template data as of each scenario's event.
std::vector<Scenario> Scenarios() {
  std::vector<Scenario> out = {
      {"documents-reminder", "evt-0001", "two documents, es-MX, Chicago"},
      {"documents-reminder", "evt-0002", "one document, vi, Los Angeles"},
      {"documents-reminder", "evt-0003", "proof of identity, zh-Hans, New York"},
      {"documents-reminder", "evt-0004", "proof of address, ar, Detroit"},
      {"interview-reminder", "evt-0005", "phone interview, no office"},
      {"interview-reminder", "evt-0008", "rescheduled interview"},
      {"interview-reminder", "evt-0011", "in person, with an office"},
      {"status-update", "evt-0006", "approved, en-US, Denver"},
      {"status-update", "evt-0009", "denied"},
      {"status-update", "evt-0010", "approved after documents"},
      {"status-update", "evt-0012", "approved, documents cleared"},
  };
  std::ifstream in(kSamples + "/events.ndjson");
  REQUIRE(in);
  std::map<std::string, json> states;
  std::map<std::string, Recipient> recipients;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json e = json::parse(line);
    const std::string case_id = e["case_id"];
    json& state = states.try_emplace(case_id, json::object()).first->second;
    state.merge_patch(e["data"]);
    if (e.contains("recipient"))
      MergeRecipient(recipients[case_id], RecipientFromJson(e["recipient"]));
    for (Scenario& s : out) {
      if (s.event_id != e["id"]) continue;
      Event ev;
      ev.id = e["id"];
      ev.case_id = case_id;
      ev.type = e["type"];
      ev.occurred_at = e["occurred_at"];
      ev.data = e["data"];
      const Recipient& r = recipients[case_id];
      TemplateContext ctx{case_id, "snap-recertification", "SNAP recertification reminders",
                          s.template_id, 1};
      s.data = BuildTemplateData(state, &ev, &r, ctx);
      s.locale = r.locale.value_or("");
      s.timezone = r.timezone.value_or("");
    }
  }
  for (const Scenario& s : out) REQUIRE_MESSAGE(s.data.is_object(), s.event_id);
  return out;
}

RenderInput InputFor(const Scenario& s, const std::string& locale) {
  RenderInput in = testing::Input(s.data, locale, s.timezone);
  in.default_timezone = "America/New_York";  // the campaign's
  in.unsubscribe_url = "https://herald.example.org/u/sample-token";
  return in;
}

TEST_CASE("the sample templates load, with every language") {
  Result<TemplateSet> set = TemplateSet::Load(kSamples + "/templates");
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  CHECK(set->Ids() ==
        std::vector<std::string>{"documents-reminder", "interview-reminder", "status-update"});
  for (const std::string& id : set->Ids()) {
    CHECK(set->Locales(id) == std::vector<std::string>{"ar", "en", "es", "vi", "zh-Hans"});
  }
}

TEST_CASE("every sample template renders in every language with the sample data") {
  Result<TemplateSet> set = TemplateSet::Load(kSamples + "/templates");
  REQUIRE(set.ok());
  for (const Scenario& s : Scenarios()) {
    for (const std::string& locale : kLocales) {
      CAPTURE(s.template_id);
      CAPTURE(s.event_id);
      CAPTURE(locale);
      const MessageTemplate* t = set->Find(s.template_id, locale);
      REQUIRE(t != nullptr);
      const RenderInput in = InputFor(s, locale);
      Result<RenderedEmail> e = RenderEmail(*t, in);
      REQUIRE_MESSAGE(e.ok(), e.status().message());
      Result<RenderedSms> sms = RenderSms(*t, in);
      REQUIRE_MESSAGE(sms.ok(), sms.status().message());

      const std::string dir = locale == "ar" ? "rtl" : "ltr";
      CHECK(e->html.starts_with("<!DOCTYPE html>\n<html lang=\"" + locale + "\" dir=\"" + dir +
                                "\">"));
      CHECK_FALSE(e->subject.empty());
      for (const std::string* part : {&e->subject, &e->html, &e->text, &sms->text}) {
        CHECK_FALSE(Contains(*part, "{{"));
        CHECK_FALSE(Contains(*part, "}}"));
        CHECK_FALSE(Contains(*part, "proof_of_"));  // document codes are translated
        CHECK_FALSE(Contains(*part, "\x1e"));
        CHECK_FALSE(Contains(*part, "2026-"));  // dates are formatted, never raw
        CHECK_FALSE(Contains(*part, "2027-"));
      }
      CHECK(sms->info.segments <= 2);
      CHECK(Contains(sms->text, "STOP"));
      CHECK(Contains(e->html, "County Human Services"));
      CHECK(Contains(e->html, "https://herald.example.org/u/sample-token"));
      // The body's Markdown became HTML: a heading, and no stray emphasis markers.
      CHECK(Contains(e->html, "<h1 style="));
      CHECK_FALSE(Contains(testing::BodyHtml(e->html), "**"));
    }
  }
}

TEST_CASE("sample renders say what the case data says") {
  Result<TemplateSet> set = TemplateSet::Load(kSamples + "/templates");
  REQUIRE(set.ok());
  std::map<std::string, Scenario> by_event;
  for (Scenario& s : Scenarios()) by_event[s.event_id] = s;
  auto render = [&](const std::string& event, const std::string& locale) {
    const Scenario& s = by_event.at(event);
    Result<RenderedEmail> e = RenderEmail(*set->Find(s.template_id, locale), InputFor(s, locale));
    Result<RenderedSms> sms = RenderSms(*set->Find(s.template_id, locale), InputFor(s, locale));
    REQUIRE(e.ok());
    REQUIRE(sms.ok());
    return std::make_pair(*e, *sms);
  };

  // Documents: the list, translated; the due date in the recipient's language.
  auto [docs_es, docs_es_sms] = render("evt-0001", "es");
  CHECK(Contains(docs_es.subject, "antes del 16 de marzo de 2026"));
  CHECK(Contains(docs_es.html, "Comprobante de ingresos"));
  CHECK(Contains(docs_es.html, "Comprobante de domicilio"));
  CHECK(docs_es_sms.info.encoding == "GSM-7");
  auto [docs_zh, docs_zh_sms] = render("evt-0003", "zh-Hans");
  CHECK(Contains(docs_zh.html, "身份证明"));
  CHECK(Contains(docs_zh_sms.text, "2026年3月16日"));
  CHECK(docs_zh_sms.info.segments == 1);
  auto [docs_ar, docs_ar_sms] = render("evt-0004", "ar");
  CHECK(Contains(docs_ar.subject, "١٧ مارس ٢٠٢٦"));
  CHECK(Contains(docs_ar.html, "إثبات العنوان"));

  // Interview: the time in the recipient's zone (16:00Z is 11:00 in Chicago on 15 March).
  auto [int_en, int_en_sms] = render("evt-0008", "en");
  CHECK(int_en.subject ==
        "Reminder: your SNAP interview is on Sunday, March 15, 2026 at 11:00\u202fAM");
  CHECK(int_en_sms.info.encoding == "GSM-7");
  CHECK(int_en_sms.info.segments == 1);
  CHECK_FALSE(Contains(int_en.html, "Where:"));
  auto [int_office, int_office_sms] = render("evt-0011", "en");  // Detroit: 14:00Z is 10:00 EDT
  CHECK(Contains(int_office.html, "<strong>Where:</strong> Dearborn Service Center"));
  CHECK(Contains(int_office.subject, "Wednesday, March 18, 2026 at 10:00\u202fAM"));
  auto [int_vi, int_vi_sms] = render("evt-0008", "vi");
  CHECK(Contains(int_vi_sms.text, "lúc 11:00 ngày 15 tháng 3, 2026"));

  // Decisions: the amount from the event, the end date from the case.
  auto [ok_en, ok_en_sms] = render("evt-0006", "en");
  CHECK(ok_en_sms.text ==
        "SNAP decision: You are approved for $291 a month until February 28, 2027. Questions? "
        "Call 1-800-555-0199. Reply STOP to opt out.");
  CHECK(ok_en_sms.info == SmsInfo{"GSM-7", 128, 1});
  auto [ok_ar, ok_ar_sms] = render("evt-0006", "ar");
  CHECK(Contains(ok_ar_sms.text, "٢٩١ دولارًا شهريًا حتى ٢٨ فبراير ٢٠٢٧"));
  auto [no_es, no_es_sms] = render("evt-0009", "es");
  CHECK(Contains(no_es.html, "Su solicitud no fue aprobada."));
  CHECK_FALSE(Contains(no_es.html, "Buenas noticias"));
  CHECK(no_es_sms.info.encoding == "GSM-7");
  auto [ok_vi, ok_vi_sms] = render("evt-0012", "vi");
  CHECK(Contains(ok_vi_sms.text, "$412/tháng đến hết 28 tháng 2, 2027"));
}

// Prints every sample render, for people editing the samples:
//   templates_test --no-skip -tc="print the sample renders"
// With HERALD_SAMPLES_HTML set to a directory, also writes each HTML part there.
TEST_CASE("print the sample renders" * doctest::skip()) {
  Result<TemplateSet> set = TemplateSet::Load(kSamples + "/templates");
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  for (const Scenario& s : Scenarios()) {
    for (const std::string& locale : kLocales) {
      const MessageTemplate* t = set->Find(s.template_id, locale);
      Result<RenderedEmail> e = RenderEmail(*t, InputFor(s, locale));
      Result<RenderedSms> sms = RenderSms(*t, InputFor(s, locale));
      std::cout << "===== " << s.template_id << " " << s.event_id << " (" << s.note << ") "
                << locale << "\n";
      if (!e.ok() || !sms.ok()) {
        std::cout << (e.ok() ? sms.status() : e.status()).message() << "\n";
        continue;
      }
      if (const char* dir = std::getenv("HERALD_SAMPLES_HTML")) {
        std::ofstream(std::string(dir) + "/" + s.template_id + "-" + s.event_id + "-" + locale +
                      ".html")
            << e->html;
      }
      std::cout << "Subject: " << e->subject << "\nSMS [" << sms->info.encoding << ", "
                << sms->info.units << " units, " << sms->info.segments
                << " segment(s)]: " << sms->text << "\n\n"
                << e->text << "\n";
    }
  }
}

}  // namespace
}  // namespace herald
