// `sms_replies:` in herald.yaml (engine/config/config_sections.cc): locales, texts and their
// positions; every mistake at its line and column with the field's path. The length in SMS
// segments is checked by the templates layer (tests/templates/pages/sms_replies_test.cc).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/config/config.h"

namespace herald {
namespace {

const std::string kKeys =
    "api_keys:\n  - {id: a, sha256: " + std::string(64, 'a') + ", scopes: [ingest]}\n";

ConfigLoad Load(const std::string& sms_replies) {
  return LoadConfigText(kKeys + sms_replies, "t.yaml", "/etc/herald",
                        [](const std::string&) { return std::nullopt; });
}

std::vector<std::string> Errors(const ConfigLoad& load) {
  CHECK_FALSE(load.config.has_value());
  std::vector<std::string> out;
  for (const ConfigError& e : load.errors) out.push_back(e.ToString());
  return out;
}

TEST_CASE("sms_replies: texts per locale, with where each was written") {
  ConfigLoad load = Load(
      "sms_replies:\n"
      "  en:\n"
      "    help: \"City Benefits: call 311 or visit https://example.gov/help.\"\n"
      "    stop: Stopped.\n"
      "  es-MX: {start: \"Volverá a recibir mensajes.\"}\n"
      "  zh-Hant:\n"
      "    help: 市政福利：請致電 311。\n");
  REQUIRE_MESSAGE(load.errors.empty(), (load.errors.empty() ? "" : load.errors[0].ToString()));
  const std::vector<SmsReplySet>& r = load.config->sms_replies;
  REQUIRE(r.size() == 3);
  CHECK(r[0].locale == "en");
  CHECK(r[0].help.text == "City Benefits: call 311 or visit https://example.gov/help.");
  CHECK(r[0].help.line == 5);
  CHECK(r[0].help.column == 11);
  CHECK(r[0].stop.text == "Stopped.");
  CHECK(r[0].stop.line == 6);
  CHECK(r[0].start.text.empty());
  CHECK(r[1].locale == "es-MX");
  CHECK(r[1].start.text == "Volverá a recibir mensajes.");
  CHECK(r[1].start.line == 7);
  CHECK(r[1].start.column == 18);
  CHECK(r[1].help.text.empty());
  CHECK(r[2].locale == "zh-Hant");
  CHECK(r[2].help.text == "市政福利：請致電 311。");
}

TEST_CASE("sms_replies: left out or empty, the built-in replies") {
  ConfigLoad none = Load("");
  REQUIRE(none.config);
  CHECK(none.config->sms_replies.empty());
  ConfigLoad empty = Load("sms_replies: {}\n");
  REQUIRE(empty.config);
  CHECK(empty.config->sms_replies.empty());
}

TEST_CASE("sms_replies: each mistake at its line and column, with the field's path") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sms_replies: [en]\n", "t.yaml:3:14: sms_replies: expected a mapping, got a list"},
      {"sms_replys: {}\n",
       "t.yaml:3:1: configuration: unknown key 'sms_replys' (did you mean "
       "'sms_replies'?)"},
      {"sms_replies:\n  en_US: {help: hi}\n",
       "t.yaml:4:3: sms_replies: 'en_US' is not a BCP 47 locale (a language such as en, es or "
       "es-MX)"},
      {"sms_replies:\n  x-private: {help: hi}\n",
       "t.yaml:4:3: sms_replies: 'x-private' is not a BCP 47 locale (a language such as en, es "
       "or es-MX)"},
      {"sms_replies:\n  es: {help: a}\n  ES: {stop: b}\n",
       "t.yaml:5:3: sms_replies: locale 'ES' is given twice (as 'es' at line 4)"},
      {"sms_replies:\n  en: hello\n",
       "t.yaml:4:7: sms_replies.en: expected a mapping, got 'hello'"},
      {"sms_replies:\n  en:\n", "t.yaml:4:3: sms_replies.en: expected a mapping, got nothing"},
      {"sms_replies:\n  en: {}\n",
       "t.yaml:4:7: sms_replies.en: give at least one of help, stop and start"},
      {"sms_replies:\n  en:\n    hlep: hi\n",
       "t.yaml:5:5: sms_replies.en: unknown key 'hlep' (did you mean 'help'?)"},
      {"sms_replies:\n  en:\n    unsubscribe: hi\n",
       "t.yaml:5:5: sms_replies.en: unknown key 'unsubscribe' (the replies are help, stop and "
       "start)"},
      {"sms_replies:\n  en: {help: \"\"}\n",
       "t.yaml:4:14: sms_replies.en.help: must not be empty (leave it out for the built-in "
       "reply)"},
      {"sms_replies:\n  en: {help: \"   \"}\n",
       "t.yaml:4:14: sms_replies.en.help: must not be empty (leave it out for the built-in "
       "reply)"},
      {"sms_replies:\n  en:\n    stop: \"Stopped.\\nReply START\"\n",
       "t.yaml:5:11: sms_replies.en.stop: must be one line without control characters"},
      {"sms_replies:\n  en:\n    stop: \"Stopped.\\tReply START\"\n",
       "t.yaml:5:11: sms_replies.en.stop: must be one line without control characters"},
      {"sms_replies:\n  en:\n    stop: \"Stopped.\\u2028\"\n",
       "t.yaml:5:11: sms_replies.en.stop: must be one line without control characters"},
      {"sms_replies:\n  en:\n    start: [a, b]\n",
       "t.yaml:5:12: sms_replies.en.start: expected a string, got a list"},
      {"sms_replies:\n  en:\n    help:\n",
       "t.yaml:5:5: sms_replies.en.help: expected a string, got nothing"},
      {"sms_replies:\n  en:\n    help: a\n    help: b\n",
       "t.yaml:6:5: duplicate key 'help' (first given at line 5)"},
  };
  for (const auto& [yaml, error] : cases) {
    CAPTURE(yaml);
    CHECK(Errors(Load(yaml)) == std::vector<std::string>{error});
  }
}

TEST_CASE("sms_replies: every mistake at once, in file order") {
  CHECK(Errors(Load("sms_replies:\n"
                    "  en: {help: \"\", stop: ok}\n"
                    "  fr:\n"
                    "    start: [x]\n"
                    "  en_GB: {stop: ok}\n")) ==
        std::vector<std::string>{
            "t.yaml:4:14: sms_replies.en.help: must not be empty (leave it out for the built-in "
            "reply)",
            "t.yaml:6:12: sms_replies.fr.start: expected a string, got a list",
            "t.yaml:7:3: sms_replies: 'en_GB' is not a BCP 47 locale (a language such as en, es "
            "or es-MX)"});
}

}  // namespace
}  // namespace herald
