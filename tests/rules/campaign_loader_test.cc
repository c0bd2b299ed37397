#include "engine/rules/campaign_loader.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/test_util.h"

// Error lists print one error a line when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{\n";
    for (const std::string& s : v) out += "  " + s + "\n";
    return (out + "}").c_str();
  }
};

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr Micros kHour = 3600LL * 1'000'000;
constexpr Micros kDay = 24 * kHour;

const std::string kSamples = std::string(HERALD_SOURCE_DIR) + "/samples";

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A campaigns directory and a templates directory in a fresh temporary directory.
// Templates t1 and t2 exist in en and es unless a test says otherwise.
class Fixture {
 public:
  Fixture() {
    fs::create_directories(campaigns());
    for (const char* id : {"t1", "t2"}) {
      for (const char* locale : {"en", "es"}) Template(id, locale);
    }
  }

  std::string campaigns() const { return dir_.str() + "/campaigns"; }
  std::string templates() const { return dir_.str() + "/templates"; }

  void Template(const std::string& id, const std::string& locale) {
    WriteFile(templates() + "/" + id + "/" + locale + ".md",
              "---\nsubject: s\nsms: s\n---\nbody\n");
  }
  void File(const std::string& name, const std::string& text) {
    WriteFile(campaigns() + "/" + name, text);
  }

  CampaignLoad Load() const { return LoadCampaigns(campaigns(), templates()); }

  // Every error as "name:line:column: message", the directory left out.
  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const ConfigError& e : Load().errors) out.push_back(Strip(e.ToString()));
    return out;
  }

  // The errors of `text` as the only campaign file, c.yaml.
  std::vector<std::string> ErrorsOf(const std::string& text) {
    File("c.yaml", text);
    return Errors();
  }

  std::string Strip(std::string s) const {
    for (const std::string& prefix : {campaigns() + "/", templates() + "/"}) {
      for (size_t at; (at = s.find(prefix)) != std::string::npos;) s.erase(at, prefix.size());
    }
    return s;
  }

 private:
  TempDir dir_;
};

// A valid campaign whose first rule is `rule` (indented as a list entry under rules:).
std::string WithRule(const std::string& rule) {
  return "campaign: c1\n"
         "locales: [en, es]\n"
         "rules:\n" +
         rule;
}

using Errs = std::vector<std::string>;

