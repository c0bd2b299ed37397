// POST /v1/inbound/sms with `sms_replies:` configured: the agency's texts in the
// recipient's language, each keyword falling back on its own (es-MX to es), then to the
// built-in reply in that language, and to the configured English only where the built-in
// reply would be English (templates/pages/sms_replies.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/api/twiml.h"
#include "templates/pages/recipient_pages.h"
#include "tests/api/track_server.h"

namespace herald::testing {
namespace {

SmsReplySet Replies(std::string locale, std::string help, std::string stop, std::string start) {
  SmsReplySet s;
  s.locale = std::move(locale);
  s.help.text = std::move(help);
  s.stop.text = std::move(stop);
  s.start.text = std::move(start);
  return s;
}

const std::vector<SmsReplySet> kReplies = {
    Replies("en", "City Benefits: call 311 & visit <https://example.gov/help>. Reply STOP to stop.",
            "City Benefits: no more texts. Reply START to resume.",
            "City Benefits: texts are back on. Reply STOP to stop."),
    Replies("ar", "مدينة: اتصل بالرقم 311", "", ""),
    Replies("es", "", "City Benefits: no recibirá más mensajes.", ""),
    Replies("ES-mx", "", "", "City Benefits: volverá a recibir mensajes."),
    Replies("fr", "", "Ville: vous ne recevrez plus de textos.", ""),
};

// A server with kReplies, and an SMS registered to each of these numbers in that locale.
struct ReplyServer {
  TrackServer s{true, [](Config* c) { c->sms_replies = kReplies; }};

  ReplyServer() {
    int n = 0;
    for (const auto& [phone, locale] :
         std::vector<std::pair<std::string, std::string>>{{"+14155550101", "es-MX"},
                                                          {"+14155550102", "fr"},
                                                          {"+14155550103", "en-GB"},
                                                          {"+14155550104", "vi"}}) {
      TrackedMessage m;
      m.id = std::string(31, 'a') + std::to_string(++n);
      m.campaign = "snap";
      m.rule = "reminder";
      m.locale = locale;
      m.channel = Channel::kSms;
      m.recipient_id = "r-sms-" + std::to_string(n);
      m.address = phone;
      m.created_at = s.clock().NowMicros();
      REQUIRE(s.track().RegisterMessage(m).ok());
    }
  }

  // The TwiML answer to `word` texted from `phone`.
  std::string Text(const std::string& phone, const std::string& word) {
    auto r = s.Sms("From=%2B" + phone.substr(1) + "&Body=" + word);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type").rfind("text/xml", 0) == 0);
    return r->body;
  }
};

std::string Builtin(SmsReply which, const std::string& locale) {
  return TwimlReply(DefaultSmsReply(which, locale, "Oficina", ""));
}

TEST_CASE("inbound SMS: the configured reply for the recipient's locale, then its language") {
  ReplyServer r;
  // es-MX: START from es-MX (keys compare ignoring case), STOP from es, HELP built-in
  // Spanish: es configures none, and a Spanish speaker is not answered in English.
  CHECK(r.Text("+14155550101", "START") == TwimlReply(kReplies[3].start.text));
  CHECK(r.Text("+14155550101", "STOP") == TwimlReply(kReplies[2].stop.text));
  CHECK(r.Text("+14155550101", "help") == Builtin(SmsReply::kHelp, "es-MX"));
  // ar (the seeded number): HELP configured; STOP and START built-in Arabic.
  CHECK(r.Text(kPhone, "HELP") == TwimlReply(kReplies[1].help.text));
  CHECK(r.Text(kPhone, "STOP") == Builtin(SmsReply::kStopped, "ar"));
  CHECK(r.Text(kPhone, "START") == Builtin(SmsReply::kStarted, "ar"));
  // vi has built-in replies and nothing configured: built-in Vietnamese, not English.
  CHECK(r.Text("+14155550104", "HELP") == Builtin(SmsReply::kHelp, "vi"));
  CHECK(r.Text("+14155550104", "STOP") == Builtin(SmsReply::kStopped, "vi"));
}

TEST_CASE("inbound SMS: English, other languages and unknown numbers get the configured en") {
  ReplyServer r;
  const std::string help = TwimlReply(kReplies[0].help.text);
  // The text is escaped into the TwiML like any other.
  CHECK(help.find("311 &amp; visit &lt;https://example.gov/help&gt;") != std::string::npos);
  CHECK(r.Text("+14155550103", "HELP") == help);  // en-GB: en
  CHECK(r.Text("+14155550103", "STOP") == TwimlReply(kReplies[0].stop.text));
  CHECK(r.Text("+14155550103", "START") == TwimlReply(kReplies[0].start.text));
  // fr: its own STOP; no built-in French, so HELP and START are the configured English.
  CHECK(r.Text("+14155550102", "STOP") == TwimlReply(kReplies[4].stop.text));
  CHECK(r.Text("+14155550102", "HELP") == help);
  CHECK(r.Text("+14155550102", "YES") == TwimlReply(kReplies[0].start.text));
  // A number herald never texted: no locale, English.
  CHECK(r.Text("+14155550199", "INFO") == help);
  CHECK(r.Text("+14155550199", "QUIT") == TwimlReply(kReplies[0].stop.text));
  // Anything else still gets no reply; the keywords still opt out and in.
  CHECK(r.Text("+14155550103", "hello") == TwimlReply(""));
  CHECK(r.Text("+14155550103", "STOP") == TwimlReply(kReplies[0].stop.text));
  CHECK(r.s.Suppressed("", Channel::kSms, "+14155550103"));
  CHECK(r.Text("+14155550103", "START") == TwimlReply(kReplies[0].start.text));
  CHECK_FALSE(r.s.Suppressed("", Channel::kSms, "+14155550103"));
}

TEST_CASE("inbound SMS: without an en entry, the built-in English") {
  TrackServer s(true, [](Config* c) { c->sms_replies = {kReplies[4]}; });
  auto r = s.Sms("From=%2B14155550199&Body=STOP");
  REQUIRE(r);
  CHECK(r->body == Builtin(SmsReply::kStopped, ""));
  auto help = s.Sms("From=%2B14155550100&Body=HELP");  // ar
  REQUIRE(help);
  CHECK(help->body == Builtin(SmsReply::kHelp, "ar"));
}

}  // namespace
}  // namespace herald::testing
