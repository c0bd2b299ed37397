// engine/cli/template_check: sample data parsing and the checks of `herald validate`,
// on templates and campaigns built in memory.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/cli/template_check.h"

namespace herald::cli {
namespace {

MessageTemplate Tpl(const std::string& text, const std::string& locale = "en",
                    const std::string& id = "t") {
  Result<MessageTemplate> t = ParseTemplate(text, id + "/" + locale + ".md", id, locale);
  REQUIRE_MESSAGE(t.ok(), t.status().message());
  return std::move(t).value();
}

TemplateSet Set(std::vector<MessageTemplate> templates) {
  Result<TemplateSet> set = TemplateSet::FromTemplates(std::move(templates));
  REQUIRE(set.ok());
  return std::move(set).value();
}

TemplateSamples Samples(const std::string& json) {
  Result<TemplateSamples> s = ParseSamples(json, "t/sample.json");
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

Branding TestBranding() {
  Branding b;
  b.name = "County Human Services";
  return b;
}

CampaignSet Campaigns(std::optional<int> max_segments, const std::string& timezone = "UTC") {
  Campaign c;
  c.id = "snap";
  c.name = "SNAP";
  c.locales = {"en"};
  c.timezone = timezone;
  c.max_segments = max_segments;
  Rule r;
  r.id = "notice";
  r.on = {"case.status_changed"};
  r.send = "t";
  c.rules.push_back(r);
  return CampaignSet({c});
}

std::vector<std::string> Strings(const std::vector<ConfigError>& errors) {
  std::vector<std::string> out;
  for (const ConfigError& e : errors) out.push_back(e.ToString());
  return out;
}

TemplateCheckReport Check(const std::vector<MessageTemplate>& templates, const std::string& samples,
                          const CampaignSet& campaigns = CampaignSet()) {
  TemplateCheckReport report;
  CheckTemplate(Set(templates), "t", Samples(samples), campaigns, TestBranding(), &report);
  return report;
}

const char* kClean =
    "---\n"
    "subject: \"Send your documents by {{#date}}{{due_date}}{{/date}}\"\n"
    "sms: \"Send {{#documents}}{{name}} {{/documents}}by {{#date}}{{due_date}}{{/date}}. "
    "Reply STOP to opt out.\"\n"
    "---\n"
    "# Documents\n"
    "\n"
    "{{#office}}Bring them to {{office}}.{{/office}}\n";

}  // namespace

TEST_CASE("ParseJsonText: syntax errors with line and column") {
  CHECK(ParseJsonText("{\"a\": [1, 2]}", "f.json").ok());
  Result<nlohmann::json> bad = ParseJsonText("{\n  \"a\": tru\n}\n", "f.json");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().starts_with("f.json:2:"));
  CHECK(bad.status().message().find("syntax error") != std::string::npos);
  Result<nlohmann::json> comma = ParseJsonText("{\"a\": 1,\n \"b\": 2,\n}", "f.json");
  REQUIRE(!comma.ok());
  CHECK(comma.status().message().starts_with("f.json:3:1: "));
  Result<nlohmann::json> empty = ParseJsonText("  \n", "f.json");
  REQUIRE(!empty.ok());
  CHECK(empty.status().message().find("the file is empty") != std::string::npos);
}

TEST_CASE("ParseSamples: one case or a list; event, recipient and case members") {
  TemplateSamples one = Samples(R"({"status": "approved", "case": {"id": "C-1"},
      "event": {"type": "case.status_changed", "occurred_at": "2026-03-04T18:45:00Z",
                "data": {"benefit_amount": 291}},
      "recipient": {"id": "p-1", "locale": "es-MX", "timezone": "America/Denver"}})");
  REQUIRE(one.samples.size() == 1);
  const TemplateSample& s = one.samples[0];
  CHECK(s.case_id == "C-1");
  // The event's data is merged into the case, as the engine merges it.
  CHECK(s.state == nlohmann::json{{"status", "approved"}, {"benefit_amount", 291}});
  REQUIRE(s.event.has_value());
  CHECK(s.event->type == "case.status_changed");
  CHECK(s.event->occurred_at_us > 0);
  CHECK(s.recipient.timezone == "America/Denver");