TEST_CASE("the sample campaign loads and compiles") {
  CampaignLoad load = LoadCampaigns(kSamples + "/campaigns", kSamples + "/templates");
  for (const ConfigError& e : load.errors) CAPTURE(e.ToString());
  REQUIRE(load.ok());
  CHECK(load.files == 1);
  const CampaignSet& set = load.campaigns;
  REQUIRE(set.size() == 1);
  CHECK(set.rule_count() == 3);
  const Campaign* c = set.Find("snap-recertification");
  REQUIRE(c != nullptr);
  CHECK(set.Find("nope") == nullptr);
  CHECK(c->name == "SNAP recertification reminders");
  CHECK(c->locales == std::vector<std::string>{"en", "es", "zh-Hans", "vi", "ar"});
  CHECK(c->default_locale() == "en");
  CHECK(c->timezone == "America/New_York");
  CHECK(c->zone.id() == "America/New_York");
  REQUIRE(c->quiet_hours.has_value());
  CHECK(c->quiet_hours->start_minute == 21 * 60);
  CHECK(c->quiet_hours->end_minute == 8 * 60);
  REQUIRE(c->frequency_cap.has_value());
  CHECK(c->frequency_cap->max == 3);
  CHECK(c->frequency_cap->per == 24 * kHour);
  CHECK_FALSE(c->max_segments.has_value());
  CHECK(c->source_file == kSamples + "/campaigns/snap-recertification.yaml");
  REQUIRE(c->rules.size() == 3);

  const Rule& status = c->rules[0];
  CHECK(status.id == "status-update");
  CHECK(status.on == std::vector<std::string>{"case.status_changed"});
  REQUIRE(status.when.has_value());
  CHECK(status.when->text() == "status in [\"approved\", \"denied\"]");
  CHECK_FALSE(status.while_cond.has_value());
  CHECK_FALSE(status.at.has_value());
  CHECK_FALSE(status.after.has_value());
  CHECK_FALSE(status.every.has_value());
  CHECK(status.times == 1);
  CHECK(status.send == "status-update");
  CHECK(status.channels.kind == ChannelSpec::Kind::kPreferred);
  const nlohmann::json approved = {{"status", "approved"}};
  const nlohmann::json pending = {{"status", "documents_requested"}};
  CHECK(status.when->Truthy({.state = &approved}));
  CHECK_FALSE(status.when->Truthy({.state = &pending}));

  const Rule& docs = c->rules[1];
  CHECK(docs.id == "documents-reminder");
  CHECK(docs.after == 3 * kDay);
  CHECK(docs.every == 4 * kDay);
  CHECK(docs.times == 3);
  REQUIRE(docs.while_cond.has_value());
  CHECK(docs.while_cond->Truthy({.state = &pending}));
  CHECK(docs.send == "documents-reminder");
  CHECK(docs.channels.kind == ChannelSpec::Kind::kPreferred);

  const Rule& interview = c->rules[2];
  CHECK(interview.id == "interview-reminder");
  CHECK(interview.on ==
        std::vector<std::string>{"case.interview_scheduled", "case.interview_rescheduled"});
  REQUIRE(interview.at.has_value());
  CHECK(interview.at->FieldPaths() == std::vector<std::string>{"interview_at"});
  REQUIRE(interview.while_cond.has_value());
  CHECK(interview.while_cond->UsesNow());
  CHECK(interview.times == 1);
  CHECK(interview.channels.kind == ChannelSpec::Kind::kList);
  CHECK(interview.channels.list == std::vector<Channel>{Channel::kSms, Channel::kEmail});

  // Matching by event type, in rule order.
  auto changed = set.RulesFor("case.status_changed");
  REQUIRE(changed.size() == 2);
  CHECK(changed[0].rule->id == "status-update");
  CHECK(changed[1].rule->id == "documents-reminder");
  CHECK(changed[0].campaign == c);
  auto moved = set.RulesFor("case.interview_rescheduled");
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].rule == &c->rules[2]);
  CHECK(set.RulesFor("case.closed").empty());

  // Copies share the campaigns: pointers stay valid after the original is gone.
  CampaignSet copy;
  {
    CampaignSet original = set;
    copy = original;
  }
  CHECK(copy.Find("snap-recertification") == c);
}

TEST_CASE("a minimal campaign takes the defaults") {
  Fixture f;
  f.File("c.yaml", WithRule("  - {id: r1, on: e.x, send: t1}\n"));
  CampaignLoad load = f.Load();
  REQUIRE(load.ok());
  const Campaign& c = load.campaigns.campaigns().at(0);
  CHECK(c.name == "c1");
  CHECK(c.timezone == "UTC");
  CHECK(c.zone.id() == "UTC");
  CHECK_FALSE(c.quiet_hours);
  CHECK_FALSE(c.frequency_cap);
  const Rule& r = c.rules.at(0);
  CHECK(r.times == 1);
  CHECK(r.line == 4);
  CHECK(r.channels == ChannelSpec{});
}

TEST_CASE("every campaign key, accepted") {
  Fixture f;
  f.File("c.yaml",
         "campaign: c1\n"
         "name: Campaign one\n"
         "locales: [es-MX, en]\n"
         "timezone: US/Eastern\n"
         "quiet_hours: {start: 22:00, end: \"07:30\"}\n"
         "frequency_cap: {max: 1, per: 1d12h}\n"
         "max_segments: 3\n"
         "rules:\n"
         "  - id: r1\n"
         "    on: e.x\n"
         "    at: event.occurred_at + 1h\n"
         "    every: 1w\n"
         "    times: 1000\n"
         "    while: 'true'\n"
         "    send: t1\n"
         "    channels: all\n");
  f.Template("t1", "es-MX");
  CampaignLoad load = f.Load();
  for (const ConfigError& e : load.errors) CAPTURE(e.ToString());
  REQUIRE(load.ok());
  const Campaign& c = load.campaigns.campaigns().at(0);
  CHECK(c.default_locale() == "es-MX");
  CHECK(c.quiet_hours->start_minute == 22 * 60);
  CHECK(c.quiet_hours->end_minute == 7 * 60 + 30);
  CHECK(c.frequency_cap->per == kDay + 12 * kHour);
  CHECK(c.max_segments == 3);
  CHECK(c.rules[0].every == 7 * kDay);
  CHECK(c.rules[0].times == 1000);
  CHECK(c.rules[0].channels.kind == ChannelSpec::Kind::kAll);
}

