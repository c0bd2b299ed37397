// RenderEmail and RenderSms: escaping per part, missing variables, sections, links, layout.
#include <thread>

#include <doctest/doctest.h>

#include "templates/render.h"
#include "templates/template_data.h"
#include "tests/templates/template_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::BodyHtml;
using testing::Contains;
using testing::Input;
using testing::Parts;

TEST_CASE("a template renders its subject, body and SMS from the data") {
  MessageTemplate t = Parts("Your case {{case.id}}", "Status: {{status}}. Reply STOP to opt out.",
                            "# Hello\n\nYour status is **{{status}}**.\n");
  json data = {{"status", "approved"}, {"case", {{"id", "C-9"}}}};
  Result<RenderedEmail> e = RenderEmail(t, Input(data));
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  CHECK(e->subject == "Your case C-9");
  CHECK(Contains(e->html, "<h1 style="));
  CHECK(Contains(e->html, ">Hello</h1>"));
  CHECK(Contains(e->html, "Your status is <strong>approved</strong>."));
  CHECK(Contains(e->text, "# Hello\n\nYour status is **approved**."));
  Result<RenderedSms> s = RenderSms(t, Input(data));
  REQUIRE(s.ok());
  CHECK(s->text == "Status: approved. Reply STOP to opt out.");
  CHECK(s->info == SmsInfo{"GSM-7", 40, 1});
}

