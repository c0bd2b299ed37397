// Every message template of a templates directory, loaded and checked at once.
//
// Layout: `<dir>/<template-id>/<locale>.md`. Every sub-directory of `dir` is a template
// (its name is the id); every `*.md` file in it is one locale of that template. Names
// starting with '.' are ignored (editors' backup and lock files), and so are files not
// ending in .md and anything deeper. See message_template.h for the file format.
//
// A TemplateSet is immutable after Load and cheap to copy (copies share the templates);
// every method may be called from any number of threads. Pointers returned by Find and
// Resolve stay valid as long as any copy of the set they came from exists.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"  // ConfigError
#include "engine/core/result.h"
#include "templates/message_template.h"

namespace herald {

class TemplateSet {
 public:
  TemplateSet();  // empty

  // Loads and checks every template in `dir`. Every problem of every file is reported:
  // in the InvalidArgument status, one per line, "file:line:column: message" (files in
  // name order, positions in file order), and appended to `errors` when given. Besides
  // the file problems of ParseTemplate: the directory does not exist; a template id that
  // is not [a-z0-9_-]{1,64}; a file name that is not a BCP 47 locale (validate.h's
  // IsValidLocale: "en_US.md"); two files for one locale ("es-MX.md" and "es-mx.md");
  // a template directory with no .md file. Positions are absent (file: message) for
  // problems with a name rather than a content. An empty directory is a valid, empty set.
  static Result<TemplateSet> Load(const std::string& dir,
                                  std::vector<ConfigError>* errors = nullptr);

  // A set made of already parsed templates (tests, previews). InvalidArgument when two
  // share an id and locale (ASCII case-insensitively).
  static Result<TemplateSet> FromTemplates(std::vector<MessageTemplate> templates);

  // The template for exactly this id and locale (locales compare ASCII
  // case-insensitively: "es-mx" finds es-MX.md). nullptr when there is none.
  const MessageTemplate* Find(std::string_view id, std::string_view locale) const;

  // The template for a recipient: `locale`, then it without its last subtag, and so on
  // ("zh-Hans-CN", "zh-Hans", "zh"; "es-MX", "es"), then `default_locale` the same way
  // (the campaign's default). This is the lookup of ResolveLocale in engine/rules, so a
  // message is rendered in the locale the intent names. nullptr when none exists (the
  // template id is unknown, or has neither locale).
  const MessageTemplate* Resolve(std::string_view id, std::string_view locale,
                                 std::string_view default_locale) const;

  // The locales of a template as its file names write them, sorted; empty when the id is
  // unknown.
  std::vector<std::string> Locales(std::string_view id) const;

  // Every template id, sorted.
  std::vector<std::string> Ids() const;

  size_t size() const;  // number of (id, locale) files

 private:
  struct Rep;
  explicit TemplateSet(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;  // never null
};

}  // namespace herald