TEST_CASE("unknown keys, with hints") {
  Fixture f;
  CHECK(f.ErrorsOf("campaign: c1\n"
                   "locales: [en]\n"
                   "timezon: UTC\n"
                   "colour: blue\n"
                   "rules:\n"
                   "  - id: r1\n"
                   "    on: e.x\n"
                   "    sned: t1\n"
                   "    quiet_hours: x\n") ==
        Errs{
            "c.yaml:3:1: campaign: unknown key 'timezon' (did you mean 'timezone'?)",
            "c.yaml:4:1: campaign: unknown key 'colour'",
            "c.yaml:6:5: rule 'r1': missing required key 'send'",
            "c.yaml:8:5: rule 'r1': unknown key 'sned' (did you mean 'send'?)",
            "c.yaml:9:5: rule 'r1': unknown key 'quiet_hours'",
        });
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1}\n") +
                   "quiet_hours: {start: \"21:00\", end: \"08:00\", tz: UTC}\n"
                   "frequency_cap: {max: 1, per: 1h, pre: 2h}\n") ==
        Errs{
            "c.yaml:5:45: quiet_hours: unknown key 'tz'",
            "c.yaml:6:34: frequency_cap: unknown key 'pre' (did you mean 'per'?)",
        });
}

TEST_CASE("missing required keys and wrong types") {
  Fixture f;
  CHECK(f.ErrorsOf("name: nothing else\n") ==
        Errs{
            "c.yaml:1:1: campaign: missing required key 'campaign'",
            "c.yaml:1:1: campaign: missing required key 'locales'",
            "c.yaml:1:1: campaign: missing required key 'rules'",
        });
  CHECK(f.ErrorsOf("- just a list\n") ==
        Errs{"c.yaml:1:1: campaign: expected a mapping, got a list"});
  CHECK(f.ErrorsOf("campaign: c1\n"
                   "locales: en\n"
                   "rules:\n"
                   "  - id: r1\n"
                   "  - {on: e.x}\n"
                   "  - nothing\n") == Errs{
                                           "c.yaml:2:10: locales: expected a list, got 'en'",
                                           "c.yaml:4:5: rule 'r1': missing required key 'on'",
                                           "c.yaml:4:5: rule 'r1': missing required key 'send'",
                                           "c.yaml:5:5: rule: missing required key 'id'",
                                           "c.yaml:5:5: rule: missing required key 'send'",
                                           "c.yaml:6:5: rule: expected a mapping, got 'nothing'",
                                       });
  CHECK(f.ErrorsOf("campaign: [c1]\n"
                   "name: {a: b}\n"
                   "locales: [en]\n"
                   "max_segments: 11\n"
                   "rules:\n"
                   "  - id: r1\n"
                   "    on: {type: e.x}\n"
                   "    times: \"3\"\n"
                   "    when:\n"
                   "    send: [t1]\n"
                   "    channels: {sms: true}\n") ==
        Errs{
            "c.yaml:1:11: campaign: expected a string, got a list",
            "c.yaml:2:7: name: expected a string, got a mapping",
            "c.yaml:4:15: max_segments: must be between 1 and 10, got 11",
            "c.yaml:7:9: on: expected an event type or a list of them, such as case.status_changed",
            "c.yaml:8:12: times: expected an integer, got a quoted string",
            "c.yaml:9:5: when: expected a string, got nothing",
            "c.yaml:10:11: send: expected a string, got a list",
            "c.yaml:11:15: channels: must be preferred, all, or a list of channels such as [sms, "
            "email]",
        });
  CHECK(f.ErrorsOf("campaign: c1\nlocales: []\nrules: []\n") ==
        Errs{
            "c.yaml:2:10: locales: the list is empty; give at least one locale, such as en",
            "c.yaml:3:8: rules: the list is empty; a campaign needs at least one rule",
        });
}

