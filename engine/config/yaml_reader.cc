#include "engine/config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

namespace herald {
namespace {

// Notes the position of each document's root node, building nothing.
class DocumentRoots : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> roots;

  void OnDocumentStart(const YAML::Mark&) override { at_root_ = true; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (at_root_) roots.push_back(mark);
    at_root_ = false;
  }
  bool at_root_ = false;
};

bool HasMark(const YAML::Node& node) {
  return node.IsDefined() && node.Mark().line >= 0 && node.Mark().column >= 0;
}

bool IsPlain(const YAML::Node& node) {
  return node.Tag() == "?";
}

// "a list", "a mapping", "nothing", "'abc'": what a node is, for "expected X, got Y".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      if (!IsPlain(node)) return "a quoted string";
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

bool IsCoreNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> CoreBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [-+]?[0-9]+
bool IsCoreInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return IsDigits(s);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsCoreFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    if (!IsDigits(exp)) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return IsDigits(mantissa);
  std::string_view whole = mantissa.substr(0, dot), frac = mantissa.substr(dot + 1);
  if (whole.empty()) return IsDigits(frac);
  return IsDigits(whole) && (frac.empty() || IsDigits(frac));
}

nlohmann::json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (!IsPlain(node)) return s;
  if (IsCoreNull(s)) return nullptr;
  if (auto b = CoreBool(s)) return *b;
  if (IsCoreInt(s)) {
    std::string_view digits = s;
    if (digits[0] == '+') digits.remove_prefix(1);
    int64_t i;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (r.ec == std::errc() && r.ptr == digits.data() + digits.size()) return i;
    uint64_t u;
    r = std::from_chars(digits.data(), digits.data() + digits.size(), u);
    if (r.ec == std::errc() && r.ptr == digits.data() + digits.size()) return u;
    // Too large for 64 bits: fall through to a float, as JSON parsers do.
  }
  if (IsCoreInt(s) || IsCoreFloat(s)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;  // out of double range: keep the text rather than invent a value
    }
  }
  return s;
}

}  // namespace

void Diagnostics::Add(const YAML::Node& node, std::string message, const YAML::Node& fallback) {
  // A missing value (`key:`) carries the position of whatever follows it, often the next
  // line; the key is where a reader looks.
  bool use_fallback = HasMark(fallback) && (!HasMark(node) || node.IsNull());
  if (use_fallback) return AddAt(fallback.Mark(), std::move(message));
  if (HasMark(node)) return AddAt(node.Mark(), std::move(message));
  errors_.push_back({file_, 1, 1, std::move(message)});
}

void Diagnostics::AddAt(const YAML::Mark& mark, std::string message) {
  errors_.push_back(
      {file_, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, std::move(message)});
}

std::vector<ConfigError> Diagnostics::Take() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return std::move(errors_);
}

YamlMap::YamlMap(const YAML::Node& node, std::string what, Diagnostics* diag,
                 const YAML::Node& where)
    : node_(node), where_(where), what_(std::move(what)), diag_(diag) {
  if (!node.IsMap()) {
    diag_->Add(node, what_ + ": expected a mapping, got " + Describe(node), where_);
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      diag_->Add(key, what_ + ": expected a key name, got " + Describe(key));
      continue;
    }
    std::string name = key.Scalar();
    auto dup = std::find_if(entries_.begin(), entries_.end(),
                            [&](const YamlEntry& e) { return e.name == name; });
    if (dup != entries_.end()) {
      diag_->Add(key, "duplicate key '" + name + "' (first given at line " +
                          std::to_string(dup->key.Mark().line + 1) + ")");
      continue;
    }
    entries_.push_back({std::move(name), key, it->second});
  }
  taken_.assign(entries_.size(), false);
}

std::optional<YamlEntry> YamlMap::Take(std::string_view key) {
  known_.emplace_back(key);
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == key) {
      taken_[i] = true;
      return entries_[i];
    }
  }
  return std::nullopt;
}

std::optional<YamlEntry> YamlMap::Require(std::string_view key) {
  auto e = Take(key);
  if (!e && valid_) {
    diag_->Add(node_, what_ + ": missing required key '" + std::string(key) + "'", where_);
  }
  return e;
}

std::vector<YamlEntry> YamlMap::TakeRest() {
  std::vector<YamlEntry> rest;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!taken_[i]) rest.push_back(entries_[i]);
    taken_[i] = true;
  }
  return rest;
}

