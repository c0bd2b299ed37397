#include "templates/message_template.h"

#include <algorithm>
#include <functional>

#include <yaml-cpp/yaml.h>

#include "engine/config/yaml_reader.h"
#include "engine/core/validate.h"
#include "engine/rules/scalar_position.h"
#include "templates/locale_format.h"
#include "templates/render_context.h"
#include "templates/text_util.h"

namespace herald {
namespace {

using templates_internal::CompiledPart;
using templates_internal::CompiledTemplate;
using templates_internal::MustacheTag;
using templates_internal::TagKind;

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kFrontMatterHelp =
    "a template starts with front matter: a line '---', then subject: and sms:, then another "
    "line '---', then the email body in Markdown";

// Line starts of a text, for offset -> line and column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  // 0-based, as yaml-cpp's marks.
  YAML::Mark MarkAt(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - starts_.begin()) - 1;
    YAML::Mark m;
    m.pos = static_cast<int>(offset);
    m.line = static_cast<int>(line);
    m.column = static_cast<int>(offset - starts_[line]);
    return m;
  }

 private:
  std::vector<size_t> starts_;
};

TextPosition ToPosition(const YAML::Mark& m) {
  return {m.line + 1, m.column + 1};
}

std::string_view LineAt(std::string_view text, size_t begin, size_t* next) {
  size_t nl = text.find('\n', begin);
  *next = nl == std::string_view::npos ? text.size() : nl + 1;
  std::string_view line =
      text.substr(begin, (nl == std::string_view::npos ? text.size() : nl) - begin);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return line;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// The first control character of `s` other than those `allowed`, or npos.
size_t FindControl(std::string_view s, std::string_view allowed) {
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    const char32_t cp = templates_internal::DecodeUtf8(s, &i);
    if (templates_internal::IsControl(cp) &&
        !(cp < 0x80 && allowed.find(static_cast<char>(cp)) != std::string_view::npos)) {
      return at;
    }
  }
  return std::string_view::npos;
}

// Where byte `offset` of a part's text is in the file.
using PartMapper = std::function<YAML::Mark(size_t offset)>;

// Checks the forms of each {{#plural}} whose forms are literal text, at load time.
void CheckPlurals(const CompiledPart& part, const std::string& locale, std::string_view what,
                  const PartMapper& where, Diagnostics* diag) {
  const auto& tags = part.scan.tags;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].kind != TagKind::kSection || tags[i].name != "plural") continue;
    size_t close = i + 1;
    while (close < tags.size() &&
           !(tags[close].kind == TagKind::kClose && tags[close].depth == tags[i].depth)) {
      ++close;
    }
    if (close == tags.size()) continue;
    std::string_view content(part.source);
    content = content.substr(tags[i].end, tags[close].offset - tags[i].end);
    std::string_view forms;
    const size_t inner_tags = close - i - 1;
    size_t lead = content.find_first_not_of(" \t\r\n");
    if (lead == std::string_view::npos) continue;
    if (inner_tags == 1 && tags[i + 1].kind == TagKind::kVariable &&
        tags[i + 1].offset == tags[i].end + lead) {
      forms = content.substr(tags[i + 1].end - tags[i].end);  // after {{count}}
    } else if (inner_tags == 0) {
      size_t space = content.find_first_of(" \t\r\n", lead);
      forms = space == std::string_view::npos ? std::string_view() : content.substr(space);
    } else {
      continue;  // forms with variables in them: checked when rendered
    }
    Status s = templates_internal::CheckPluralForms(forms, locale);
    if (!s.ok())
      diag->AddAt(where(tags[i].offset), std::string(what) + ": {{#plural}}: " + s.message());
  }
}