TEST_CASE("ids, event types, durations and times") {
  Fixture f;
  CHECK(f.ErrorsOf("campaign: Bad Id\n"
                   "locales: [en]\n"
                   "rules:\n"
                   "  - id: r/1\n"
                   "    on: [e.x, 'bad type', e.x, []]\n"
                   "    after: 3x\n"
                   "    send: ../t1\n"
                   "  - id: r2\n"
                   "    on: []\n"
                   "    after: 1.5h\n"
                   "    every: 30m1h\n"
                   "    times: 0\n"
                   "    send: t1\n"
                   "  - id: r3\n"
                   "    on: e.x\n"
                   "    times: 1001\n"
                   "    send: t1\n") ==
        Errs{
            "c.yaml:1:11: campaign: the campaign id must be 1 to 64 characters from a-z, 0-9, "
            "'_' and '-'",
            "c.yaml:4:9: id: must be 1 to 64 characters from a-z, 0-9, '_' and '-'",
            "c.yaml:5:15: on: an event type is letters, digits, '_', '.', ':' and '-', such as "
            "case.status_changed",
            "c.yaml:5:27: on: 'e.x' is listed twice",
            "c.yaml:5:32: on: an event type is letters, digits, '_', '.', ':' and '-', such as "
            "case.status_changed",
            "c.yaml:6:12: after: '3x' is not a duration (use s, m, h, d, w)",
            "c.yaml:7:11: send: a template id must be 1 to 64 characters from a-z, 0-9, '_' and "
            "'-'",
            "c.yaml:9:9: on: the list is empty; give at least one event type",
            "c.yaml:10:12: after: '1.5h' is not a duration: use whole numbers, e.g. 1h30m",
            "c.yaml:11:12: every: '30m1h' is not a duration: write units from largest to "
            "smallest, each once (e.g. 1h30m)",
            "c.yaml:12:12: times: must be between 1 and 1000, got 0",
            "c.yaml:16:12: times: must be between 1 and 1000, got 1001",
        });
}

TEST_CASE("duplicate rule ids within a campaign") {
  Fixture f;
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1}\n"
                            "  - {id: r2, on: e.x, send: t1}\n"
                            "  - {id: r1, on: e.y, send: t2}\n")) ==
        Errs{"c.yaml:6:10: id: duplicate rule id 'r1' (first given at line 4)"});
}

TEST_CASE("locales, time zone, quiet hours, frequency cap, max_segments") {
  Fixture f;
  CHECK(f.ErrorsOf("campaign: c1\n"
                   "locales: [en, en_US, EN, {a: b}]\n"
                   "timezone: America/Springfield\n"
                   "quiet_hours: {start: \"9pm\", end: \"08:00\"}\n"
                   "frequency_cap: {max: 0, per: 1y}\n"
                   "max_segments: 0\n"
                   "rules:\n"
                   "  - {id: r1, on: e.x, send: t1}\n") ==
        Errs{
            "c.yaml:2:15: locales: 'en_US' is not a BCP 47 language tag such as en, es-MX or "
            "zh-Hans",
            "c.yaml:2:22: locales: 'EN' is listed twice",
            "c.yaml:2:26: locales: this is not a BCP 47 language tag such as en, es-MX or "
            "zh-Hans",
            "c.yaml:3:11: timezone: unknown time zone 'America/Springfield' (use an IANA id such "
            "as America/New_York)",
            "c.yaml:4:22: quiet_hours.start must be HH:MM between 00:00 and 23:59",
            "c.yaml:5:22: max: must be between 1 and 1000, got 0",
            "c.yaml:5:30: per: '1y' is not a duration: months and years vary in length; use d "
            "or w",
            "c.yaml:6:15: max_segments: must be between 1 and 10, got 0",
        });
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1}\n") +
                   "quiet_hours: {start: \"08:00\", end: \"25:00\"}\n") ==
        Errs{"c.yaml:5:36: quiet_hours.end must be HH:MM between 00:00 and 24:00"});
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1}\n") +
                   "quiet_hours: {start: \"00:00\", end: \"24:00\"}\n") ==
        Errs{"c.yaml:5:22: quiet_hours: start and end are the same time; leave quiet_hours out "
             "for none"});
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1}\n") +
                   "quiet_hours: {start: \"21:00\"}\n"
                   "frequency_cap: 3\n") ==
        Errs{
            "c.yaml:5:14: quiet_hours: missing required key 'end'",
            "c.yaml:6:16: frequency_cap: expected a mapping, got '3'",
        });
}

