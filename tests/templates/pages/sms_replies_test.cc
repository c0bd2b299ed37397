// templates/pages/sms_replies.h: which reply a keyword gets (configured per locale, the
// built-in one in the recipient's language, the configured English), and the length check
// of configured replies with its position in herald.yaml.
#include "templates/pages/sms_replies.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

SmsReplySet Set(std::string locale, std::string help, std::string stop = "",
                std::string start = "") {
  SmsReplySet s;
  s.locale = std::move(locale);
  s.help.text = std::move(help);
  s.stop.text = std::move(stop);
  s.start.text = std::move(start);
  return s;
}

Branding Agency() {
  Branding b;
  b.name = "SNAP";
  b.help_url = "https://x.example/help";
  return b;
}

TEST_CASE("SmsReplyFor: locale, then shorter locale, then built-in language, then en") {
  const std::vector<SmsReplySet> configured = {
      Set("en", "EN help", "EN stop"), Set("es", "ES help"), Set("zh-hant", "", "ZH-HANT stop"),
      Set("pt-BR", "PT-BR help")};
  const Branding b = Agency();
  auto text = [&](SmsReply which, const char* locale) {
    return SmsReplyFor(which, locale, configured, b);
  };
  CHECK(text(SmsReply::kHelp, "es-MX") == "ES help");
  CHECK(text(SmsReply::kHelp, "ES") == "ES help");
  CHECK(text(SmsReply::kHelp, "en-US") == "EN help");
  CHECK(text(SmsReply::kHelp, "") == "EN help");
  CHECK(text(SmsReply::kHelp, "de") == "EN help");  // no built-in German
  CHECK(text(SmsReply::kStopped, "zh-Hant-TW") == "ZH-HANT stop");
  CHECK(text(SmsReply::kHelp, "pt-BR") == "PT-BR help");
  CHECK(text(SmsReply::kHelp, "pt") == "EN help");  // pt-BR is not pt
  // A built-in reply in the recipient's language wins over the configured English.
  CHECK(text(SmsReply::kStopped, "es") == DefaultSmsReply(SmsReply::kStopped, "es", "SNAP", ""));
  CHECK(text(SmsReply::kHelp, "vi") ==
        DefaultSmsReply(SmsReply::kHelp, "vi", "SNAP", "https://x.example/help"));
  // Nothing configured for the keyword anywhere: the built-in one, with the help URL.
  CHECK(text(SmsReply::kStarted, "en") == DefaultSmsReply(SmsReply::kStarted, "en", "SNAP", ""));
  CHECK(SmsReplyFor(SmsReply::kHelp, "en", {}, b) ==
        "SNAP: updates about your case. Reply STOP to stop texts. Help: https://x.example/help");
}

ConfigLoad Load(const std::string& sms_replies) {
  return LoadConfigText("api_keys:\n  - {id: a, sha256: " + std::string(64, 'a') +
                            ", scopes: [ingest]}\n" + sms_replies,
                        "t.yaml", "/etc/herald", [](const std::string&) { return std::nullopt; });
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("CheckSmsReplies: at most 3 segments, counted as a gateway sends them") {
  // 459 GSM-7 characters are 3 segments of 153; 201 UCS-2 units 3 of 67.
  ConfigLoad fits = Load("sms_replies:\n  en: {help: " + Repeat("a", 459) +
                         "}\n  vi: {stop: " + Repeat("ạ", 201) + "}\n");
  REQUIRE(fits.config);
  CHECK(CheckSmsReplies(*fits.config).empty());

  ConfigLoad load = Load("sms_replies:\n  vi:\n    stop: " + Repeat("ạ", 202) +
                         "\n  en: {help: \"" + Repeat("a", 460) + "\", start: ok}\n");
  REQUIRE(load.config);
  std::vector<std::string> errors;
  for (const ConfigError& e : CheckSmsReplies(*load.config)) errors.push_back(e.ToString());
  CHECK(errors ==
        std::vector<std::string>{
            "t.yaml:5:11: sms_replies.vi.stop: 4 SMS segments (UCS-2, 202 units); a reply may "
            "take at most 3",
            "t.yaml:6:14: sms_replies.en.help: 4 SMS segments (GSM-7, 460 units); a reply may "
            "take at most 3"});
}

}  // namespace
}  // namespace herald
