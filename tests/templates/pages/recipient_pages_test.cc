#include "templates/pages/recipient_pages.h"

#include <doctest/doctest.h>

#include <string>

#include "templates/sms.h"

namespace herald {
namespace {

Branding Agency(std::string name = "SNAP Benefits") {
  Branding b;
  b.name = std::move(name);
  b.primary_color = "#1f4e79";
  return b;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("the confirmation page asks, and its button POSTs the RFC 8058 body") {
  const Branding b = Agency();
  const std::string page = RenderUnsubscribePage(
      UnsubscribePage::kConfirm, {"en-US", &b, "https://n.example.org/u/abc?x=1&y=2"});
  CHECK(Has(page, "<html lang=\"en-US\" dir=\"ltr\">"));
  CHECK(Has(page, "<h1>Stop emails from SNAP Benefits?</h1>"));
  CHECK(Has(page, "<form method=\"post\" action=\"https://n.example.org/u/abc?x=1&amp;y=2\">"));
  CHECK(Has(page, "name=\"List-Unsubscribe\" value=\"One-Click\""));
  CHECK(Has(page, "<button type=\"submit\">Unsubscribe</button>"));
  CHECK(Has(page, "<meta name=\"robots\" content=\"noindex\">"));
  CHECK_FALSE(Has(page, "<script"));
}

TEST_CASE("done and not-found pages have no form") {
  const Branding b = Agency();
  for (UnsubscribePage which : {UnsubscribePage::kDone, UnsubscribePage::kNotFound}) {
    const std::string page = RenderUnsubscribePage(which, {"es", &b, "https://x.example/u/1"});
    CHECK_FALSE(Has(page, "<form"));
    CHECK(Has(page, "lang=\"es\""));
  }
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kDone, {"es", &b, ""}),
            "<h1>Se canceló su suscripción</h1>"));
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kNotFound, {"vi", &b, ""}),
            "<h1>Liên kết này không hoạt động</h1>"));
}

TEST_CASE("each built-in language, with fallback and right-to-left Arabic") {
  const Branding b = Agency();
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kConfirm, {"zh-Hans", &b, "u"}),
            "<button type=\"submit\">退订</button>"));
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kConfirm, {"zh-TW", &b, "u"}),
            "<button type=\"submit\">取消訂閱</button>"));
  const std::string ar = RenderUnsubscribePage(UnsubscribePage::kConfirm, {"ar-EG", &b, "u"});
  CHECK(Has(ar, "dir=\"rtl\""));
  CHECK(Has(ar, "إلغاء الاشتراك"));
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kConfirm, {"de", &b, "u"}), "Unsubscribe"));
  CHECK(Has(RenderUnsubscribePage(UnsubscribePage::kConfirm, {"", &b, "u"}), "lang=\"en\""));
  CHECK(PageLanguage("ES-mx") == "es");
  CHECK(PageLanguage("zh-Hant-HK") == "zh-hant");
  CHECK(PageLanguage("zh-Hans-HK") == "zh");
  CHECK(PageLanguage("tlh") == "en");
}

TEST_CASE("the agency name and the locale are escaped") {
  const Branding b = Agency("<script>alert(1)</script> & Co");
  const std::string page =
      RenderUnsubscribePage(UnsubscribePage::kConfirm, {"en\"><script>", &b, "u\"><x"});
  CHECK_FALSE(Has(page, "<script>"));
  CHECK(Has(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
  CHECK(Has(page, "action=\"u&quot;&gt;&lt;x\""));
}

TEST_CASE("SMS replies: one segment each, in the recipient's language") {
  for (const char* locale : {"en", "es", "zh-Hans", "zh-Hant", "vi", "ar"}) {
    CAPTURE(locale);
    for (SmsReply r : {SmsReply::kStopped, SmsReply::kStarted, SmsReply::kHelp}) {
      const std::string text = DefaultSmsReply(r, locale, "County Services", "");
      CHECK(Has(text, "County Services"));
      CAPTURE(text);
      CHECK(CountSms(text).segments == 1);
      if (PageLanguage(locale) == "en" || PageLanguage(locale) == "es") {
        CHECK(CountSms(text).encoding == "GSM-7");
      }
    }
  }
  CHECK(DefaultSmsReply(SmsReply::kStopped, "en", "SNAP", "") ==
        "SNAP: You will not get more texts. Reply START to get them again.");
  CHECK(DefaultSmsReply(SmsReply::kHelp, "es", "SNAP", "https://x.example/help") ==
        "SNAP: novedades sobre su caso. Responda STOP para dejar de recibir mensajes. Ayuda: "
        "https://x.example/help");
}

TEST_CASE("notice pages: a click link that does not work, and an unavailable service") {
  const Branding b = Agency();
  const std::string link = RenderNoticePage(NoticePage::kLinkNotFound, {"en", &b, "ignored"});
  CHECK(Has(link, "<h1>This link does not work</h1>"));
  CHECK(Has(link, "contact SNAP Benefits."));
  CHECK_FALSE(Has(link, "unsubscribe"));
  CHECK_FALSE(Has(link, "<form"));
  CHECK_FALSE(Has(link, "ignored"));
  CHECK(Has(RenderNoticePage(NoticePage::kLinkNotFound, {"es-MX", &b, ""}),
            "<h1>Este enlace no funciona</h1>"));
  const std::string ar = RenderNoticePage(NoticePage::kUnavailable, {"ar", &b, ""});
  CHECK(Has(ar, "dir=\"rtl\""));
  CHECK(Has(ar, "هذه الصفحة غير متاحة حاليًا"));
  for (const char* locale : {"en", "es", "zh", "zh-Hant", "vi", "ar"}) {
    CAPTURE(locale);
    for (NoticePage p : {NoticePage::kLinkNotFound, NoticePage::kUnavailable}) {
      const std::string page = RenderNoticePage(p, {locale, &b, ""});
      CHECK(Has(page, "SNAP Benefits"));
      CHECK_FALSE(Has(page, "{agency}"));
      CHECK_FALSE(Has(page, "<form"));
    }
  }
  const Branding evil = Agency("<b>x</b>");
  CHECK_FALSE(Has(RenderNoticePage(NoticePage::kUnavailable, {"en", &evil, ""}), "<b>"));
}

}  // namespace
}  // namespace herald