  CHECK(Samples(R"([{"a": 1}, {"a": 2}, {}])").samples.size() == 3);

  std::vector<ConfigError> errors;
  Result<TemplateSamples> bad = ParseSamples(
      R"([{"event": {"occurred_at": "yesterday", "dat": {}}},
          {"recipient": {"email": "x@example.org", "timezone": "Mars/Base"}, "campaign": {}}])",
      "s.json", &errors);
  CHECK(!bad.ok());
  const std::vector<std::string> got = Strings(errors);
  const std::vector<std::string> want = {
      "s.json: sample 1: event: unknown key 'dat' (an event has id, type, occurred_at and data)",
      "s.json: sample 1: event.occurred_at: not an RFC 3339 time such as 2026-03-04T18:45:00Z",
      "s.json: sample 1: event: needs a type, such as \"case.status_changed\"",
      "s.json: sample 1: event: needs occurred_at, such as \"2026-03-04T18:45:00Z\"",
      "s.json: sample 2: campaign: filled in by herald from the campaign and rule that send the "
      "template; leave it out",
      "s.json: sample 2: recipient.email: not template data (templates never see addresses); "
      "leave it out",
      "s.json: sample 2: recipient.timezone: unknown time zone 'Mars/Base'",
  };
  CHECK(got == want);

  errors.clear();
  CHECK(!ParseSamples("[1, 2]", "s.json", &errors).ok());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.find("must be a JSON object") != std::string::npos);
  errors.clear();
  CHECK(!ParseSamples("{\"a\": }", "s.json", &errors).ok());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 1);
  CHECK(errors[0].column == 7);
}

TEST_CASE("CheckTemplate: a template the sample covers is clean") {
  const TemplateCheckReport r =
      Check({Tpl(kClean), Tpl(kClean, "es")},
            R"({"due_date": "2026-03-16", "documents": [{"name": "ID"}], "office": "Main St"})",
            Campaigns(2));
  CHECK(Strings(r.errors) == std::vector<std::string>{});
  CHECK(r.templates_checked == 1);
  CHECK(r.renders == 4);
}

TEST_CASE("CheckTemplate: variables no sample provides, at every place they are written") {
  // `office` is only needed inside its section, but the sample should show that branch.
  const std::string text =
      std::string(kClean) + "\nYour code: {{missing_thing}}, {{missing_thing}}\n";
  const TemplateCheckReport r =
      Check({Tpl(text)}, R"({"due_date": "2026-03-16", "documents": [{"name": "ID"}]})");
  CHECK(Strings(r.errors) ==
        std::vector<std::string>{
            "t/en.md:7:26: body: missing variable 'office': the sample data does not provide it",
            "t/en.md:9:12: body: missing variable 'missing_thing': the sample data does not "
            "provide it (also used at 9:31)",
        });
  // A name inside a list item counts as provided by the item.
  const TemplateCheckReport items =
      Check({Tpl(kClean)}, R"({"due_date": "2026-03-16", "documents": [], "office": "x"})");
  CHECK(Strings(items.errors) ==
        std::vector<std::string>{
            "t/en.md:3:26: sms: missing variable 'name': the sample data does not provide it"});
}

