// `herald validate` with template sample data and `herald preview`, through the binary.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/subprocess.h"
#include "tests/templates/mime/mime_test_util.h"
#include "tests/test_util.h"

using herald::testing::ReadFile;
using herald::testing::Run;
using herald::testing::StrictParse;
using herald::testing::TempDir;

namespace {

const std::string kHerald = HERALD_BINARY;
const std::string kSamples = std::string(HERALD_SOURCE_DIR) + "/samples";
const std::string kConfig = kSamples + "/herald.yaml";
const std::vector<std::string> kTemplates = {"documents-reminder", "interview-reminder",
                                             "status-update"};
const std::vector<std::string> kLocales = {"en", "es", "zh-Hans", "vi", "ar"};

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A configuration in `dir` over its own campaigns/ and templates/.
std::string MiniConfig(const TempDir& dir) {
  const std::string config = dir.Sub("herald.yaml");
  WriteFile(config, "api_keys:\n  - {id: a, sha256: " + std::string(64, 'a') +
                        ", scopes: [ingest]}\n"
                        "campaigns: ./campaigns\n"
                        "templates: ./templates\n"
                        "agency: {name: County Services}\n"
                        "email: {from: \"County <notices@county.example.org>\"}\n");
  return config;
}

}  // namespace

TEST_CASE("validate: the sample templates render cleanly with their sample data") {
  TempDir dir;
  auto r = Run({kHerald, "validate", "--config", kConfig}, dir.str());
  CHECK(r.exit_code == 0);
  CHECK(r.err == "");
  CHECK(r.out.find("templates: 3 template(s), 15 file(s); 3 checked with sample data") !=
        std::string::npos);
}

TEST_CASE("validate: variables the sample lacks and SMS over max_segments, file:line:column") {
  TempDir dir;
  const std::string config = MiniConfig(dir);
  WriteFile(dir.Sub("campaigns/c.yaml"),
            "campaign: notices\n"
            "locales: [en]\n"
            "max_segments: 1\n"
            "rules:\n"
            "  - {id: r1, on: case.opened, send: welcome}\n"
            "  - {id: r2, on: case.closed, send: goodbye}\n");
  const std::string welcome = dir.Sub("templates/welcome/en.md");
  WriteFile(welcome,
            "---\n"
            "subject: \"Welcome, {{name}}\"\n"
            "sms: \"" +
                std::string(150, '.') +
                " Welcome {{name}}. Reply STOP to opt out.\"\n"
                "---\n"
                "# Welcome\n"
                "\n"
                "Your worker is {{missing_thing}}.\n");
  WriteFile(dir.Sub("templates/welcome/sample.json"), "{\"name\": \"Ana\"}\n");
  WriteFile(dir.Sub("templates/goodbye/en.md"),
            "---\nsubject: \"Bye\"\nsms: \"Bye {{name}}\"\n---\nBye {{name}}\n");
  auto r = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("OK") == std::string::npos);
  const size_t sms = r.err.find(
      "/welcome/en.md:3:6: sms: renders to 2 segments (GSM-7, 186 units) with the sample; "
      "campaign notices allows 1\n");
  const size_t missing = r.err.find(
      "/welcome/en.md:7:16: body: missing variable 'missing_thing': the sample data does not "
      "provide it\n");
  CHECK(sms != std::string::npos);
  CHECK(missing != std::string::npos);
  CHECK(sms < missing);
  CHECK(r.err.find("2 error(s) in ") != std::string::npos);
  CHECK(r.err.find("/goodbye/sample.json: warning: not found, so the variables of template "
                   "'goodbye' were not checked") != std::string::npos);

  // Fixed, the warning alone does not fail validation.
  WriteFile(dir.Sub("templates/welcome/sample.json"),
            "{\"name\": \"Ana\", \"missing_thing\": \"Bo\"}\n");
  WriteFile(dir.Sub("campaigns/c.yaml"),
            "campaign: notices\n"
            "locales: [en]\n"
            "max_segments: 2\n"
            "rules:\n"
            "  - {id: r1, on: case.opened, send: welcome}\n"
            "  - {id: r2, on: case.closed, send: goodbye}\n");
  auto fixed = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(fixed.exit_code == 0);
  CHECK(fixed.out.find("OK") != std::string::npos);
  CHECK(fixed.err.find("warning") != std::string::npos);

  // A sample.json that is not JSON is an error at its position.
  WriteFile(dir.Sub("templates/welcome/sample.json"), "{\n  \"name\": \"Ana\",\n}\n");
  auto bad = Run({kHerald, "validate", "--config", config}, dir.str());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("/welcome/sample.json:3:1: ") != std::string::npos);
}

