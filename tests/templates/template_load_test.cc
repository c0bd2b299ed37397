// ParseTemplate and TemplateSet::Load: the file format, every load error with its
// file:line:column, locale lookup and the variable list.
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "templates/template_set.h"
#include "tests/templates/template_test_util.h"
#include "tests/test_util.h"

namespace herald {
namespace {

using testing::Contains;

// The errors ParseTemplate reports for `text` (as file t/en.md), one string per error.
std::vector<std::string> Errors(const std::string& text) {
  std::vector<ConfigError> errors;
  Result<MessageTemplate> t = ParseTemplate(text, "t/en.md", "t", "en", &errors);
  CHECK_FALSE(t.ok());
  std::vector<std::string> out;
  for (const ConfigError& e : errors) out.push_back(e.ToString());
  if (!t.ok()) {
    std::string joined;
    for (const std::string& s : out) joined += (joined.empty() ? "" : "\n") + s;
    CHECK(t.status().message() == joined);
  }
  return out;
}

std::string Error(const std::string& text) {
  std::vector<std::string> e = Errors(text);
  REQUIRE(e.size() == 1);
  return e[0];
}

const std::string kHead = "---\nsubject: \"Hi\"\nsms: \"Hi\"\n---\n";

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST_CASE("front matter gives the subject and the SMS; the body follows it") {
  MessageTemplate t = testing::Tpl(
      "---\n# a comment\nsubject: 'Reminder: {{x}}'\nsms: >-\n  Folded\n  SMS text\n---\n"
      "# Body\n\nText {{y}}\n");
  CHECK(t.subject == "Reminder: {{x}}");
  CHECK(t.sms == "Folded SMS text");
  CHECK(t.body == "# Body\n\nText {{y}}\n");
  CHECK(t.subject_at == TextPosition{3, 10});
  CHECK(t.sms_at == TextPosition{4, 6});
  CHECK(t.body_at == TextPosition{8, 1});
  CHECK(t.compiled != nullptr);

  SUBCASE("CRLF line ends and a byte order mark are accepted") {
    MessageTemplate c =
        testing::Tpl("\xEF\xBB\xBF---\r\nsubject: S\r\nsms: M\r\n---  \r\nBody\r\n");
    CHECK(c.subject == "S");
    CHECK(c.sms == "M");
    CHECK(c.body == "Body\r\n");
  }
}

TEST_CASE("front matter problems are reported at their line and column") {
  CHECK(Error("subject: x\n") ==
        "t/en.md:1:1: a template starts with front matter: a line '---', then subject: and sms:, "
        "then another line '---', then the email body in Markdown");
  CHECK(Error("---\nsubject: x\nsms: y\n# Body\n") ==
        "t/en.md:1:1: the front matter that starts here is never closed: add a line '---' after "
        "sms:");
  CHECK(Error("---\nsubject: x\nsms: y\ntitel: z\n---\nBody\n") ==
        "t/en.md:4:1: front matter: unknown key 'titel' (the front matter has only subject: and "
        "sms:)");
  CHECK(Errors("---\nsubject: x\nsmss: y\n---\nBody\n") ==
        std::vector<std::string>{
            "t/en.md:2:1: front matter: missing required key 'sms'",
            "t/en.md:3:1: front matter: unknown key 'smss' (did you mean 'sms'?)"});
  CHECK(Error("---\nsms: y\n---\nBody\n") ==
        "t/en.md:2:1: front matter: missing required key 'subject'");
  CHECK(Error("---\nsubject: \"\"\nsms: y\n---\nBody\n") == "t/en.md:2:10: subject: is empty");
  CHECK(Error("---\nsubject: [a, b]\nsms: y\n---\nBody\n") ==
        "t/en.md:2:10: subject: expected a string, got a list");
  CHECK(Error("---\nsubject: x\nsms: y\nsubject: z\n---\nBody\n") ==
        "t/en.md:4:1: duplicate key 'subject' (first given at line 2)");
  CHECK(Error("---\n- a\n---\nBody\n") ==
        "t/en.md:2:1: front matter: expected a mapping, got a list");
  CHECK(Error(kHead) ==
        "t/en.md:4:1: the email body is empty: write the email in Markdown after "
        "this line");

  SUBCASE("YAML syntax") {
    std::string e = Error("---\nsubject: \"Hi\nsms: y\n---\nBody\n");
    CHECK(e.starts_with("t/en.md:"));
    CHECK(Contains(e, ": front matter: "));
  }
  SUBCASE("a line break in the subject, at the character") {
    CHECK(Error("---\nsubject: \"a\\nb\"\nsms: y\n---\nBody\n") ==
          "t/en.md:2:12: subject: must be one line, without line breaks or control characters "
          "(it goes into a mail header)");
    CHECK(Error("---\nsubject: |\n  a\nsms: y\n---\nBody\n") ==
          "t/en.md:2:10: subject: must be one line, without line breaks or control characters "
          "(it goes into a mail header)");
  }
  SUBCASE("controls in the SMS and the body") {
    CHECK(Error("---\nsubject: x\nsms: \"a\\tb\"\n---\nBody\n") ==
          "t/en.md:3:8: sms: must not contain control characters other than line breaks");
    CHECK(Error(kHead + "Body\n\x01\n") == "t/en.md:6:1: body: control characters are not allowed");
  }
  SUBCASE("ill-formed UTF-8") {
    CHECK(Error(kHead + "Body\nab\xff\n") ==
          "t/en.md:6:3: the file is not valid UTF-8 (save it as UTF-8)");
  }
}

TEST_CASE("Mustache problems are reported where they are, in every part") {
  CHECK(Error(kHead + "Hello {{name\n") == "t/en.md:5:7: body: unclosed tag: '{{' without '}}'");
  CHECK(Error(kHead + "A\n{{#docs}}\n- {{.}}\n") ==
        "t/en.md:6:1: body: section '{{#docs}}' is never closed (add '{{/docs}}')");
  CHECK(Error(kHead + "A {{/docs}}\n") ==
        "t/en.md:5:3: body: '{{/docs}}' closes a section that is not open");
  CHECK(Errors(kHead + "{{#a}}{{#b}}x{{/a}}\n") ==
        std::vector<std::string>{"t/en.md:5:7: body: section '{{#b}}' is not closed before "
                                 "'{{/a}}' (add '{{/b}}')"});
  CHECK(Error(kHead + "Hi {{due date}}\n") ==
        "t/en.md:5:4: body: '{{due date}}': a name is letters, digits, '_' and '-', with '.' "
        "between parts (such as recipient.first_name)");
  CHECK(Error(kHead + "Hi {{a..b}}\n") ==
        "t/en.md:5:4: body: '{{a..b}}': a name is letters, digits, '_' and '-', with '.' "
        "between parts (such as recipient.first_name)");
  CHECK(Error(kHead + "{{> footer}}\n") ==
        "t/en.md:5:1: body: '{{> footer}}': partials are not supported");
  CHECK(Error(kHead + "{{=<% %>=}}\n") ==
        "t/en.md:5:1: body: '{{=<% %>=}}': changing the delimiters is not supported");
  CHECK(Error(kHead + "x {{{name}}}\n") ==
        "t/en.md:5:3: body: '{{{name}}}': unescaped output is not allowed; every value is escaped "
        "for the part it is in, so write {{name}}");
  CHECK(Error(kHead + "x {{& name}}\n") ==
        "t/en.md:5:3: body: '{{& name}}': unescaped output is not allowed; every value is escaped "
        "for the part it is in, so write {{name}}");
  CHECK(Error(kHead + "x {{}}\n") == "t/en.md:5:3: body: empty tag '{{}}'");
  CHECK(Error(kHead + "{{^date}}x{{/date}}\n") ==
        "t/en.md:5:1: body: '{{^date}}': 'date' is a helper and cannot be an inverted section");
  CHECK(Error(kHead + "{{#date}} {{/date}}\n") ==
        "t/en.md:5:1: body: '{{#date}}' needs a value inside it, such as "
        "{{#date}}{{interview_at}}{{/date}}");
  CHECK(Error(kHead + "\n\n{{#plural}}{{n}} one{# day}{{/plural}}\n") ==
        "t/en.md:7:1: body: {{#plural}}: the plural forms are not valid: there is no 'other' form "
        "(every plural needs one: other{# days}); write them as one{# day} other{# days}");
  CHECK(Error(kHead + "{{#plural}}{{n}} one{# day} other{# days{{/plural}}\n") ==
        "t/en.md:5:1: body: {{#plural}}: the plural forms are not valid: the braces { } do not "
        "match; write them as one{# day} other{# days}");
  CHECK(Error(kHead + "{{#plural}}{{n}}{{/plural}}\n") ==
        "t/en.md:5:1: body: {{#plural}}: no plural forms after the count; write them as "
        "one{# day} other{# days}");

  SUBCASE("inside quoted and plain front matter values") {
    CHECK(Error("---\nsubject: \"Due {{#date}}{{d}}\"\nsms: y\n---\nBody\n") ==
          "t/en.md:2:15: subject: section '{{#date}}' is never closed (add '{{/date}}')");
    CHECK(Error("---\nsubject: x\nsms: Hi {{name\n---\nBody\n") ==
          "t/en.md:3:9: sms: unclosed tag: '{{' without '}}'");
    CHECK(Error("---\nsubject: 'It''s {{a b}}'\nsms: y\n---\nBody\n") ==
          "t/en.md:2:17: subject: '{{a b}}': a name is letters, digits, '_' and '-', with '.' "
          "between parts (such as recipient.first_name)");
  }
  SUBCASE("every problem of a file at once, in file order") {
    std::vector<std::string> e =
        Errors("---\nsubject: \"{{x\"\nsms: \"{{/y}}\"\nother: 1\n---\n{{#a}}\n\n{{> p}}\n");
    CHECK(e == std::vector<std::string>{
                   "t/en.md:2:11: subject: unclosed tag: '{{' without '}}'",
                   "t/en.md:3:7: sms: '{{/y}}' closes a section that is not open",
                   "t/en.md:4:1: front matter: unknown key 'other' (the front matter has only "
                   "subject: and sms:)",
                   "t/en.md:6:1: body: section '{{#a}}' is never closed (add '{{/a}}')",
                   "t/en.md:8:1: body: '{{> p}}': partials are not supported",
               });
  }
}

TEST_CASE("standalone section lines leave no blank lines, true or false") {
  MessageTemplate t = testing::Tpl(kHead +
                                   "- a\n{{#x}}\n- b {{x}}\n{{/x}}\n  {{^x}}  \n- none\n{{/x}}\n"
                                   "{{! comment }}\n- c\n\nEnd\n");
  RenderInput in = testing::Input({{"x", "X"}});
  Result<RenderedEmail> e = RenderEmail(t, in);
  REQUIRE(e.ok());
  CHECK(e->text.starts_with("- a\n- b X\n- c\n\nEnd\n\n-- \n"));
  in.data = nlohmann::json::object();
  e = RenderEmail(t, in);
  REQUIRE(e.ok());
  CHECK(e->text.starts_with("- a\n- none\n- c\n\nEnd\n\n-- \n"));
}

TEST_CASE("TemplateVariables lists what a template reads") {
  MessageTemplate t = testing::Tpl(
      "---\nsubject: \"{{#date}}{{due_date}}{{/date}}\"\nsms: \"{{recipient.first_name}}\"\n---\n"
      "{{#documents}}\n- {{.}} {{name}}\n{{/documents}}\n{{^office}}phone{{/office}}"
      "{{#status=approved}}ok{{/status=approved}}{{#docs}}{{#.=a}}A{{/.=a}}{{/docs}}\n");
  CHECK(TemplateVariables(t) == std::vector<std::string>{"docs", "documents", "due_date", "name",
                                                         "office", "recipient.first_name",
                                                         "status"});
  std::vector<VariableUse> uses = TemplateVariableUses(t);
  REQUIRE(uses.size() == 7);
  CHECK(uses[0].name == "due_date");
  CHECK(uses[0].part == TemplatePart::kSubject);
  CHECK(uses[0].at == TextPosition{2, 20});
  CHECK_FALSE(uses[0].section);
  CHECK(uses[0].top_level);  // inside a helper only
  CHECK(uses[1].name == "recipient.first_name");
  CHECK(uses[1].part == TemplatePart::kSms);
  CHECK(uses[2].name == "documents");
  CHECK(uses[2].section);
  CHECK(uses[2].at == TextPosition{5, 1});
  CHECK(uses[3].name == "name");
  CHECK_FALSE(uses[3].top_level);
  CHECK(uses[3].at == TextPosition{6, 9});
  CHECK(uses[4].name == "office");
  CHECK(uses[5].name == "status");
  CHECK(uses[5].section);
}

TEST_CASE("TemplateSet loads a directory and resolves locales with fallback") {
  testing::TempDir dir;
  const std::string body = "---\nsubject: S\nsms: M\n---\nBody ";
  Write(dir.Sub("status-update/en.md"), body + "en\n");
  Write(dir.Sub("status-update/es.md"), body + "es\n");
  Write(dir.Sub("status-update/zh-Hans.md"), body + "zh-Hans\n");
  Write(dir.Sub("status-update/.en.md.swp"), "junk");
  Write(dir.Sub("status-update/notes.txt"), "ignored");
  Write(dir.Sub("reminder/en.md"), body + "reminder en\n");
  Write(dir.Sub("README.md"), "not a template: files at the top are ignored");

  Result<TemplateSet> set = TemplateSet::Load(dir.str());
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  CHECK(set->size() == 4);
  CHECK(set->Ids() == std::vector<std::string>{"reminder", "status-update"});
  CHECK(set->Locales("status-update") == std::vector<std::string>{"en", "es", "zh-Hans"});
  CHECK(set->Locales("nope").empty());

  const MessageTemplate* es = set->Find("status-update", "es");
  REQUIRE(es != nullptr);
  CHECK(es->body == "Body es\n");
  CHECK(es->file == dir.str() + "/status-update/es.md");
  CHECK(set->Find("status-update", "ES") == es);
  CHECK(set->Find("status-update", "es-MX") == nullptr);
  CHECK(set->Find("nope", "es") == nullptr);

  auto resolved = [&](std::string_view locale, std::string_view def) -> std::string {
    const MessageTemplate* t = set->Resolve("status-update", locale, def);
    return t ? t->locale : "<none>";
  };
  CHECK(resolved("es-MX", "en") == "es");
  CHECK(resolved("es", "en") == "es");
  CHECK(resolved("zh-Hans-CN", "en") == "zh-Hans");
  CHECK(resolved("zh_Hans", "en") == "zh-Hans");
  CHECK(resolved("fr-CA", "en") == "en");
  CHECK(resolved("", "en") == "en");
  CHECK(resolved("fr", "es-US") == "es");
  CHECK(resolved("fr", "de") == "<none>");
  CHECK(set->Resolve("reminder", "es-MX", "en")->body == "Body reminder en\n");
  CHECK(set->Resolve("nope", "en", "en") == nullptr);

  // Copies share the templates: pointers stay valid.
  TemplateSet copy = *set;
  CHECK(copy.Find("status-update", "es") == es);
}

TEST_CASE("TemplateSet reports every problem of every file at once") {
  testing::TempDir dir;
  Write(dir.Sub("a/en.md"), "---\nsubject: S\nsms: M\nextra: 1\n---\nBody\n");
  Write(dir.Sub("a/en_US.md"), "---\nsubject: S\nsms: M\n---\nBody\n");
  Write(dir.Sub("a/es-MX.md"), "---\nsubject: S\nsms: M\n---\nBody {{x\n");
  Write(dir.Sub("a/es-mx.md"), "---\nsubject: S\nsms: M\n---\nBody\n");
  Write(dir.Sub("Bad Id/en.md"), "---\nsubject: S\nsms: M\n---\nBody\n");
  Write(dir.Sub("b/en.md"), "no front matter\n");
  std::filesystem::create_directories(dir.Sub("empty"));

  std::vector<ConfigError> errors;
  Result<TemplateSet> set = TemplateSet::Load(dir.str(), &errors);
  REQUIRE_FALSE(set.ok());
  CHECK(set.status().IsInvalidArgument());
  const std::string d = dir.str();
  std::vector<std::string> lines;
  for (const ConfigError& e : errors) lines.push_back(e.ToString());
  CHECK(lines == std::vector<std::string>{
                     d + "/Bad Id: a template id (the directory name) must be 1 to 64 characters "
                         "from a-z, 0-9, '_' and '-'",
                     d + "/a/en.md:4:1: front matter: unknown key 'extra' (the front matter has "
                         "only subject: and sms:)",
                     d + "/a/en_US.md: the file name must be a BCP 47 locale and .md, such as "
                         "en.md, es-MX.md or zh-Hans.md ('en_US' is not a locale)",
                     d + "/a/es-MX.md:5:6: body: unclosed tag: '{{' without '}}'",
                     d + "/a/es-mx.md: locale 'es-mx' is already given by " + d +
                         "/a/es-MX.md (locales are compared ignoring case)",
                     d + "/b/en.md:1:1: a template starts with front matter: a line '---', then "
                         "subject: and sms:, then another line '---', then the email body in "
                         "Markdown",
                     d + "/empty: the template has no locale files (add one per language, such "
                         "as en.md)",
                 });
  std::string joined;
  for (const std::string& l : lines) joined += (joined.empty() ? "" : "\n") + l;
  CHECK(set.status().message() == joined);
}

TEST_CASE("TemplateSet: a missing directory is an error, an empty one is an empty set") {
  testing::TempDir dir;
  Result<TemplateSet> missing = TemplateSet::Load(dir.Sub("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == dir.Sub("nope") + ": the templates directory does not exist");
  Result<TemplateSet> empty = TemplateSet::Load(dir.str());
  REQUIRE(empty.ok());
  CHECK(empty->size() == 0);
}

TEST_CASE("TemplateSet::FromTemplates") {
  std::vector<MessageTemplate> ts = {testing::Tpl(kHead + "A\n", "en", "x"),
                                     testing::Tpl(kHead + "B\n", "es", "x")};
  Result<TemplateSet> set = TemplateSet::FromTemplates(ts);
  REQUIRE(set.ok());
  CHECK(set->Resolve("x", "es-MX", "en")->body == "B\n");
  ts.push_back(testing::Tpl(kHead + "C\n", "ES", "x"));
  CHECK_FALSE(TemplateSet::FromTemplates(ts).ok());
}

}  // namespace
}  // namespace herald