TEST_CASE("channels") {
  Fixture f;
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: t1, channels: sms}\n"
                            "  - {id: r2, on: e.x, send: t1, channels: [sms, fax, sms]}\n"
                            "  - {id: r3, on: e.x, send: t1, channels: []}\n"
                            "  - {id: r4, on: e.x, send: t1, channels: everyone}\n")) ==
        Errs{
            "c.yaml:4:43: channels: must be preferred, all, or a list of channels such as [sms, "
            "email], got 'sms' (for one channel write [sms])",
            "c.yaml:5:49: channels: unknown channel 'fax' (the channels are email and sms)",
            "c.yaml:5:54: channels: 'sms' is listed twice",
            "c.yaml:6:43: channels: the list is empty; list at least one of email, sms",
            "c.yaml:7:43: channels: must be preferred, all, or a list of channels such as [sms, "
            "email], got 'everyone'",
        });
}

TEST_CASE("expression errors point into the file, with a caret below") {
  Fixture f;
  SUBCASE("plain") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: status == \"x\n"
                              "    send: t1\n")) == Errs{"c.yaml:6:21: when: unterminated string\n"
                                                         "  status == \"x\n"
                                                         "            ^"});
  }
  SUBCASE("single-quoted, with a quote written twice") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: 'status == ''a'' and (x'\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:34: when: expected ')' to close '(' at column 19\n"
               "  status == 'a' and (x\n"
               "                      ^"});
  }
  SUBCASE("double-quoted, with escapes") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    while: \"status == \\\"a\\\" and 3x\"\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:33: while: '3x' is not a duration (use s, m, h, d, w)\n"
               "  status == \"a\" and 3x\n"
               "                    ^"});
  }
  SUBCASE("in a flow mapping") {
    CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, at: 'now + 1x', send: t1}\n")) ==
          Errs{"c.yaml:4:34: at: '1x' is not a duration (use s, m, h, d, w)\n"
               "  now + 1x\n"
               "        ^"});
  }
  SUBCASE("folded over two lines") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: status == \"approved\" or\n"
                              "      status === \"denied\"\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:7:14: when: unknown operator '==='; use '=='\n"
               "  status == \"approved\" or status === \"denied\"\n"
               "                                 ^"});
  }
  SUBCASE("block scalar: the scalar's position") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: |\n"
                              "      status ==\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:11: when: expected a value after '==', found the end of the expression\n"
               "  status ==\n"
               "           ^"});
  }
  SUBCASE("columns count bytes, like every other position") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: nombre == \"José\" and (\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:34: when: expected a value after '(', found the end of the expression\n"
               "  nombre == \"José\" and (\n"
               "                        ^"});
  }
  SUBCASE("a tag before the value: the value's position") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: !!str status ==\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:11: when: expected a value after '==', found the end of the expression\n"
               "  status ==\n"
               "           ^"});
  }
  SUBCASE("Windows line endings") {
    CHECK(f.ErrorsOf("campaign: c1\r\nlocales: [en]\r\nrules:\r\n  - id: r1\r\n    on: e.x\r\n"
                     "    when: 'a ==\r\n      = b'\r\n    send: t1\r\n") ==
          Errs{"c.yaml:7:7: when: unknown operator '='; use '==' to compare\n"
               "  a == = b\n"
               "       ^"});
  }
  SUBCASE("at the end of the value") {
    CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                              "    on: e.x\n"
                              "    when: \"status ==\"\n"
                              "    send: t1\n")) ==
          Errs{"c.yaml:6:21: when: expected a value after '==', found the end of the expression\n"
               "  status ==\n"
               "           ^"});
  }
}

