// Fuzzes the campaign loader (engine/rules/campaign_loader.h) with hostile campaign
// files: the input is written as the one file of a campaigns directory, checked against
// the sample templates (samples/templates).
//
// Properties, besides "no crash, no sanitizer report, no exception":
// - a rejection lists errors in that file, each with a message, never the loader's
//   "internal error" (a YAML exception the readers should have prevented), with a
//   position inside the file (both 0, or both >= 1), and valid UTF-8 for a UTF-8 file;
// - an accepted campaign keeps every promise of engine/rules/campaign.h: ids, locales,
//   rule timing (times, every, while, at/after), expressions of the right type that
//   parse again from their text, channels, policies, and templates that exist; and the
//   CampaignSet finds it by id and each rule by each of its event types.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "engine/core/validate.h"
#include "engine/rules/campaign.h"
#include "engine/rules/campaign_loader.h"
#include "engine/rules/campaign_reader.h"
#include "engine/rules/expr.h"
#include "tests/fuzz/fuzz_util.h"

namespace herald {
namespace {

namespace fs = std::filesystem;
using campaign_reader::IsValidId;

const std::string kTemplates = HERALD_SOURCE_DIR "/samples/templates";

// This process's campaigns directory, removed at exit (never destroyed before that).
const std::string& CampaignsDir() {
  static const std::string* const dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "herald-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(CampaignsDir(), ec);
    });
    return new std::string(tmpl);
  }();
  return *dir;
}

void CheckErrors(const CampaignLoad& load, std::string_view text, const std::string& file) {
  HERALD_FUZZ_CHECK(load.campaigns.empty());
  // YAML breaks lines at LF, CRLF and a lone CR.
  int lines = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    lines += text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'));
  }
  // A NUL byte makes yaml-cpp read the file as UTF-16 or UTF-32 (YAML 1.2 5.2).
  const bool utf8 = fuzz::IsValidUtf8(text) && text.find('\0') == std::string_view::npos;
  for (const ConfigError& e : load.errors) {
    fuzz::FailureContext() = e.ToString();
    HERALD_FUZZ_CHECK(e.file == file);
    HERALD_FUZZ_CHECK(!e.message.empty());
    HERALD_FUZZ_CHECK(!e.message.starts_with("internal error"));
    HERALD_FUZZ_CHECK((e.line == 0) == (e.column == 0));
    HERALD_FUZZ_CHECK(e.line >= 0 && e.line <= lines && e.column >= 0);
    if (utf8) HERALD_FUZZ_CHECK(fuzz::IsValidUtf8(e.message));
  }
}

void CheckExpression(const rules::Expression& e) {
  auto again = rules::Expression::Parse(e.text());
  HERALD_FUZZ_CHECK(std::holds_alternative<rules::Expression>(again));
  HERALD_FUZZ_CHECK(std::get<rules::Expression>(again).Fields() == e.Fields());
}

bool IsEventType(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("_.:-").find(c) != std::string_view::npos;
  });
}

void CheckRule(const Campaign& c, const Rule& r, const CampaignSet& set) {
  HERALD_FUZZ_CHECK(IsValidId(r.id) && IsValidId(r.send));
  HERALD_FUZZ_CHECK(!r.on.empty());
  HERALD_FUZZ_CHECK(std::set<std::string>(r.on.begin(), r.on.end()).size() == r.on.size());
  for (const std::string& type : r.on) {
    HERALD_FUZZ_CHECK(IsEventType(type));
    const auto refs = set.RulesFor(type);
    HERALD_FUZZ_CHECK(std::any_of(refs.begin(), refs.end(), [&](const RuleRef& ref) {
      return ref.rule == &r && ref.campaign == &c;
    }));
  }
  HERALD_FUZZ_CHECK(r.times >= 1 && r.times <= 1000);
  HERALD_FUZZ_CHECK(r.every.has_value() == (r.times > 1));
  if (r.times > 1) HERALD_FUZZ_CHECK(r.while_cond.has_value());
  HERALD_FUZZ_CHECK(!(r.at && r.after));
  if (r.after) HERALD_FUZZ_CHECK(*r.after > 0);
  if (r.every) HERALD_FUZZ_CHECK(*r.every > 0);
  if (r.when) {
    HERALD_FUZZ_CHECK(r.when->MayYield(rules::Value::Kind::kBool));
    CheckExpression(*r.when);
  }
  if (r.while_cond) {
    HERALD_FUZZ_CHECK(r.while_cond->MayYield(rules::Value::Kind::kBool));
    CheckExpression(*r.while_cond);
  }
  if (r.at) {
    HERALD_FUZZ_CHECK(r.at->MayYieldTime());
    CheckExpression(*r.at);
  }
  if (r.channels.kind == ChannelSpec::Kind::kList) {
    const auto& list = r.channels.list;
    HERALD_FUZZ_CHECK(!list.empty());
    HERALD_FUZZ_CHECK(std::set<Channel>(list.begin(), list.end()).size() == list.size());
  } else {
    HERALD_FUZZ_CHECK(r.channels.list.empty());
  }
  for (const std::string& locale : c.locales) {
    HERALD_FUZZ_CHECK(fs::is_regular_file(kTemplates + "/" + r.send + "/" + locale + ".md"));
  }
  HERALD_FUZZ_CHECK(r.line >= 1);
}

void CheckCampaign(const CampaignLoad& load, const std::string& file) {
  HERALD_FUZZ_CHECK(load.campaigns.size() == 1);
  const Campaign& c = load.campaigns.campaigns()[0];
  HERALD_FUZZ_CHECK(load.campaigns.Find(c.id) == &c);
  HERALD_FUZZ_CHECK(IsValidId(c.id) && !c.name.empty());
  HERALD_FUZZ_CHECK(c.source_file == file);
  HERALD_FUZZ_CHECK(!c.locales.empty());
  std::set<std::string> distinct;
  for (const std::string& locale : c.locales) {
    HERALD_FUZZ_CHECK(IsValidLocale(locale));
    std::string lower = locale;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char ch) {
      return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    });
    HERALD_FUZZ_CHECK(distinct.insert(lower).second);
  }
  HERALD_FUZZ_CHECK(IsKnownTimezone(c.timezone));
  if (c.quiet_hours) HERALD_FUZZ_CHECK(c.quiet_hours->start_minute != c.quiet_hours->end_minute);
  if (c.frequency_cap) HERALD_FUZZ_CHECK(ValidateFrequencyCap(*c.frequency_cap).ok());
  if (c.max_segments) HERALD_FUZZ_CHECK(*c.max_segments >= 1 && *c.max_segments <= 10);
  HERALD_FUZZ_CHECK(!c.rules.empty());
  HERALD_FUZZ_CHECK(load.campaigns.rule_count() == c.rules.size());
  std::set<std::string> ids;
  for (const Rule& r : c.rules) {
    HERALD_FUZZ_CHECK(ids.insert(r.id).second);
    CheckRule(c, r, load.campaigns);
  }
}

}  // namespace
}  // namespace herald

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = herald::fuzz::AsText(data, size);
  const std::string file = herald::CampaignsDir() + "/campaign.yaml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) std::abort();
  }
  const herald::CampaignLoad load =
      herald::LoadCampaigns(herald::CampaignsDir(), herald::kTemplates);
  HERALD_FUZZ_CHECK(load.files == 1);
  HERALD_FUZZ_CHECK(load.ok() == load.errors.empty());
  if (load.ok()) {
    herald::CheckCampaign(load, file);
  } else {
    herald::CheckErrors(load, text, file);
  }
  return 0;
}
