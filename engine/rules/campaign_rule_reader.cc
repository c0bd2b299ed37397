// One entry of a campaign's `rules:`: keys, types, expressions, timing, channels and the
// templates it sends.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <variant>

#include "engine/core/duration.h"
#include "engine/rules/campaign_reader.h"
#include "engine/rules/scalar_position.h"

namespace herald::campaign_reader {
namespace {

bool IsEventTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

// The two lines of a caret display, indented under the message they follow.
std::string IndentCaret(const std::string& caret) {
  std::string out = "  ";
  for (char c : caret) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

// Whichever of two entries comes later in the file: the one to delete.
const YamlEntry& Later(const YamlEntry& a, const YamlEntry& b) {
  const YAML::Mark ma = a.key.Mark(), mb = b.key.Mark();
  return (ma.line != mb.line ? ma.line > mb.line : ma.column > mb.column) ? a : b;
}

}  // namespace

bool IsValidId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<Micros> ReadDuration(const YamlEntry& e, Diagnostics* diag) {
  auto text = ReadString(e, diag);
  if (!text) return std::nullopt;
  Result<Micros> d = ParseDurationOrError(*text);
  if (!d.ok()) {
    diag->Add(e.value, e.name + ": " + d.status().message());
    return std::nullopt;
  }
  return *d;
}

std::optional<Rule> RuleReader::Read(const YAML::Node& node) {
  // Name the rule in its messages when its id can be read, since a missing key is
  // reported at the start of the rule, which may be far from where the reader looks.
  std::string what = "rule";
  if (node.IsMap()) {
    const YAML::Node id = node["id"];
    if (id.IsDefined() && id.IsScalar() && IsValidId(id.Scalar())) what += " '" + id.Scalar() + "'";
  }
  YamlMap map(node, what, diag_);
  if (!map.valid()) return std::nullopt;

  Rule rule;
  rule.line = node.Mark().line + 1;
  bool ok = true;
  // Records whether a read succeeded; true when it did.
  auto keep = [&ok](const auto& opt) -> bool {
    ok = ok && opt.has_value();
    return opt.has_value();
  };

  if (auto e = map.Require("id")) {
    auto id = ReadString(*e, diag_);
    if (id && !IsValidId(*id)) {
      diag_->Add(e->value, "id: " + std::string(kIdRule));
      id.reset();
    }
    if (id) {
      auto dup =
          std::find_if(ids_.begin(), ids_.end(), [&](const auto& p) { return p.first == *id; });
      if (dup != ids_.end()) {
        diag_->Add(e->value, "id: duplicate rule id '" + *id + "' (first given at line " +
                                 std::to_string(dup->second) + ")");
        id.reset();
      } else {
        ids_.emplace_back(*id, e->value.Mark().line + 1);
      }
    }
    if (keep(id)) rule.id = *id;
  } else {
    ok = false;
  }

  if (auto e = map.Require("on")) {
    auto on = ReadEventTypes(*e);
    if (keep(on)) rule.on = std::move(*on);
  } else {
    ok = false;
  }

  const auto when = map.Take("when");
  const auto while_entry = map.Take("while");
  const auto at = map.Take("at");
  const auto after = map.Take("after");
  const auto every = map.Take("every");
  const auto times = map.Take("times");
  if (when) {
    auto x = ReadExpression(*when, ExprUse::kCondition);
    if (keep(x)) rule.when = std::move(*x);
  }
  if (while_entry) {
    auto x = ReadExpression(*while_entry, ExprUse::kCondition);
    if (keep(x)) rule.while_cond = std::move(*x);
  }
  if (at) {
    auto x = ReadExpression(*at, ExprUse::kTime);
    if (keep(x)) rule.at = std::move(*x);
  }
  if (after) {
    auto d = ReadDuration(*after, diag_);
    if (keep(d)) rule.after = *d;
  }
  if (every) {
    auto d = ReadDuration(*every, diag_);
    if (keep(d)) rule.every = *d;
  }
  bool times_ok = true;
  if (times) {
    auto n = ReadInteger(*times, 1, 1000, diag_);
    times_ok = keep(n);
    if (times_ok) rule.times = static_cast<int>(*n);
  }

  // Timing options that contradict each other or leave a repetition without an end.
  // Each is reported once, at the key to change. They depend on which keys are present
  // (and on the value of times:, when it could be read), not on whether the other values
  // were valid, so fixing one value never reveals a new error of this kind.
  if (at && after) {
    const YamlEntry& later = Later(*at, *after);
    diag_->Add(later.key, later.name +
                              ": give either at: (the time of the first send) or after: (a delay "
                              "from the event), not both");
    ok = false;
  }
  if (times_ok) {
    if (every && rule.times == 1) {
      diag_->Add(every->key,
                 "every: is the time between repeated sends, so it needs times: greater than 1");
      ok = false;
    }
    if (rule.times > 1 && !every) {
      diag_->Add(times->key,
                 "times: a message sent more than once needs every: (the time between sends)");
      ok = false;
    }
    if (rule.times > 1 && !while_entry) {
      diag_->Add(times->key,
                 "times: a message sent more than once needs while: so that it stops when it is "
                 "no longer needed (e.g. while: status == \"documents_requested\")");
      ok = false;
    }
  }

  if (auto e = map.Require("send")) {
    auto t = ReadTemplate(*e);
    if (keep(t)) rule.send = std::move(*t);
  } else {
    ok = false;
  }
  if (auto e = map.Take("channels")) {
    auto c = ReadChannels(*e);
    if (keep(c)) rule.channels = std::move(*c);
  }
  // An unknown key is reported without failing the rule: the file has an error then, so
  // no campaign set is built from it anyway.
  map.RejectUnknown();
  if (!ok) return std::nullopt;
  return rule;
}

std::optional<rules::Expression> RuleReader::ReadExpression(const YamlEntry& e, ExprUse use) {
  auto text = ReadString(e, diag_);
  if (!text) return std::nullopt;
  // A block scalar (`when: |`) keeps its final line break: drop trailing white space so
  // an "unexpected end" error shows the last line of the expression, not an empty one.
  // What is left is a prefix of the value, so error offsets still map into the file.
  while (!text->empty() &&
         std::string_view(" \t\r\n").find(text->back()) != std::string_view::npos) {
    text->pop_back();
  }
  std::variant<rules::Expression, rules::ExprError> parsed = rules::Expression::Parse(*text);
  if (const auto* error = std::get_if<rules::ExprError>(&parsed)) {
    const YAML::Mark at = ScalarTextMark(source_, e.value.Mark(), *text, error->offset);
    diag_->AddAt(at, e.name + ": " + error->message + "\n" +
                         IndentCaret(rules::CaretLine(*text, error->offset)));
    return std::nullopt;
  }
  rules::Expression expr = std::get<rules::Expression>(std::move(parsed));
  if (use == ExprUse::kTime && !expr.MayYieldTime()) {
    diag_->Add(e.value, e.name + ": must be a timestamp expression such as interview_at - 2d");
    return std::nullopt;
  }
  if (use == ExprUse::kCondition && !expr.MayYield(rules::Value::Kind::kBool)) {
    diag_->Add(e.value,
               e.name + ": must be a condition (true or false) such as status == \"approved\"");
    return std::nullopt;
  }
  return expr;
}

std::optional<std::vector<std::string>> RuleReader::ReadEventTypes(const YamlEntry& e) {
  std::vector<YAML::Node> items;
  if (e.value.IsScalar()) {
    items.push_back(e.value);
  } else if (e.value.IsSequence()) {
    for (const YAML::Node& item : e.value) items.push_back(item);
    if (items.empty()) {
      diag_->Add(e.value, "on: the list is empty; give at least one event type");
      return std::nullopt;
    }
  } else {
    diag_->Add(e.value, "on: expected an event type or a list of them, such as case.status_changed",
               e.key);
    return std::nullopt;
  }
  std::vector<std::string> types;
  bool ok = true;
  for (const YAML::Node& item : items) {
    if (!item.IsScalar() || item.Scalar().empty() ||
        !std::all_of(item.Scalar().begin(), item.Scalar().end(), IsEventTypeChar)) {
      diag_->Add(item,
                 "on: an event type is letters, digits, '_', '.', ':' and '-', such as "
                 "case.status_changed",
                 e.key);
      ok = false;
    } else if (std::find(types.begin(), types.end(), item.Scalar()) != types.end()) {
      diag_->Add(item, "on: '" + item.Scalar() + "' is listed twice");
      ok = false;
    } else {
      types.push_back(item.Scalar());
    }
  }
  if (!ok) return std::nullopt;
  return types;
}

std::optional<ChannelSpec> RuleReader::ReadChannels(const YamlEntry& e) {
  static constexpr std::string_view kExpected =
      "channels: must be preferred, all, or a list of channels such as [sms, email]";
  ChannelSpec spec;
  if (e.value.IsScalar()) {
    const std::string& s = e.value.Scalar();
    if (s == "preferred") return spec;
    if (s == "all") {
      spec.kind = ChannelSpec::Kind::kAll;
      return spec;
    }
    std::string message = std::string(kExpected) + ", got '" + s + "'";
    if (ChannelFromName(s)) message += " (for one channel write [" + s + "])";
    diag_->Add(e.value, std::move(message));
    return std::nullopt;
  }
  if (!e.value.IsSequence()) {
    diag_->Add(e.value, std::string(kExpected), e.key);
    return std::nullopt;
  }
  spec.kind = ChannelSpec::Kind::kList;
  bool ok = true;
  for (const YAML::Node& item : e.value) {
    const std::optional<Channel> c =
        item.IsScalar() ? ChannelFromName(item.Scalar()) : std::nullopt;
    if (!c) {
      diag_->Add(item, "channels: unknown channel" +
                           (item.IsScalar() ? " '" + item.Scalar() + "'" : std::string()) +
                           " (the channels are email and sms)");
      ok = false;
    } else if (std::find(spec.list.begin(), spec.list.end(), *c) != spec.list.end()) {
      diag_->Add(item, "channels: '" + item.Scalar() + "' is listed twice");
      ok = false;
    } else {
      spec.list.push_back(*c);
    }
  }
  if (ok && spec.list.empty()) {
    diag_->Add(e.value, "channels: the list is empty; list at least one of email, sms");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return spec;
}

std::optional<std::string> RuleReader::ReadTemplate(const YamlEntry& e) {
  auto id = ReadString(e, diag_);
  if (!id) return std::nullopt;
  if (!IsValidId(*id)) {
    diag_->Add(e.value, "send: a template id " + std::string(kIdRule));
    return std::nullopt;
  }
  if (templates_.dir.empty()) return id;
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string dir = templates_.dir + "/" + *id;
  if (!fs::is_directory(dir, ec)) {
    diag_->Add(e.value, "send: unknown template '" + *id + "' (there is no directory " + dir + ")");
    return std::nullopt;
  }
  bool ok = true;
  for (const std::string& locale : templates_.locales) {
    const std::string file = dir + "/" + locale + ".md";
    if (!fs::is_regular_file(file, ec)) {
      diag_->Add(e.value, "send: template '" + *id + "' has no '" + locale + "' version (" + file +
                              " is missing)");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return id;
}

}  // namespace herald::campaign_reader