TEST_CASE("what an expression must be able to produce") {
  Fixture f;
  CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                            "    on: e.x\n"
                            "    when: 3d\n"
                            "    at: status == \"x\"\n"
                            "    send: t1\n"
                            "  - id: r2\n"
                            "    on: e.x\n"
                            "    at: 3d\n"
                            "    while: interview_at - 2d\n"
                            "    send: t1\n")) ==
        Errs{
            "c.yaml:6:11: when: must be a condition (true or false) such as status == "
            "\"approved\"",
            "c.yaml:7:9: at: must be a timestamp expression such as interview_at - 2d",
            "c.yaml:11:9: at: must be a timestamp expression such as interview_at - 2d",
            "c.yaml:12:12: while: must be a condition (true or false) such as status == "
            "\"approved\"",
        });
}

TEST_CASE("timing options that contradict each other") {
  Fixture f;
  CHECK(f.ErrorsOf(WithRule("  - id: r1\n"
                            "    on: e.x\n"
                            "    at: interview_at - 2d\n"
                            "    after: 3d\n"
                            "    send: t1\n"
                            "  - id: r2\n"
                            "    on: e.x\n"
                            "    every: 4d\n"
                            "    send: t1\n"
                            "  - id: r3\n"
                            "    on: e.x\n"
                            "    times: 3\n"
                            "    while: status == \"x\"\n"
                            "    send: t1\n"
                            "  - id: r4\n"
                            "    on: e.x\n"
                            "    every: 4d\n"
                            "    times: 2\n"
                            "    send: t1\n"
                            "  - id: r5\n"
                            "    on: e.x\n"
                            "    every: 4d\n"
                            "    times: 1\n"
                            "    while: status == \"x\"\n"
                            "    send: t1\n")) ==
        Errs{
            "c.yaml:7:5: after: give either at: (the time of the first send) or after: (a delay "
            "from the event), not both",
            "c.yaml:11:5: every: is the time between repeated sends, so it needs times: greater "
            "than 1",
            "c.yaml:15:5: times: a message sent more than once needs every: (the time between "
            "sends)",
            "c.yaml:21:5: times: a message sent more than once needs while: so that it stops when "
            "it is no longer needed (e.g. while: status == \"documents_requested\")",
            "c.yaml:25:5: every: is the time between repeated sends, so it needs times: greater "
            "than 1",
        });
}

TEST_CASE("templates: unknown, and missing for a locale") {
  Fixture f;
  f.Template("t3", "en");
  CHECK(f.ErrorsOf(WithRule("  - {id: r1, on: e.x, send: nope}\n"
                            "  - {id: r2, on: e.x, send: t3}\n")) ==
        Errs{
            "c.yaml:4:29: send: unknown template 'nope' (there is no directory nope)",
            "c.yaml:5:29: send: template 't3' has no 'es' version (t3/es.md is missing)",
        });
}

TEST_CASE("templates directory not configured or missing: one error") {
  Fixture f;
  f.File("c.yaml", WithRule("  - {id: r1, on: e.x, send: nope}\n"));
  CampaignLoad none = LoadCampaigns(f.campaigns(), "");
  REQUIRE(none.errors.size() == 1);
  CHECK(f.Strip(none.errors[0].ToString()) ==
        f.campaigns() +
            ": campaigns need templates, but no templates directory is configured "
            "(templates: in the configuration)");
  CampaignLoad missing = LoadCampaigns(f.campaigns(), f.templates() + "-gone");
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].ToString() ==
        f.templates() + "-gone: the templates directory does not exist");
}

TEST_CASE("duplicate campaign ids across files: reported in both") {
  Fixture f;
  f.File("a.yaml", WithRule("  - {id: r1, on: e.x, send: t1}\n"));
  f.File("b.yml", "# the same id again\n" + WithRule("  - {id: r1, on: e.x, send: t1}\n"));
  f.File("c.yaml", "campaign: other\n" + WithRule("  - {id: r1, on: e.x, send: t1}\n").substr(13));
  CampaignLoad load = f.Load();
  CHECK(load.files == 3);
  CHECK(load.campaigns.empty());
  CHECK(f.Errors() == Errs{
                          "a.yaml:1:11: campaign: duplicate campaign id 'c1' (also in b.yml:2:11)",
                          "b.yml:2:11: campaign: duplicate campaign id 'c1' (also in a.yaml:1:11)",
                      });
}