void YamlMap::RejectUnknown(std::string_view hint) {
  for (const YamlEntry& e : TakeRest()) {
    std::string message = what_ + ": unknown key '" + e.name + "'";
    // Suggest the closest known key when it is plausibly a typo (one or two edits away).
    const std::string* best = nullptr;
    size_t best_distance = 3;
    for (const std::string& k : known_) {
      size_t d = EditDistance(e.name, k);
      if (d < best_distance && d < e.name.size()) best = &k, best_distance = d;
    }
    if (best) {
      message += " (did you mean '" + *best + "'?)";
    } else if (!hint.empty()) {
      message += " (" + std::string(hint) + ")";
    }
    diag_->Add(e.key, std::move(message));
  }
}

std::optional<std::string> ReadString(const YamlEntry& e, Diagnostics* diag) {
  if (!e.value.IsScalar()) {
    diag->Add(e.value, e.name + ": expected a string, got " + Describe(e.value), e.key);
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<uint64_t> ReadInteger(const YamlEntry& e, uint64_t min, uint64_t max,
                                    Diagnostics* diag) {
  std::string range = "between " + std::to_string(min) + " and " + std::to_string(max);
  if (!e.value.IsScalar() || !IsPlain(e.value) || !IsCoreInt(e.value.Scalar())) {
    diag->Add(e.value, e.name + ": expected an integer, got " + Describe(e.value), e.key);
    return std::nullopt;
  }
  std::string_view s = e.value.Scalar();
  if (s[0] == '+') s.remove_prefix(1);
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s[0] == '-' || r.ec != std::errc() || v < min || v > max) {
    diag->Add(e.value, e.name + ": must be " + range + ", got " + e.value.Scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<YAML::Node>> ReadList(const YamlEntry& e, Diagnostics* diag) {
  if (!e.value.IsSequence()) {
    diag->Add(e.value, e.name + ": expected a list, got " + Describe(e.value), e.key);
    return std::nullopt;
  }
  std::vector<YAML::Node> items;
  for (const YAML::Node& item : e.value) items.push_back(item);
  return items;
}

std::optional<nlohmann::json> YamlToJson(const YAML::Node& node, Diagnostics* diag) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      bool ok = true;
      for (const YAML::Node& item : node) {
        auto j = YamlToJson(item, diag);
        if (j) out.push_back(std::move(*j));
        ok = ok && j.has_value();
      }
      if (!ok) return std::nullopt;
      return out;
    }
    case YAML::NodeType::Map: {
      YamlMap map(node, "mapping", diag);
      nlohmann::json out = nlohmann::json::object();
      bool ok = true;
      for (const YamlEntry& e : map.TakeRest()) {
        auto j = YamlToJson(e.value, diag);
        if (j) out[e.name] = std::move(*j);
        ok = ok && j.has_value();
      }
      // YamlMap reported bad keys; the entry count tells whether it dropped any.
      if (!ok || out.size() != node.size()) return std::nullopt;
      return out;
    }
    default:
      return nullptr;
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

YamlDocuments LoadYamlDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentRoots documents;
  // The document the loaders read, one to report, and one more: a parser stuck on a
  // token after a first document that did consume something ("- a\n,") shows as two
  // documents at the same place, the second and the third.
  for (int i = 0; i < 3; ++i) {
    if (!parser.HandleNextDocument(documents)) break;
  }
  const std::vector<YAML::Mark>& roots = documents.roots;
  YamlDocuments out;
  if (roots.empty()) return out;
  for (size_t i = 1; i < roots.size(); ++i) {
    if (roots[i].pos > roots[i - 1].pos) continue;
    // A document that consumed nothing: yaml-cpp 0.7 stuck on a token it cannot place.
    // Named when the mark is an offset in `text`: a UTF-8 file (yaml-cpp counts UTF-16
    // and UTF-32 input in characters), after the byte order mark it skipped.
    const bool utf8 = text.find('\0') == std::string::npos && !text.starts_with("\xFE\xFF") &&
                      !text.starts_with("\xFF\xFE");
    const size_t at =
        static_cast<size_t>(roots[i].pos) + (text.starts_with("\xEF\xBB\xBF") ? 3 : 0);
    const char c = utf8 && at < text.size() ? text[at] : ' ';
    throw YAML::ParserException(
        roots[i], c > ' ' && c < 0x7f ? std::string("unexpected '") + c + "'" : "unexpected text");
  }
  out.empty = false;
  out.first = YAML::Load(text);
  if (roots.size() > 1) out.second = roots[1];
  return out;
}

}  // namespace herald