TEST_CASE("case values cannot become markup in the HTML part") {
  MessageTemplate t = Parts("Note", "{{v}}", "Note: {{v}}\n\n[Open your letter]({{url}})\n");
  auto html_for = [&](const std::string& v) {
    json data = {{"v", v}, {"url", "https://benefits.example.org/letter?a=1&b=2"}};
    Result<RenderedEmail> e = RenderEmail(t, Input(data));
    REQUIRE_MESSAGE(e.ok(), e.status().message());
    return std::make_pair(BodyHtml(e->html), e->text);
  };

  SUBCASE("a Markdown link stays text") {
    auto [html, text] = html_for("[click](http://evil.example)");
    CHECK(Contains(html, "Note: [click](http://evil.example)"));
    CHECK_FALSE(Contains(html, "href=\"http://evil.example"));
    CHECK(Contains(text, "Note: [click](http://evil.example)"));
  }
  SUBCASE("HTML is escaped, never markup") {
    auto [html, text] = html_for("<script>alert(1)</script>");
    CHECK(Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK_FALSE(Contains(html, "<script"));
    CHECK(Contains(text, "Note: <script>alert(1)</script>"));  // plain text: shown as is
  }
  SUBCASE("emphasis stays literal") {
    auto [html, text] = html_for("**bold** and _it_");
    CHECK(Contains(html, "**bold** and _it_"));
    CHECK_FALSE(Contains(html, "<strong>"));
    CHECK_FALSE(Contains(html, "<em>"));
  }
  SUBCASE("ampersands and quotes") {
    auto [html, text] = html_for("Tom & Jerry's \"shop\" &amp;");
    CHECK(Contains(html, "Tom &amp; Jerry's &quot;shop&quot; &amp;amp;"));
    CHECK(Contains(text, "Tom & Jerry's \"shop\" &amp;"));
    // A value in a link destination is one URL: & and quotes cannot end the attribute.
    CHECK(Contains(html, "href=\"https://benefits.example.org/letter?a=1&amp;b=2\""));
  }
  SUBCASE("line starts cannot become headings or lists") {
    auto [html, text] = html_for("# 1. - > heading");
    CHECK(Contains(html, "<p style=\"margin:0 0 16px;\">Note: # 1. - &gt; heading</p>"));
  }
  SUBCASE("a line break in a value is a space in the HTML part") {
    auto [html, text] = html_for("line one\n\n# line two");
    CHECK(Contains(html, "Note: line one  # line two"));
    CHECK_FALSE(Contains(html, "<h1"));
    CHECK(Contains(text, "Note: line one\n\n# line two"));
  }
}

TEST_CASE("a quote in a link destination value cannot break out of the href") {
  MessageTemplate t = Parts("s", "s", "[Go]({{url}})\n");
  Result<RenderedEmail> e =
      RenderEmail(t, Input({{"url", "https://x.example/\"onmouseover=\"alert(1)"}}));
  REQUIRE(e.ok());
  CHECK_FALSE(Contains(e->html, "\"onmouseover"));
  CHECK(Contains(e->html, "href=\"https://x.example/%22onmouseover=%22alert(1)\""));
}

TEST_CASE("Mustache tags inside a value are not expanded") {
  MessageTemplate t = Parts("{{v}}", "{{v}}", "{{v}}\n");
  json data = {{"v", "{{secret}} {{#secret}}x{{/secret}}"}, {"secret", "EXPANDED"}};
  Result<RenderedEmail> e = RenderEmail(t, Input(data));
  REQUIRE(e.ok());
  CHECK(e->subject == "{{secret}} {{#secret}}x{{/secret}}");
  CHECK(Contains(BodyHtml(e->html), "{{secret}} {{#secret}}x{{/secret}}"));
  CHECK_FALSE(Contains(e->html, "EXPANDED"));
  Result<RenderedSms> s = RenderSms(t, Input(data));
  REQUIRE(s.ok());
  CHECK(s->text == "{{secret}} {{#secret}}x{{/secret}}");
}

TEST_CASE("CR, LF and other controls in a value never reach the subject or the SMS") {
  MessageTemplate t = Parts("Case {{v}}", "SMS {{v}} end", "Body\n");
  json data = {{"v",
                "a\r\nBcc: victim@example.org\rb\tc\x01\x7f\xc2\x85\xe2\x80\xa8"
                "d"}};
  Result<RenderedEmail> e = RenderEmail(t, Input(data));
  REQUIRE(e.ok());
  CHECK(e->subject == "Case a Bcc: victim@example.org b c d");
  CHECK(e->subject.find_first_of("\r\n") == std::string::npos);
  Result<RenderedSms> s = RenderSms(t, Input(data));
  REQUIRE(s.ok());
  CHECK(s->text == "SMS a Bcc: victim@example.org b c d end");
}

TEST_CASE("the SMS keeps the line breaks its template writes") {
  MessageTemplate t = testing::Tpl("---\nsubject: s\nsms: \"Line 1\\nLine {{n}}\"\n---\nbody\n");
  Result<RenderedSms> s = RenderSms(t, Input({{"n", 2}}));
  REQUIRE(s.ok());
  CHECK(s->text == "Line 1\nLine 2");
}

TEST_CASE("a missing variable is an error naming it and its part") {
  MessageTemplate t =
      Parts("Send by {{due_date}}", "Hi {{recipient.first_name}}",
            "Due {{due_date}}, {{office}}.\n{{#documents}}- {{name}}\n{{/documents}}");
  Result<RenderedEmail> e = RenderEmail(t, Input({{"documents", json::array({{{"x", 1}}})}}));
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().IsInvalidArgument());
  CHECK(e.status().message() ==
        "template 't' (en): subject: missing variable 'due_date'; body: missing variables "
        "'due_date', 'office', 'name'");

  Result<RenderedSms> s = RenderSms(t, Input({{"recipient", {{"id", "p1"}}}}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message() == "template 't' (en): sms: missing variable 'recipient.first_name'");

  SUBCASE("null counts as missing") {
    Result<RenderedSms> n = RenderSms(t, Input({{"recipient", {{"first_name", nullptr}}}}));
    REQUIRE_FALSE(n.ok());
    CHECK(Contains(n.status().message(), "'recipient.first_name'"));
  }
}

TEST_CASE("a variable inside a false or missing section is not needed") {
  MessageTemplate t =
      Parts("s", "{{#office}}At {{office}}.{{/office}}{{^office}}By phone.{{/office}}",
            "{{#approved}}Amount: {{amount}}{{/approved}}\n");
  Result<RenderedSms> s = RenderSms(t, Input(json::object()));
  REQUIRE(s.ok());
  CHECK(s->text == "By phone.");
  Result<RenderedEmail> e = RenderEmail(t, Input({{"approved", false}}));
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  Result<RenderedEmail> missing = RenderEmail(t, Input({{"approved", true}}));
  REQUIRE_FALSE(missing.ok());
  CHECK(Contains(missing.status().message(), "body: missing variable 'amount'"));
}

TEST_CASE("a list or an object as a variable is an error") {
  MessageTemplate t = Parts("s", "{{documents}}", "b\n");
  Result<RenderedSms> s = RenderSms(t, Input({{"documents", {"a", "b"}}}));
  REQUIRE_FALSE(s.ok());
  CHECK(Contains(s.status().message(), "sms: 'documents' is a list, not a value"));
}

TEST_CASE("sections: lists, objects, false values and value tests") {
  auto sms = [](const std::string& tpl, const json& data) {
    Result<RenderedSms> s = RenderSms(Parts("s", tpl, "b\n"), Input(data));
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return s->text;
  };
  CHECK(sms("{{#docs}}[{{.}}]{{/docs}}", {{"docs", {"a", "b"}}}) == "[a][b]");
  CHECK(sms("{{#docs}}{{name}}/{{status}} {{/docs}}",
            {{"status", "open"},
             {"docs", {{{"name", "x"}}, {{"name", "y"}, {"status", "done"}}}}}) == "x/open y/done");
  CHECK(sms("{{#person}}{{first}} {{last}}{{/person}}",
            {{"person", {{"first", "Ana"}, {"last", "Ruiz"}}}}) == "Ana Ruiz");
  CHECK(sms("{{#a.b}}yes{{/a.b}}{{^a.c}} no{{/a.c}}", {{"a", {{"b", 1}}}}) == "yes no");
  // false, null, "", [] and missing are false; 0 is a value.
  for (const json& v : {json(false), json(nullptr), json(""), json::array()}) {
    CHECK(sms("{{#v}}T{{/v}}{{^v}}F{{/v}}", {{"v", v}}) == "F");
  }
  CHECK(sms("{{#v}}T{{/v}}{{^v}}F{{/v}}", json::object()) == "F");
  CHECK(sms("{{#v}}T{{v}}{{/v}}", {{"v", 0}}) == "T0");
  CHECK(sms("{{#v}}{{.}}{{/v}}", {{"v", true}}) == "true");
  // name=value sections compare a value's text.
  json data = {{"status", "approved"}, {"n", 3}, {"docs", {"proof_of_income", "other"}}};
  CHECK(sms("{{#status=approved}}A{{/status=approved}}{{#status=denied}}D{{/status=denied}}",
            data) == "A");
  CHECK(sms("{{^status=denied}}not denied{{/status=denied}}", data) == "not denied");
  CHECK(sms("{{#n=3}}three{{/n=3}}", data) == "three");
  CHECK(sms("{{#missing=x}}?{{/missing=x}}ok", data) == "ok");
  CHECK(sms("{{#docs}}{{#.=proof_of_income}}Income proof{{/.=proof_of_income}}"
            "{{^.=proof_of_income}}{{.}}{{/.=proof_of_income}};{{/docs}}",
            data) == "Income proof;other;");
}

TEST_CASE("links are rewritten in the HTML, the text part and the SMS") {
  MessageTemplate t =
      Parts("s", "Upload at https://benefits.example.org/up?c={{case.id}}. Or HTTP://x.example/a",
            "[Upload]({{link}}) or <https://benefits.example.org/auto>, "
            "[mail](mailto:help@example.org), https://bare.example.org\n");
  RenderInput in = Input({{"case", {{"id", "C1"}}}, {"link", "https://benefits.example.org/up"}});
  in.unsubscribe_url = "https://herald.example.org/u/tok123";
  std::vector<std::string> seen;
  in.rewrite_link = [&](std::string_view url) {
    seen.emplace_back(url);
    return "https://t.example/" + std::to_string(seen.size());
  };
  Result<RenderedEmail> e = RenderEmail(t, in);
  REQUIRE(e.ok());
  const std::string body = BodyHtml(e->html);
  CHECK(Contains(body,
                 "<a style=\"color:#1f4e79;text-decoration:underline;\" "
                 "href=\"https://t.example/2\">Upload</a>"));
  CHECK(Contains(body, "href=\"https://t.example/3\""));
  CHECK(Contains(body, "href=\"mailto:help@example.org\""));  // not http(s): left alone
  CHECK(Contains(body, "https://bare.example.org"));          // text, not a link: no href
  CHECK(Contains(e->html, "href=\"https://t.example/1\""));   // the branding help link
  CHECK(Contains(e->html, "href=\"https://herald.example.org/u/tok123\""));  // never rewritten
  CHECK(seen[0] == "https://benefits.example.org/help");
  CHECK(seen[1] == "https://benefits.example.org/up");
  CHECK(seen[2] == "https://benefits.example.org/auto");
  CHECK(Contains(e->text, "[Upload](https://t.example/"));
  CHECK(Contains(e->text, "https://herald.example.org/u/tok123"));

  seen.clear();
  Result<RenderedSms> s = RenderSms(t, in);
  REQUIRE(s.ok());
  CHECK(s->text == "Upload at https://t.example/1. Or https://t.example/2");
  CHECK(seen ==
        std::vector<std::string>{"https://benefits.example.org/up?c=C1", "HTTP://x.example/a"});
}

TEST_CASE("raw HTML written in a template is not passed through") {
  MessageTemplate t = Parts("s", "s",
                            "Hi <b onclick=\"x()\">there</b>\n\n<script>alert(1)</script>\n\n"
                            "[x](javascript:alert(1))\n");
  Result<RenderedEmail> e = RenderEmail(t, Input(json::object()));
  REQUIRE(e.ok());
  CHECK_FALSE(Contains(e->html, "<script"));
  CHECK_FALSE(Contains(e->html, "onclick"));
  CHECK_FALSE(Contains(e->html, "javascript:"));
  CHECK(Contains(e->html, "raw HTML omitted"));
}

TEST_CASE("the email layout: lang, dir, branding, footer, no external resources") {
  MessageTemplate t = Parts("Subject & more", "s", "Body\n");
  RenderInput in = Input(json::object());
  in.unsubscribe_url = "https://herald.example.org/u/tok";
  Result<RenderedEmail> e = RenderEmail(t, in);
  REQUIRE(e.ok());
  const std::string& h = e->html;
  CHECK(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"));
  CHECK(Contains(h, "<title>Subject &amp; more</title>"));
  CHECK(Contains(h, "<img src=\"https://cdn.example.org/logo.png\" alt=\"County Human Services\""));
  CHECK(Contains(h, "max-width:600px"));
  CHECK(Contains(h, "name=\"viewport\""));
  CHECK(Contains(h, "100 Main St<br>Springfield, IL 62701"));
  CHECK(Contains(h, ">Unsubscribe</a>"));
  CHECK(Contains(h, ">Help</a>"));
  CHECK_FALSE(Contains(h, "<script"));
  CHECK_FALSE(Contains(h, "<link"));
  CHECK_FALSE(Contains(h, "<style"));
  CHECK(Contains(e->text, "Body\n\n-- \nCounty Human Services\n"));
  CHECK(Contains(e->text, "Unsubscribe: https://herald.example.org/u/tok\n"));
  CHECK(Contains(e->text, "Help: https://benefits.example.org/help\n"));

  SUBCASE("no unsubscribe URL: no link") {
    in.unsubscribe_url.clear();
    Result<RenderedEmail> e2 = RenderEmail(t, in);
    REQUIRE(e2.ok());
    CHECK_FALSE(Contains(e2->html, "Unsubscribe"));
    CHECK_FALSE(Contains(e2->text, "Unsubscribe"));
  }
  SUBCASE("no logo: the name as text") {
    in.branding.logo_url.clear();
    Result<RenderedEmail> e2 = RenderEmail(t, in);
    REQUIRE(e2.ok());
    CHECK_FALSE(Contains(e2->html, "<img"));
    CHECK(Contains(e2->html, "color:#ffffff;\">County Human Services</p>"));
  }
  SUBCASE("a light brand colour gets dark header text and the default link colour") {
    in.branding.primary_color = "#FFD700";
    in.branding.logo_url.clear();
    Result<RenderedEmail> e2 = RenderEmail(t, in);
    REQUIRE(e2.ok());
    CHECK(Contains(e2->html, "background-color:#FFD700;"));
    CHECK(Contains(e2->html, "color:#111827;\">County Human Services</p>"));
    CHECK(Contains(e2->html, "color:#1d4ed8;text-decoration:underline;"));
  }
  SUBCASE("a bad branding is refused") {
    in.branding.primary_color = "red";
    Result<RenderedEmail> e2 = RenderEmail(t, in);
    REQUIRE_FALSE(e2.ok());
    CHECK(Contains(e2.status().message(), "branding.primary_color"));
  }
}

TEST_CASE("right-to-left languages get dir=rtl and their layout words") {
  for (const char* locale : {"ar", "ar-EG", "he", "fa", "ur", "fa-IR"}) {
    MessageTemplate t = Parts("s", "s", "b\n", locale);
    RenderInput in = Input(json::object(), locale);
    in.unsubscribe_url = "https://herald.example.org/u/t";
    Result<RenderedEmail> e = RenderEmail(t, in);
    REQUIRE(e.ok());
    CAPTURE(locale);
    CHECK(e->html.starts_with("<!DOCTYPE html>\n<html lang=\"" + std::string(locale) +
                              "\" dir=\"rtl\">"));
  }
  MessageTemplate ar = Parts("s", "s", "- item\n", "ar");
  RenderInput in = Input(json::object(), "ar");
  in.unsubscribe_url = "https://herald.example.org/u/t";
  Result<RenderedEmail> e = RenderEmail(ar, in);
  REQUIRE(e.ok());
  CHECK(Contains(e->html, ">إلغاء الاشتراك</a>"));
  CHECK(Contains(e->html, "<ul style=\"margin:0 0 16px;padding:0 24px 0 0;\">"));
  for (const char* locale : {"en", "es", "zh-Hans", "vi"}) {
    Result<RenderedEmail> l =
        RenderEmail(Parts("s", "s", "b\n", locale), Input(json::object(), locale));
    REQUIRE(l.ok());
    CHECK(Contains(l->html, "dir=\"ltr\""));
  }
}

TEST_CASE("the recipient's locale refines formats only within the template's language") {
  MessageTemplate es = Parts("s", "{{#number}}{{n}}{{/number}}", "b\n", "es");
  json data = {{"n", 1234.5}};
  CHECK(RenderSms(es, Input(data, "es"))->text == "1234,5");  // es: no grouping below 10 000
  CHECK(RenderSms(es, Input(data, "es-MX"))->text == "1,234.5");
  // A recipient whose language has no template gets the template's formats and lang.
  CHECK(RenderSms(es, Input(data, "vi"))->text == "1234,5");
  Result<RenderedEmail> e = RenderEmail(es, Input(data, "es-MX"));
  REQUIRE(e.ok());
  CHECK(e->html.starts_with("<!DOCTYPE html>\n<html lang=\"es-MX\" dir=\"ltr\">"));
  Result<RenderedEmail> v = RenderEmail(es, Input(data, "vi"));
  CHECK(v->html.starts_with("<!DOCTYPE html>\n<html lang=\"es\" dir=\"ltr\">"));
}

TEST_CASE("the time zone falls back to the campaign's, then UTC") {
  MessageTemplate t = Parts("s", "{{#time}}{{at}}{{/time}}", "b\n");
  json data = {{"at", "2026-03-12T15:30:00Z"}};
  RenderInput in = Input(data, "en", "America/Denver");
  // (In an SMS the narrow no-break space ICU puts before AM is a plain space.)
  CHECK(RenderSms(t, in)->text == "9:30 AM");  // MDT, UTC-6
  in.timezone = "";
  in.default_timezone = "America/New_York";
  CHECK(RenderSms(t, in)->text == "11:30 AM");
  in.timezone = "Mars/Olympus";
  CHECK(RenderSms(t, in)->text == "11:30 AM");
  in.default_timezone = "";
  CHECK(RenderSms(t, in)->text == "3:30 PM");
  CHECK(RenderSms(t, in)->info.encoding == "GSM-7");
}

TEST_CASE("BuildTemplateData gives the documented names and no contact addresses") {
  Event ev;
  ev.id = "evt-9";
  ev.type = "case.status_changed";
  ev.occurred_at = "2026-03-04T18:45:00Z";
  ev.data = {{"status", "approved"}, {"benefit_amount", 291}};
  Recipient r;
  r.id = "person-1";
  r.email = "maria@example.org";
  r.phone = "+13125550143";
  r.locale = "es-MX";
  TemplateContext ctx{"SNAP-1", "snap", "SNAP reminders", "status-update", 2};
  json data = BuildTemplateData({{"status", "approved"}, {"event", "shadowed"}}, &ev, &r, ctx);
  CHECK(data["status"] == "approved");
  CHECK(data["event"]["data"]["benefit_amount"] == 291);
  CHECK(data["event"]["type"] == "case.status_changed");
  CHECK(data["case"]["id"] == "SNAP-1");
  CHECK(data["campaign"] == json({{"id", "snap"}, {"name", "SNAP reminders"}}));
  CHECK(data["rule"]["id"] == "status-update");
  CHECK(data["message"]["occurrence"] == 2);
  CHECK(data["recipient"] == json({{"id", "person-1"}, {"locale", "es-MX"}}));
  CHECK_FALSE(Contains(data.dump(), "maria@example.org"));
  CHECK_FALSE(Contains(data.dump(), "+13125550143"));
}

TEST_CASE("one template renders the same from several threads at once") {
  MessageTemplate t =
      Parts("{{#date}}{{d}}{{/date}}", "{{#plural}}{{n}} one{# day} other{# days}{{/plural}}",
            "{{#items}}- {{.}}\n{{/items}}\n{{#datetime}}{{at}}{{/datetime}}\n", "es");
  RenderInput in = Input(
      {{"d", "2026-03-16"}, {"n", 3}, {"items", {"a", "b"}}, {"at", "2026-03-12T15:30:00Z"}}, "es");
  const RenderedEmail expected = RenderEmail(t, in).value();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        Result<RenderedEmail> e = RenderEmail(t, in);
        Result<RenderedSms> s = RenderSms(t, in);
        if (!e.ok() || !s.ok() || e->html != expected.html || e->subject != expected.subject ||
            s->text != "3 days") {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == 0);
  CHECK(expected.subject == "16 de marzo de 2026");
}

TEST_CASE("a hand-built MessageTemplate renders without ParseTemplate") {
  MessageTemplate t;
  t.id = "manual";
  t.locale = "en";
  t.subject = "Hi {{name}}";
  t.sms = "Hi {{name}}";
  t.body = "Hi **{{name}}**\n";
  Result<RenderedEmail> e = RenderEmail(t, Input({{"name", "Ana"}}));
  REQUIRE(e.ok());
  CHECK(e->subject == "Hi Ana");
  CHECK(TemplateVariables(t) == std::vector<std::string>{"name"});
}

}  // namespace
}  // namespace herald
