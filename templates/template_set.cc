#include "templates/template_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/core/validate.h"
#include "templates/text_util.h"

namespace herald {

namespace fs = std::filesystem;

struct TemplateSet::Rep {
  // id -> lower-cased locale -> template
  std::map<std::string, std::map<std::string, MessageTemplate>, std::less<>> templates;
  size_t count = 0;
};

namespace {

// The lookup key of a locale: ASCII lower case, '_' read as '-'.
std::string LocaleKey(std::string_view locale) {
  std::string key = templates_internal::AsciiLower(locale);
  for (char& c : key) {
    if (c == '_') c = '-';
  }
  return key;
}

bool IsValidId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(ss).str();
}

std::vector<fs::directory_entry> SortedEntries(const fs::path& dir, std::error_code& ec) {
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(".")) continue;
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return entries;
}

std::string JoinErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.ToString();
  }
  return out;
}

}  // namespace

TemplateSet::TemplateSet() : rep_(std::make_shared<Rep>()) {}

Result<TemplateSet> TemplateSet::Load(const std::string& dir, std::vector<ConfigError>* errors) {
  std::vector<ConfigError> found;
  auto rep = std::make_shared<Rep>();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    found.push_back({dir, 0, 0, "the templates directory does not exist"});
  } else {
    std::vector<fs::directory_entry> ids = SortedEntries(dir, ec);
    if (ec) found.push_back({dir, 0, 0, "cannot read the templates directory: " + ec.message()});
    for (const fs::directory_entry& entry : ids) {
      if (!entry.is_directory(ec)) continue;
      const std::string id = entry.path().filename().string();
      const std::string id_dir = dir + "/" + id;
      if (!IsValidId(id)) {
        found.push_back({id_dir, 0, 0,
                         "a template id (the directory name) must be 1 to 64 characters from "
                         "a-z, 0-9, '_' and '-'"});
        continue;
      }
      std::vector<fs::directory_entry> files = SortedEntries(entry.path(), ec);
      if (ec) found.push_back({id_dir, 0, 0, "cannot read the directory: " + ec.message()});
      auto& locales = rep->templates[id];
      std::map<std::string, std::string> seen;  // lower-cased locale -> file, loaded or not
      bool any = false;
      for (const fs::directory_entry& f : files) {
        const std::string name = f.path().filename().string();
        if (!f.is_regular_file(ec) || !name.ends_with(".md")) continue;
        any = true;
        const std::string file = id_dir + "/" + name;
        const std::string locale = name.substr(0, name.size() - 3);
        if (!IsValidLocale(locale)) {
          found.push_back({file, 0, 0,
                           "the file name must be a BCP 47 locale and .md, such as en.md, "
                           "es-MX.md or zh-Hans.md ('" +
                               locale + "' is not a locale)"});
          continue;
        }
        const std::string key = LocaleKey(locale);
        if (auto dup = seen.find(key); dup != seen.end()) {
          found.push_back({file, 0, 0,
                           "locale '" + locale + "' is already given by " + dup->second +
                               " (locales are compared ignoring case)"});
          continue;
        }
        seen.emplace(key, file);
        std::optional<std::string> text = ReadFile(f.path());
        if (!text) {
          found.push_back({file, 0, 0, "cannot read the file"});
          continue;
        }
        Result<MessageTemplate> t = ParseTemplate(*text, file, id, locale, &found);
        if (!t.ok()) continue;
        locales.emplace(key, std::move(t).value());
        ++rep->count;
      }
      if (!any) {
        found.push_back({id_dir, 0, 0,
                         "the template has no locale files (add one per language, such as "
                         "en.md)"});
      }
      if (locales.empty()) rep->templates.erase(id);
    }
  }
  if (!found.empty()) {
    std::string message = JoinErrors(found);
    if (errors) errors->insert(errors->end(), found.begin(), found.end());
    return Status::InvalidArgument(std::move(message));
  }
  return TemplateSet(std::move(rep));
}

Result<TemplateSet> TemplateSet::FromTemplates(std::vector<MessageTemplate> templates) {
  auto rep = std::make_shared<Rep>();
  for (MessageTemplate& t : templates) {
    auto& locales = rep->templates[t.id];
    const std::string key = LocaleKey(t.locale);
    if (locales.count(key)) {
      return Status::InvalidArgument("template '" + t.id + "' is given twice for locale '" +
                                     t.locale + "'");
    }
    locales.emplace(key, std::move(t));
    ++rep->count;
  }
  return TemplateSet(std::move(rep));
}

const MessageTemplate* TemplateSet::Find(std::string_view id, std::string_view locale) const {
  auto it = rep_->templates.find(id);
  if (it == rep_->templates.end()) return nullptr;
  auto l = it->second.find(LocaleKey(locale));
  return l == it->second.end() ? nullptr : &l->second;
}

const MessageTemplate* TemplateSet::Resolve(std::string_view id, std::string_view locale,
                                            std::string_view default_locale) const {
  for (std::string_view tag : {locale, default_locale}) {
    while (!tag.empty()) {
      if (const MessageTemplate* t = Find(id, tag)) return t;
      const size_t dash = tag.find_last_of("-_");
      if (dash == std::string_view::npos) break;
      tag = tag.substr(0, dash);
    }
  }
  return nullptr;
}

std::vector<std::string> TemplateSet::Locales(std::string_view id) const {
  std::vector<std::string> out;
  auto it = rep_->templates.find(id);
  if (it == rep_->templates.end()) return out;
  for (const auto& [key, t] : it->second) out.push_back(t.locale);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> TemplateSet::Ids() const {
  std::vector<std::string> out;
  for (const auto& [id, locales] : rep_->templates) out.push_back(id);
  return out;
}

size_t TemplateSet::size() const {
  return rep_->count;
}

}  // namespace herald
