#include "engine/track/link_rewriter.h"

#include <doctest/doctest.h>

#include <string>

namespace herald {
namespace {

// Readable fake tokens: "T<index>" and "OPEN".
MessageTokens FakeTokens() {
  return {[](uint32_t i) { return "T" + std::to_string(i); }, "OPEN"};
}

LinkRewriteOptions Options() {
  LinkRewriteOptions o;
  o.public_url = "https://notify.agency.gov/";
  return o;
}

TEST_CASE("IsTrackableUrl accepts only http(s) destinations") {
  for (const char* ok : {"https://a.gov", "http://a.gov/x?y=1#z", "HTTPS://A.GOV/",
                         "https://u@a.gov", "https://a.gov:8443/p"}) {
    CAPTURE(ok);
    CHECK(IsTrackableUrl(ok));
  }
  for (const char* bad : {"javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>",
                          "mailto:a@b.gov", "tel:+14155550100", "/relative", "//evil.example",
                          "https://", "https:///path", "https://a.gov/x y", "https://a.gov/\x01",
                          "https:\\\\evil.example", "ftp://a.gov", "https://a.gov\\@evil.example",
                          "https://:80/", "https://a.gov/\xc3\xa9", " https://a.gov"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsTrackableUrl(bad));
  }
  CHECK_FALSE(IsTrackableUrl("https://a.gov/" + std::string(kMaxUrlBytes, 'x')));
}

TEST_CASE("email: hrefs become click links, the pixel goes before </body>") {
  const std::string html =
      "<html><body>\n"
      "<img src=\"https://cdn.agency.gov/logo.png\" alt=\"Agency\">\n"
      "<p><a href=\"https://benefits.gov/apply?case=1&amp;step=2\" style=\"x\">Apply</a></p>\n"
      "<p><A HREF='https://benefits.gov/help'>Help</A> <a class=x "
      "href=https://benefits.gov/faq>FAQ</a></p>\n"
      "<p><a href=\"javascript:alert(1)\">js</a> <a href=\"data:text/html,hi\">d</a> "
      "<a href=\"mailto:help@agency.gov\">mail</a> <a href=\"tel:+18005550100\">tel</a></p>\n"
      "<p><a href=\"https://notify.agency.gov/u/UNSUB\">Unsubscribe</a></p>\n"
      "<p><a href=\"https://benefits.gov/apply?case=1&amp;step=2\">Again</a></p>\n"
      "<!-- <a href=\"https://benefits.gov/commented\">x</a> -->\n"
      "</body></html>\n";
  const std::string text =
      "Apply: https://benefits.gov/apply?case=1&step=2.\n"
      "New (https://benefits.gov/new) and <https://benefits.gov/angle>, "
      "https://en.wikipedia.org/wiki/Foo_(bar) !\n"
      "Unsubscribe: https://notify.agency.gov/u/UNSUB\n"
      "Not a link: xhttps://benefits.gov/no and javascript:alert(1)\n";
  RewrittenEmail r = RewriteEmail(html, text, Options(), FakeTokens());

  CHECK(r.links == std::vector<std::string>{
                       "https://benefits.gov/apply?case=1&step=2", "https://benefits.gov/help",
                       "https://benefits.gov/faq", "https://benefits.gov/new",
                       "https://benefits.gov/angle", "https://en.wikipedia.org/wiki/Foo_(bar)"});
  // Rewritten hrefs, original other attributes.
  CHECK(r.html.find("<a href=\"https://notify.agency.gov/c/T0\" style=\"x\">Apply</a>") !=
        std::string::npos);
  CHECK(r.html.find("<A href=\"https://notify.agency.gov/c/T1\">Help</A>") != std::string::npos);
  CHECK(r.html.find("<a class=x href=\"https://notify.agency.gov/c/T2\">FAQ</a>") !=
        std::string::npos);
  CHECK(r.html.find("<a href=\"https://notify.agency.gov/c/T0\">Again</a>") != std::string::npos);
  // Left alone: the logo, non-http links, the unsubscribe link, comments.
  CHECK(r.html.find("<img src=\"https://cdn.agency.gov/logo.png\" alt=\"Agency\">") !=
        std::string::npos);
  CHECK(r.html.find("href=\"javascript:alert(1)\"") != std::string::npos);
  CHECK(r.html.find("href=\"data:text/html,hi\"") != std::string::npos);
  CHECK(r.html.find("href=\"mailto:help@agency.gov\"") != std::string::npos);
  CHECK(r.html.find("href=\"https://notify.agency.gov/u/UNSUB\"") != std::string::npos);
  CHECK(r.html.find("https://benefits.gov/commented") != std::string::npos);
  // The pixel, once, right before </body>.
  const std::string pixel =
      "<img src=\"https://notify.agency.gov/o/OPEN\" width=\"1\" height=\"1\" alt=\"\">\n</body>";
  CHECK(r.html.find(pixel) != std::string::npos);

  CHECK(r.text ==
        "Apply: https://notify.agency.gov/c/T0.\n"
        "New (https://notify.agency.gov/c/T3) and <https://notify.agency.gov/c/T4>, "
        "https://notify.agency.gov/c/T5 !\n"
        "Unsubscribe: https://notify.agency.gov/u/UNSUB\n"
        "Not a link: xhttps://benefits.gov/no and javascript:alert(1)\n");
}

TEST_CASE("entity-obfuscated javascript: is decoded, recognised and never stored") {
  const std::string html =
      "<body><a href=\"&#106;avascript:alert(1)\">a</a>"
      "<a href=\"java&#x09;script:alert(1)\">b</a>"
      "<a href=\"  https://ok.gov/  \">c</a></body>";
  RewrittenEmail r = RewriteEmail(html, "", Options(), FakeTokens());
  CHECK(r.links == std::vector<std::string>{"https://ok.gov/"});
  CHECK(r.html.find("&#106;avascript:alert(1)") != std::string::npos);
}

TEST_CASE("a ?url= parameter is part of the stored destination, never a target of its own") {
  RewrittenEmail r = RewriteEmail(
      "<a "
      "href=\"https://a.gov/r?url=https%3A%2F%2Fevil.example&amp;next=https://evil.example\">x</a>",
      "", Options(), FakeTokens());
  CHECK(r.links == std::vector<std::string>{
                       "https://a.gov/r?url=https%3A%2F%2Fevil.example&next=https://evil.example"});
  CHECK(r.html.find("evil") == std::string::npos);
}

TEST_CASE("rewriting is idempotent and respects direct prefixes") {
  LinkRewriteOptions o = Options();
  o.direct_prefixes = {"https://help.agency.gov/"};
  const std::string html =
      "<body><a href=\"https://help.agency.gov/faq\">h</a><a href=\"https://x.gov\">x</a></body>";
  RewrittenEmail once = RewriteEmail(html, "", o, FakeTokens());
  CHECK(once.links == std::vector<std::string>{"https://x.gov"});
  o.open_pixel = false;
  RewrittenEmail twice = RewriteEmail(once.html, "", o, FakeTokens());
  CHECK(twice.html == once.html);
  CHECK(twice.links.empty());
}

TEST_CASE("no </body>: the pixel is appended; empty HTML gets none") {
  CHECK(
      RewriteEmail("<p>hi</p>", "", Options(), FakeTokens()).html ==
      "<p>hi</p><img src=\"https://notify.agency.gov/o/OPEN\" width=\"1\" height=\"1\" alt=\"\">");
  CHECK(RewriteEmail("", "text", Options(), FakeTokens()).html.empty());
}

TEST_CASE("SMS: bare links are shortened, the rest is kept") {
  RewrittenSms r = RewriteSms(
      "Your case needs documents: https://benefits.gov/upload?c=123. Reply STOP to opt out.",
      Options(), FakeTokens());
  CHECK(r.text ==
        "Your case needs documents: https://notify.agency.gov/c/T0. Reply STOP to opt out.");
  CHECK(r.links == std::vector<std::string>{"https://benefits.gov/upload?c=123"});
}

TEST_CASE("link tables are capped") {
  std::string text;
  for (size_t i = 0; i < kMaxLinks + 5; ++i) text += "https://a.gov/" + std::to_string(i) + " ";
  RewrittenSms r = RewriteSms(text, Options(), FakeTokens());
  CHECK(r.links.size() == kMaxLinks);
  CHECK(r.text.find("https://a.gov/" + std::to_string(kMaxLinks + 1)) != std::string::npos);
}

TEST_CASE("MakeMessageTokens makes real tokens") {
  Result<TokenCodec> c = TokenCodec::Create(std::string(32, 'k'));
  REQUIRE(c.ok());
  CHECK_FALSE(MakeMessageTokens(*c, "nope").ok());
  Result<MessageTokens> t = MakeMessageTokens(*c, "00112233445566778899aabbccddeeff");
  REQUIRE(t.ok());
  std::optional<TrackingToken> click = c->Decode(TokenKind::kClick, t->click(4));
  REQUIRE(click);
  CHECK(click->link_index == 4);
  CHECK(c->Decode(TokenKind::kOpen, t->open));
}

}  // namespace
}  // namespace herald