TEST_CASE("preview: every sample template in every language, email and SMS") {
  TempDir dir;
  for (const std::string& id : kTemplates) {
    for (const std::string& locale : kLocales) {
      CAPTURE(id);
      CAPTURE(locale);
      const std::string eml = dir.Sub(id + "." + locale + ".eml");
      auto email = Run({kHerald, "preview", "--config", kConfig, "--template", id, "--locale",
                        locale, "--channel", "email", "--out", eml},
                       dir.str());
      REQUIRE_MESSAGE(email.exit_code == 0, email.err);
      CHECK(email.err == "");
      CHECK(email.out.find("template  " + kSamples + "/templates/" + id + "/" + locale + ".md\n") !=
            std::string::npos);
      CHECK(email.out.find("\nSubject: ") != std::string::npos);
      CHECK(email.out.find("--- plain text ---\n") != std::string::npos);
      CHECK(email.out.find("--- SMS") == std::string::npos);
      CHECK(email.out.find("{{") == std::string::npos);
      CHECK(email.out.find("wrote " + eml) != std::string::npos);

      const nlohmann::json parsed = StrictParse(ReadFile(eml));
      REQUIRE_MESSAGE(!parsed.contains("error"), parsed.dump());
      CHECK(parsed["defects"].empty());
      CHECK(parsed["content_type"] == "multipart/alternative");
      CHECK(parsed["from"] ==
            nlohmann::json::array({{"SNAP Benefits", "notices@benefits.example.org"}}));
      CHECK(parsed["reply_to"] == nlohmann::json::array({{"", "help@benefits.example.org"}}));
      CHECK(parsed["headers"]["message-id"] ==
            nlohmann::json::array({"<preview@benefits.example.org>"}));
      CHECK(parsed["headers"]["content-language"] == nlohmann::json::array({locale}));
      REQUIRE(parsed["parts"].size() == 2);
      CHECK(parsed["parts"][0]["type"] == "text/plain");
      CHECK(parsed["parts"][1]["type"] == "text/html");
      const std::string html = parsed["parts"][1]["content"];
      const std::string dir_attr = locale == "ar" ? "rtl" : "ltr";
      CHECK(html.find("<html lang=\"" + locale + "\" dir=\"" + dir_attr + "\">") !=
            std::string::npos);

      auto sms = Run({kHerald, "preview", "--config", kConfig, "--template", id, "--locale", locale,
                      "--channel", "sms"},
                     dir.str());
      REQUIRE_MESSAGE(sms.exit_code == 0, sms.err);
      const std::string encoding = locale == "en" ? "GSM-7" : "";
      CHECK(sms.out.find("--- SMS: encoding " + encoding) != std::string::npos);
      CHECK(sms.out.find(" units) ---\n") != std::string::npos);
      CHECK(sms.out.find("STOP") != std::string::npos);
      CHECK(sms.out.find("Subject:") == std::string::npos);
    }
  }
}

