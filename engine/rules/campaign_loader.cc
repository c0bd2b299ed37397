// Loading the campaigns directory: list the files, parse each with yaml-cpp, read the
// campaign's own keys here and its rules with RuleReader, then check what no single file
// can (campaign ids across files). yaml-cpp's exceptions are caught in this file.
#include "engine/rules/campaign_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "engine/config/yaml_reader.h"
#include "engine/core/validate.h"
#include "engine/rules/campaign_reader.h"

namespace herald {
namespace {

namespace fs = std::filesystem;
using campaign_reader::IsValidId;
using campaign_reader::kIdRule;
using campaign_reader::ReadDuration;
using campaign_reader::RuleReader;
using campaign_reader::TemplateCheck;

bool IsCampaignFileName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  return name.ends_with(".yaml") || name.ends_with(".yml");
}

std::string AsciiLower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

std::string Position(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// One campaign file: its text, its errors, and what was read from it.
struct CampaignFile {
  std::string path;  // as reported: campaigns_dir + "/" + name
  Diagnostics diag;
  std::optional<Campaign> campaign;  // when the file had no error
  std::string id;                    // the campaign id, when readable (even with other errors)
  YAML::Mark id_mark;

  explicit CampaignFile(std::string p) : path(p), diag(std::move(p)) {}
};

class FileReader {
 public:
  FileReader(CampaignFile* file, std::string_view source, const std::string& templates_dir)
      : file_(file), diag_(&file->diag), source_(source), templates_dir_(templates_dir) {}

  void Read(const YAML::Node& root);

 private:
  std::optional<std::vector<std::string>> ReadLocales(const YamlEntry& e);
  std::optional<QuietHours> ReadQuietHours(const YamlEntry& e);
  std::optional<FrequencyCap> ReadFrequencyCap(const YamlEntry& e);

  CampaignFile* file_;
  Diagnostics* diag_;
  std::string_view source_;
  const std::string& templates_dir_;
};

void FileReader::Read(const YAML::Node& root) {
  YamlMap map(root, "campaign", diag_);
  if (!map.valid()) return;
  Campaign c;
  c.source_file = file_->path;
  bool ok = true;
  auto keep = [&ok](const auto& opt) -> bool {
    ok = ok && opt.has_value();
    return opt.has_value();
  };

  if (auto e = map.Require("campaign")) {
    auto id = ReadString(*e, diag_);
    if (id && !IsValidId(*id)) {
      diag_->Add(e->value, "campaign: the campaign id " + std::string(kIdRule));
      id.reset();
    }
    if (keep(id)) {
      c.id = *id;
      file_->id = *id;
      file_->id_mark = e->value.Mark();
    }
  } else {
    ok = false;
  }
  if (auto e = map.Take("name")) {
    auto name = ReadString(*e, diag_);
    if (name && name->empty()) {
      diag_->Add(e->value, "name: must not be empty (leave it out to use the campaign id)", e->key);
      name.reset();
    }
    if (keep(name)) c.name = *name;
  }
  if (c.name.empty()) c.name = c.id;

  std::optional<std::vector<std::string>> locales;
  if (auto e = map.Require("locales")) {
    locales = ReadLocales(*e);
    if (keep(locales)) c.locales = *locales;
  } else {
    ok = false;
  }
  if (auto e = map.Take("timezone")) {
    auto tz = ReadString(*e, diag_);
    if (tz) {
      Result<Zone> zone = Zone::Load(*tz);
      if (zone.ok()) {
        c.timezone = *tz;
        c.zone = *zone;
      } else {
        diag_->Add(e->value, "timezone: unknown time zone '" + *tz +
                                 "' (use an IANA id such as America/New_York)");
        tz.reset();
      }
    }
    keep(tz);
  }
  if (auto e = map.Take("quiet_hours")) {
    auto q = ReadQuietHours(*e);
    if (keep(q)) c.quiet_hours = *q;
  }
  if (auto e = map.Take("frequency_cap")) {
    auto cap = ReadFrequencyCap(*e);
    if (keep(cap)) c.frequency_cap = *cap;
  }
  if (auto e = map.Take("max_segments")) {
    auto n = ReadInteger(*e, 1, 10, diag_);
    if (keep(n)) c.max_segments = static_cast<int>(*n);
  }
  if (auto e = map.Require("rules")) {
    auto items = ReadList(*e, diag_);
    if (items && items->empty()) {
      diag_->Add(e->value, "rules: the list is empty; a campaign needs at least one rule");
      items.reset();
    }
    if (keep(items)) {
      // Templates are checked for the locales that were valid; with none, only that each
      // template exists (the locales have their own errors).
      TemplateCheck templates{templates_dir_, locales.value_or(std::vector<std::string>{})};
      RuleReader rules(source_, diag_, std::move(templates));
      for (const YAML::Node& item : *items) {
        auto rule = rules.Read(item);
        if (keep(rule)) c.rules.push_back(std::move(*rule));
      }
    }
  } else {
    ok = false;
  }
  map.RejectUnknown();
  if (ok && diag_->empty()) file_->campaign = std::move(c);
}

std::optional<std::vector<std::string>> FileReader::ReadLocales(const YamlEntry& e) {
  auto items = ReadList(e, diag_);
  if (!items) return std::nullopt;
  if (items->empty()) {
    diag_->Add(e.value, "locales: the list is empty; give at least one locale, such as en");
    return std::nullopt;
  }
  std::vector<std::string> locales;
  bool ok = true;
  for (const YAML::Node& item : *items) {
    if (!item.IsScalar() || !IsValidLocale(item.Scalar())) {
      diag_->Add(item,
                 "locales: " + (item.IsScalar() ? "'" + item.Scalar() + "'" : std::string("this")) +
                     " is not a BCP 47 language tag such as en, es-MX or zh-Hans");
      ok = false;
      continue;
    }
    // Tags are case-insensitive: "es-MX" and "es-mx" are the same locale.
    auto dup = std::find_if(locales.begin(), locales.end(), [&](const std::string& l) {
      return AsciiLower(l) == AsciiLower(item.Scalar());
    });
    if (dup != locales.end()) {
      diag_->Add(item, "locales: '" + item.Scalar() + "' is listed twice");
      ok = false;
      continue;
    }
    locales.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return locales;
}

std::optional<QuietHours> FileReader::ReadQuietHours(const YamlEntry& e) {
  YamlMap map(e.value, "quiet_hours", diag_, e.key);
  if (!map.valid()) return std::nullopt;
  auto start = map.Require("start");
  auto end = map.Require("end");
  map.RejectUnknown();
  std::optional<std::string> s = start ? ReadString(*start, diag_) : std::nullopt;
  std::optional<std::string> t = end ? ReadString(*end, diag_) : std::nullopt;
  if (!s || !t) return std::nullopt;
  Result<QuietHours> q = ParseQuietHours(*s, *t);
  if (!q.ok()) {
    const bool start_bad = q.status().message().starts_with("quiet_hours.start");
    diag_->Add(start_bad ? start->value : end->value, q.status().message());
    return std::nullopt;
  }
  if (q->start_minute == q->end_minute) {
    diag_->Add(start->value,
               "quiet_hours: start and end are the same time; leave quiet_hours out for none");
    return std::nullopt;
  }
  return *q;
}

std::optional<FrequencyCap> FileReader::ReadFrequencyCap(const YamlEntry& e) {
  YamlMap map(e.value, "frequency_cap", diag_, e.key);
  if (!map.valid()) return std::nullopt;
  auto max = map.Require("max");
  auto per = map.Require("per");
  map.RejectUnknown();
  std::optional<uint64_t> m = max ? ReadInteger(*max, 1, 1000, diag_) : std::nullopt;
  std::optional<Micros> p = per ? ReadDuration(*per, diag_) : std::nullopt;
  if (!m || !p) return std::nullopt;
  FrequencyCap cap{static_cast<int>(*m), *p};
  if (Status s = ValidateFrequencyCap(cap); !s.ok()) {  // cannot fail after the reads above
    diag_->Add(e.value, s.message(), e.key);
    return std::nullopt;
  }
  return cap;
}

// Reads, parses and checks one file into `file`.
void LoadFile(const std::string& full_path, const std::string& templates_dir, CampaignFile* file) {
  std::ifstream in(full_path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    file->diag.AddAt(YAML::Mark(), std::string("cannot read the file: ") + std::strerror(errno));
    return;
  }
  const std::string source = text.str();
  try {
    const YamlDocuments docs = LoadYamlDocuments(source);
    if (docs.empty || docs.first.IsNull()) {
      file->diag.AddAt(
          YAML::Mark(),
          "the file is empty; a campaign needs at least campaign:, locales: and rules:");
      return;
    }
    if (docs.second) {
      file->diag.AddAt(*docs.second, "only one YAML document (one campaign) is allowed per file");
    }
    FileReader(file, source, templates_dir).Read(docs.first);
  } catch (const YAML::ParserException& e) {
    file->diag.AddAt(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    // The readers check types before converting, so this is a bug; report, don't crash.
    file->diag.AddAt(e.mark, "internal error reading the campaign: " + e.msg);
  }
}

}  // namespace

CampaignLoad LoadCampaigns(const std::string& campaigns_dir, const std::string& templates_dir) {
  CampaignLoad out;
  if (campaigns_dir.empty()) return out;
  std::error_code ec;
  if (!fs::is_directory(campaigns_dir, ec)) {
    const bool exists = fs::exists(campaigns_dir, ec);
    out.errors.push_back({campaigns_dir, 0, 0,
                          exists ? "the campaigns directory is not a directory"
                                 : "the campaigns directory does not exist"});
    return out;
  }
  std::vector<std::string> names;
  fs::directory_iterator it(campaigns_dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (IsCampaignFileName(name) && fs::is_regular_file(it->path(), type_ec)) names.push_back(name);
  }
  if (ec) {
    out.errors.push_back({campaigns_dir, 0, 0, "cannot list the directory: " + ec.message()});
    return out;
  }
  std::sort(names.begin(), names.end());
  out.files = names.size();
  if (names.empty()) return out;

  // Without a usable templates directory every `send:` would fail the same way: report
  // the cause once and check the rest.
  std::string checked_templates = templates_dir;
  if (templates_dir.empty()) {
    out.errors.push_back({campaigns_dir, 0, 0,
                          "campaigns need templates, but no templates directory is configured "
                          "(templates: in the configuration)"});
  } else if (!fs::is_directory(templates_dir, ec)) {
    out.errors.push_back({templates_dir, 0, 0, "the templates directory does not exist"});
    checked_templates.clear();
  }

  std::vector<CampaignFile> files;
  files.reserve(names.size());
  for (const std::string& name : names) {
    files.emplace_back(campaigns_dir + "/" + name);
    LoadFile(files.back().path, checked_templates, &files.back());
  }

  // A campaign id names the campaign everywhere (logs, metrics, the store), so it must
  // be unique; both files are told, since either may be the one to change.
  std::map<std::string, size_t> first_with_id;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].id.empty()) continue;
    auto [at, inserted] = first_with_id.emplace(files[i].id, i);
    if (inserted) continue;
    CampaignFile& first = files[at->second];
    CampaignFile& again = files[i];
    const std::string message = "campaign: duplicate campaign id '" + again.id + "' (also in ";
    first.diag.AddAt(first.id_mark, message + Position(again.path, again.id_mark) + ")");
    again.diag.AddAt(again.id_mark, message + Position(first.path, first.id_mark) + ")");
  }

  std::vector<Campaign> campaigns;
  for (CampaignFile& f : files) {
    for (ConfigError& e : f.diag.Take()) out.errors.push_back(std::move(e));
    if (f.campaign) campaigns.push_back(std::move(*f.campaign));
  }
  if (out.errors.empty()) out.campaigns = CampaignSet(std::move(campaigns));
  return out;
}

}  // namespace herald