TEST_CASE("errors in two files are reported together, in file order") {
  Fixture f;
  f.File("b.yaml", "campaign: b\nlocales: [en]\nrules:\n  - {id: r1, on: e.x, send: t1, x: 1}\n");
  f.File("a.yaml",
         "campaign: a\nlocales: [xx-invalid-]\nrules:\n  - {id: r1, on: e.x, send: t1}\n"
         "bogus: 1\n");
  f.File("c.yaml", "campaign: c\nlocales: [en]\nrules:\n  - {id: r1, on: e.x, send: t1}\n");
  f.File("notes.txt", "not a campaign: [");
  f.File(".hidden.yaml", "not a campaign: [");
  fs::create_directories(f.campaigns() + "/sub.yaml");
  CHECK(f.Errors() ==
        Errs{
            "a.yaml:2:11: locales: 'xx-invalid-' is not a BCP 47 language tag such as en, es-MX "
            "or zh-Hans",
            "a.yaml:5:1: campaign: unknown key 'bogus'",
            "b.yaml:4:33: rule 'r1': unknown key 'x'",
        });
  CHECK(f.Load().files == 3);
}

TEST_CASE("YAML syntax errors, empty files, several documents") {
  Fixture f;
  f.File("a.yaml", "campaign: a\nlocales: [en\n");
  f.File("b.yaml", "# nothing yet\n");
  f.File("c.yaml", WithRule("  - {id: r1, on: e.x, send: t1}\n") + "---\ncampaign: c2\n");
  // yaml-cpp 0.7's LoadAll never returned on this one, adding empty documents until memory
  // ran out (found by tests/fuzz).
  f.File("d.yaml", ",campaign: d\n");
  // Stuck after a first document that read something: a syntax error, not a second
  // document.
  f.File("e.yaml", "- a\n,\n");
  const Errs errors = f.Errors();
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].rfind("a.yaml:", 0) == 0);
  CHECK(errors[0].find("YAML syntax error") != std::string::npos);
  CHECK(errors[1] ==
        "b.yaml:1:1: the file is empty; a campaign needs at least campaign:, locales: and rules:");
  CHECK(errors[2] == "c.yaml:6:1: only one YAML document (one campaign) is allowed per file");
  CHECK(errors[3] == "d.yaml:1:1: YAML syntax error: unexpected ','");
  CHECK(errors[4] == "e.yaml:2:1: YAML syntax error: unexpected ','");
}

TEST_CASE("the campaigns directory: unset, empty, missing") {
  CampaignLoad unset = LoadCampaigns("", "");
  CHECK(unset.ok());
  CHECK(unset.campaigns.empty());

  Fixture f;
  CampaignLoad empty = f.Load();
  CHECK(empty.ok());
  CHECK(empty.files == 0);
  CHECK(empty.campaigns.empty());
  CHECK(empty.campaigns.rule_count() == 0);

  CampaignLoad missing = LoadCampaigns(f.campaigns() + "/nope", f.templates());
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].ToString() ==
        f.campaigns() + "/nope: the campaigns directory does not exist");
  CHECK(missing.campaigns.empty());
}

TEST_CASE("several campaigns: lookups across them") {
  Fixture f;
  f.File("b.yaml", "campaign: b\nlocales: [en]\nrules:\n  - {id: r1, on: [e.x, e.y], send: t1}\n");
  f.File("a.yaml", "campaign: a\nlocales: [en]\nrules:\n  - {id: r1, on: e.x, send: t2}\n");
  CampaignLoad load = f.Load();
  REQUIRE(load.ok());
  REQUIRE(load.campaigns.size() == 2);
  CHECK(load.campaigns.campaigns()[0].id == "a");
  CHECK(load.campaigns.rule_count() == 2);
  auto x = load.campaigns.RulesFor("e.x");
  REQUIRE(x.size() == 2);
  CHECK(x[0].campaign->id == "a");
  CHECK(x[1].campaign->id == "b");
  REQUIRE(load.campaigns.RulesFor("e.y").size() == 1);
  CHECK(load.campaigns.Find("b")->rules[0].send == "t1");
}

}  // namespace
}  // namespace herald