TEST_CASE("CheckTemplate: render errors name the samples that show them") {
  // Sample 2 reaches {{name}} inside a list item that lacks it; sample 1 and 2 give a
  // due date that is not a date.
  const TemplateCheckReport r =
      Check({Tpl(kClean)},
            R"([{"due_date": "soon", "documents": [{"name": "ID"}], "office": "x"},
                {"due_date": "later", "documents": [{"nom": "ID"}], "office": "x"}])");
  const std::vector<std::string> got = Strings(r.errors);
  REQUIRE(got.size() == 3);
  CHECK(got[0].starts_with("t/en.md:2:43: subject: {{#date}}: the value of 'due_date' is not a "));
  CHECK(got[0].ends_with(" with every sample"));
  CHECK(got[1] == "t/en.md:3:26: sms: missing variable 'name' with sample 2");
  CHECK(got[2].starts_with("t/en.md:3:61: sms: {{#date}}: the value of 'due_date'"));
}

TEST_CASE("CheckTemplate: a helper error points at the use inside that helper") {
  // A date is fine for {{#date}} but not for {{#time}}, which needs a timestamp.
  const TemplateCheckReport r =
      Check({Tpl("---\n"
                 "subject: \"By {{#date}}{{due}}{{/date}}\"\n"
                 "sms: \"By {{#date}}{{due}}{{/date}}\"\n"
                 "---\n"
                 "On {{#date}}{{due}}{{/date}} at {{#time}}{{due}}{{/time}}\n")},
            R"({"due": "2026-03-16"})");
  const std::vector<std::string> got = Strings(r.errors);
  REQUIRE(got.size() == 1);
  CAPTURE(got[0]);
  CHECK(got[0].starts_with(
      "t/en.md:5:42: body: {{#time}}: the value of 'due' is a date without a time of day"));
  CHECK(got[0].ends_with(" with the sample"));
}

TEST_CASE("CheckTemplate: an SMS over a campaign's max_segments") {
  const std::string long_sms(200, 'x');
  const std::string text = "---\nsubject: \"Hello\"\nsms: \"" + long_sms +
                           " {{#date}}{{due_date}}{{/date}}\"\n---\nBody\n";
  const std::string sample = R"({"due_date": "2026-03-16"})";
  CHECK(Check({Tpl(text)}, sample, Campaigns(2)).errors.empty());
  CHECK(Check({Tpl(text)}, sample, Campaigns(std::nullopt)).errors.empty());
  CHECK(Check({Tpl(text)}, sample).errors.empty());  // no campaign sends it
  const TemplateCheckReport r = Check({Tpl(text)}, sample, Campaigns(1, "America/New_York"));
  CHECK(Strings(r.errors) ==
        std::vector<std::string>{"t/en.md:3:6: sms: renders to 2 segments (GSM-7, 215 units) "
                                 "with the sample; campaign snap allows 1"});
  const std::string chinese =
      "---\nsubject: \"你好\"\nsms: \"" + std::string(70, 'x') + "你好你好你好\"\n---\nBody\n";
  CHECK(Strings(Check({Tpl(chinese, "zh-Hans")}, "{}", Campaigns(1)).errors) ==
        std::vector<std::string>{"t/zh-Hans.md:3:6: sms: renders to 2 segments (UCS-2, 76 "
                                 "units) with the sample; campaign snap allows 1"});
}

TEST_CASE("SampleRenderInput: as the composer builds it") {
  const TemplateSamples s = Samples(R"({"x": 1, "event": {"type": "t",
      "occurred_at": "2026-03-04T18:45:00Z"}, "recipient": {"timezone": "America/Denver"}})");
  const CampaignSet campaigns = Campaigns(2, "America/New_York");
  const RenderInput in =
      SampleRenderInput(s.samples[0], "es-MX", FirstSender(campaigns, "t"), TestBranding());
  CHECK(in.locale == "es-MX");
  CHECK(in.timezone == "America/Denver");
  CHECK(in.default_timezone == "America/New_York");
  CHECK(in.data["recipient"]["locale"] == "es-MX");
  CHECK(in.data["campaign"]["id"] == "snap");
  CHECK(in.data["rule"]["id"] == "notice");
  CHECK(in.data["event"]["type"] == "t");
  CHECK(in.data["x"] == 1);
  CHECK(FirstSender(campaigns, "other").campaign == nullptr);
}

}  // namespace herald::cli