TEST_CASE("preview: the HTML by default, locale fallback, samples and --data") {
  TempDir dir;
  // Without --out: <template>.<locale>.html in the working directory.
  auto r = Run({"/bin/sh", "-c",
                "cd '" + dir.str() + "' && exec '" + kHerald + "' preview --config '" + kConfig +
                    "' --template status-update --locale ar"},
               dir.str());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("wrote ./status-update.ar.html") != std::string::npos);
  CHECK(r.out.find("--- SMS: encoding UCS-2, ") != std::string::npos);
  const std::string html = ReadFile(dir.Sub("status-update.ar.html"));
  CHECK(html.starts_with("<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">"));

  // es-MX falls back to es.md with Mexican formats; fr to the campaign's default, en.
  const std::string out = dir.Sub("x.html");
  auto mx = Run({kHerald, "preview", "--config", kConfig, "--template", "status-update", "--locale",
                 "es-MX", "--out", out},
                dir.str());
  REQUIRE_MESSAGE(mx.exit_code == 0, mx.err);
  CHECK(mx.out.find("/status-update/es.md\n          (no es-MX.md: falling back to es, the "
                    "language it belongs to)") != std::string::npos);
  CHECK(ReadFile(out).find("<html lang=\"es-MX\" dir=\"ltr\">") != std::string::npos);
  auto fr = Run({kHerald, "preview", "--config", kConfig, "--template", "status-update", "--locale",
                 "fr", "--out", out},
                dir.str());
  REQUIRE_MESSAGE(fr.exit_code == 0, fr.err);
  CHECK(fr.out.find("(no fr.md: falling back to en, the default locale of campaign "
                    "snap-recertification)") != std::string::npos);

  // The status-update sample file holds an approval and a denial.
  auto approved = Run({kHerald, "preview", "--config", kConfig, "--template", "status-update",
                       "--locale", "en", "--channel", "sms"},
                      dir.str());
  CHECK(approved.out.find("(sample 1 of 2)") != std::string::npos);
  CHECK(approved.out.find("You are approved for $291 a month") != std::string::npos);
  auto denied = Run({kHerald, "preview", "--config", kConfig, "--template", "status-update",
                     "--locale", "en", "--channel", "sms", "--sample", "2"},
                    dir.str());
  CHECK(denied.exit_code == 0);
  CHECK(denied.out.find("Your application was not approved") != std::string::npos);
  CHECK(Run({kHerald, "preview", "--config", kConfig, "--template", "status-update", "--locale",
             "en", "--sample", "3"},
            dir.str())
            .exit_code == 1);

  // --data: another case; one without a field the template needs fails with the reason.
  const std::string data = dir.Sub("case.json");
  WriteFile(data, R"({"due_date": "2026-04-01", "documents": ["proof_of_income"]})");
  auto own = Run({kHerald, "preview", "--config", kConfig, "--template", "documents-reminder",
                  "--locale", "en", "--data", data, "--channel", "sms"},
                 dir.str());
  REQUIRE_MESSAGE(own.exit_code == 0, own.err);
  CHECK(own.out.find("Send them by April 1, 2026") != std::string::npos);
  CHECK(own.out.find("--- SMS: encoding GSM-7, 1 segment (") != std::string::npos);
  WriteFile(data, R"({"documents": ["proof_of_income"]})");
  auto missing = Run({kHerald, "preview", "--config", kConfig, "--template", "documents-reminder",
                      "--locale", "en", "--data", data},
                     dir.str());
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("missing variable 'due_date'") != std::string::npos);
  CHECK(!std::filesystem::exists(dir.Sub("documents-reminder.en.html")));
}

TEST_CASE("preview: errors and usage") {
  TempDir dir;
  auto help = Run({kHerald, "preview", "--help"}, dir.str());
  CHECK(help.exit_code == 0);
  CHECK(help.out.starts_with("Usage: herald preview"));

  const std::string data = dir.Sub("bad.json");
  WriteFile(data, "{\n  \"due_date\": \"2026-04-01\",\n  \"documents\": [proof]\n}\n");
  auto bad = Run({kHerald, "preview", "--config", kConfig, "--template", "documents-reminder",
                  "--locale", "en", "--data", data},
                 dir.str());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find(data + ":3:17: syntax error") != std::string::npos);

  auto unknown = Run(
      {kHerald, "preview", "--config", kConfig, "--template", "nope", "--locale", "en"}, dir.str());
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no template 'nope'") != std::string::npos);
  CHECK(unknown.err.find("documents-reminder, interview-reminder, status-update") !=
        std::string::npos);
  auto locale = Run(
      {kHerald, "preview", "--config", kConfig, "--template", "status-update", "--locale", "en_US"},
      dir.str());
  CHECK(locale.exit_code == 1);
  CHECK(locale.err.find("'en_US' is not a BCP 47 locale") != std::string::npos);
  auto no_data = Run({kHerald, "preview", "--config", kConfig, "--template", "status-update",
                      "--locale", "en", "--data", dir.Sub("none.json")},
                     dir.str());
  CHECK(no_data.exit_code == 1);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--template", "status-update"},
           {"--locale", "en"},
           {"--template", "status-update", "--locale", "en", "--channel", "fax"},
           {"--template", "status-update", "--locale", "en", "--out", "x.pdf"},
           {"--template", "status-update", "--locale", "en", "--channel", "sms", "--out", "x.html"},
           {"--template", "status-update", "--locale", "en", "--sample", "0"},
           {"--template", "status-update", "--locale", "en", "extra"},
           {"--template", "status-update", "--locale", "en", "--frobnicate"},
       }) {
    std::vector<std::string> cmd = {kHerald, "preview", "--config", kConfig};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto r = Run(cmd, dir.str());
    CAPTURE(args.back());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("Usage: herald preview") != std::string::npos);
  }
}