// Compiles one part and reports its problems at their file positions.
CompiledPart CompileAndCheck(std::string_view source, const std::string& locale,
                             std::string_view what, const PartMapper& where, Diagnostics* diag) {
  CompiledPart part = templates_internal::CompilePart(source);
  for (const auto& e : part.scan.errors) {
    diag->AddAt(where(e.offset), std::string(what) + ": " + e.message);
  }
  part.tag_at.reserve(part.scan.tags.size());
  for (const MustacheTag& t : part.scan.tags) part.tag_at.push_back(ToPosition(where(t.offset)));
  if (part.scan.errors.empty()) CheckPlurals(part, locale, what, where, diag);
  return part;
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

std::string_view PartName(TemplatePart part) {
  switch (part) {
    case TemplatePart::kSubject:
      return "subject";
    case TemplatePart::kSms:
      return "sms";
    case TemplatePart::kBody:
      return "body";
  }
  return "body";
}

Result<MessageTemplate> ParseTemplate(std::string_view text, const std::string& file,
                                      const std::string& id, const std::string& locale,
                                      std::vector<ConfigError>* errors) {
  Diagnostics diag(file);
  const LineIndex lines(text);
  MessageTemplate t;
  t.id = id;
  t.locale = locale;
  t.file = file;
  auto finish = [&]() -> Result<MessageTemplate> {
    std::vector<ConfigError> found = diag.Take();
    if (found.empty()) return std::move(t);
    std::string message = JoinErrors(found);
    if (errors) errors->insert(errors->end(), found.begin(), found.end());
    return Status::InvalidArgument(std::move(message));
  };

  if (text.size() > kMaxFileBytes) {
    diag.AddAt(YAML::Mark(), "the file is larger than 1 MiB; a template should be a few KiB");
    return finish();
  }
  if (auto bad = FindInvalidUtf8(text)) {
    diag.AddAt(lines.MarkAt(*bad), "the file is not valid UTF-8 (save it as UTF-8)");
    return finish();
  }

  // Front matter: from the first line '---' to the next line '---'.
  const size_t start = text.starts_with(kBom) ? kBom.size() : 0;
  size_t next = 0;
  if (LineAt(text, start, &next) != "---") {
    diag.AddAt(YAML::Mark(), std::string(kFrontMatterHelp));
    return finish();
  }
  size_t close = std::string_view::npos, body_begin = text.size();
  for (size_t at = next; at < text.size(); at = next) {
    if (LineAt(text, at, &next) == "---") {
      close = at;
      body_begin = next;
      break;
    }
  }
  if (close == std::string_view::npos) {
    diag.AddAt(YAML::Mark(),
               "the front matter that starts here is never closed: add a line '---' after sms:");
    return finish();
  }
  // The YAML is parsed as a prefix of the file (the opening '---' is YAML's own document
  // start), so every mark yaml-cpp gives is already a file position.
  const std::string yaml_source(text.substr(0, close));
  YAML::Node root;
  try {
    root = YAML::Load(yaml_source);
  } catch (const YAML::Exception& e) {
    diag.AddAt(e.mark, "front matter: " + e.msg);
    return finish();
  }

  YamlMap front(root, "front matter", &diag);
  std::optional<YamlEntry> subject_entry = front.Require("subject");
  std::optional<YamlEntry> sms_entry = front.Require("sms");
  front.RejectUnknown("the front matter has only subject: and sms:");

  auto read_part = [&](const std::optional<YamlEntry>& e, TemplatePart part, std::string* out,
                       TextPosition* at) -> std::optional<YAML::Node> {
    if (!e) return std::nullopt;
    std::optional<std::string> value = ReadString(*e, &diag);
    if (!value) return std::nullopt;
    const std::string name(PartName(part));
    if (IsBlank(*value)) {
      diag.Add(e->value, name + ": is empty", e->key);
      return std::nullopt;
    }
    const bool subject = part == TemplatePart::kSubject;
    const size_t bad = FindControl(*value, subject ? "" : "\n");
    if (bad != std::string_view::npos) {
      diag.AddAt(ScalarTextMark(yaml_source, e->value.Mark(), *value, bad),
                 subject ? "subject: must be one line, without line breaks or control characters "
                           "(it goes into a mail header)"
                         : "sms: must not contain control characters other than line breaks");
      return std::nullopt;
    }
    *out = std::move(*value);
    *at = ToPosition(e->value.Mark());
    return e->value;
  };
  std::optional<YAML::Node> subject_node =
      read_part(subject_entry, TemplatePart::kSubject, &t.subject, &t.subject_at);
  std::optional<YAML::Node> sms_node = read_part(sms_entry, TemplatePart::kSms, &t.sms, &t.sms_at);

  t.body = std::string(text.substr(body_begin));
  t.body_at = ToPosition(lines.MarkAt(body_begin));
  if (IsBlank(t.body)) {
    diag.AddAt(lines.MarkAt(close),
               "the email body is empty: write the email in Markdown after this line");
  } else if (size_t bad = FindControl(t.body, "\n\r\t"); bad != std::string_view::npos) {
    diag.AddAt(lines.MarkAt(body_begin + bad), "body: control characters are not allowed");
  }

  auto compiled = std::make_shared<CompiledTemplate>();
  if (subject_node) {
    const YAML::Mark mark = subject_node->Mark();
    compiled->subject = CompileAndCheck(
        t.subject, locale, "subject",
        [&](size_t off) { return ScalarTextMark(yaml_source, mark, t.subject, off); }, &diag);
  }
  if (sms_node) {
    const YAML::Mark mark = sms_node->Mark();
    compiled->sms = CompileAndCheck(
        t.sms, locale, "sms",
        [&](size_t off) { return ScalarTextMark(yaml_source, mark, t.sms, off); }, &diag);
  }
  compiled->body = CompileAndCheck(
      t.body, locale, "body", [&](size_t off) { return lines.MarkAt(body_begin + off); }, &diag);
  t.compiled = std::move(compiled);
  return finish();
}

std::vector<VariableUse> TemplateVariableUses(const MessageTemplate& t) {
  std::shared_ptr<const CompiledTemplate> c = templates_internal::CompiledOf(t);
  std::vector<VariableUse> out;
  auto add = [&](const CompiledPart& p, TemplatePart part) {
    for (size_t i = 0; i < p.scan.tags.size(); ++i) {
      const MustacheTag& tag = p.scan.tags[i];
      if (tag.kind != TagKind::kVariable && tag.kind != TagKind::kSection &&
          tag.kind != TagKind::kInverted) {
        continue;
      }
      if (tag.kind != TagKind::kVariable && templates_internal::IsHelperName(tag.name)) continue;
      std::string_view path = templates_internal::DataPathOf(tag.name);
      if (path.empty()) continue;
      VariableUse use;
      use.name = std::string(path);
      use.part = part;
      use.at = i < p.tag_at.size() ? p.tag_at[i] : TextPosition{};
      use.section = tag.kind != TagKind::kVariable;
      use.top_level = tag.data_depth == 0;
      out.push_back(std::move(use));
    }
  };
  add(c->subject, TemplatePart::kSubject);
  add(c->sms, TemplatePart::kSms);
  add(c->body, TemplatePart::kBody);
  return out;
}

std::vector<std::string> TemplateVariables(const MessageTemplate& t) {
  std::vector<std::string> names;
  for (VariableUse& u : TemplateVariableUses(t)) names.push_back(std::move(u.name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace herald
