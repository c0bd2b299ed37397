#include "templates/render_context.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "templates/locale_format.h"
#include "templates/text_util.h"

namespace herald::templates_internal {
namespace {

using Data = kainjow::mustache::data;
using Json = nlohmann::json;

thread_local RenderState* tls_state = nullptr;

class JsonContext;
thread_local JsonContext* tls_context = nullptr;  // the context of tls_state's render
const Data* LookupVariable(JsonContext* ctx, std::string_view path);

std::string EscapeCurrent(const std::string& value) {
  // Outside RenderPart (never in practice): HTML-escape, the safest choice.
  return tls_state ? EscapeValue(value, tls_state->escape) : HtmlEscape(value);
}

// A JSON scalar as text: strings as they are, numbers as JSON writes them, true/false.
std::string ScalarText(const Json& j) {
  switch (j.type()) {
    case Json::value_t::string:
      return j.get_ref<const std::string&>();
    case Json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
      return std::to_string(j.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(j.get<uint64_t>());
    default:
      return j.dump();
  }
}

bool IsScalar(const Json& j) {
  return j.is_string() || j.is_number() || j.is_boolean();
}

// MessageFormat text: apostrophes doubled, and each syntax character quoted on its own
// (ICU's default apostrophe mode only starts a quote before a syntax character).
std::string QuoteForMessageFormat(const std::string& value) {
  std::string line = StripToLine(value);
  std::string out;
  out.reserve(line.size() + 8);
  for (char c : line) {
    if (c == '\'') {
      out.append("''");
    } else if (c == '{' || c == '}' || c == '#' || c == '|') {
      out.push_back('\'');
      out.push_back(c);
      out.push_back('\'');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const Data& TrueData() {
  static const Data d(true);
  return d;
}
const Data& FalseData() {
  static const Data d(false);
  return d;
}

// True when `text` (a section's kainjow source) is one variable tag and whitespace:
// "{{@due_date}}", " {{ @a.b }}\n". `*path` is the name.
bool SingleVariable(std::string_view text, std::string_view* path) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\n' || v.front() == '\r' ||
                          v.front() == '\t' || v.front() == kLineKeeper)) {
      v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\n' || v.back() == '\r' ||
                          v.back() == '\t' || v.back() == kLineKeeper)) {
      v.remove_suffix(1);
    }
    return v;
  };
  text = trim(text);
  if (!text.starts_with("{{") || !text.ends_with("}}") || text.size() < 5) return false;
  std::string_view inside = trim(text.substr(2, text.size() - 4));
  if (inside.empty() || inside[0] != '@' || inside.find_first_of("{} ") != std::string_view::npos) {
    return false;
  }
  *path = inside.substr(1);
  return !path->empty();
}

enum class HelperKind { kDate, kDateFull, kTime, kDateTime, kDateTimeFull, kNumber, kPlural };

std::string RunHelper(HelperKind kind, std::string_view name, const std::string& text,
                      const kainjow::mustache::renderer& render) {
  RenderState* st = tls_state;
  if (st == nullptr) return {};
  const EscapeMode outer = st->escape;
  const size_t missing_before = st->missing_events, errors_before = st->errors.size();
  std::vector<std::string> used;
  std::vector<std::string>* outer_used = st->used;
  st->used = &used;
  st->escape = kind == HelperKind::kPlural ? EscapeMode::kMessageFormat : EscapeMode::kRaw;
  std::string inner;
  std::string_view path;
  if (kind != HelperKind::kPlural && tls_context && SingleVariable(text, &path)) {
    // The common {{#date}}{{due_date}}{{/date}}: read the value without kainjow parsing
    // and rendering the section's text again (same lookup, same bookkeeping).
    const Data* d = LookupVariable(tls_context, path);
    if (d) inner = d->string_value();
  } else {
    inner = render(text);
    std::erase(inner, kLineKeeper);
  }
  st->escape = outer;
  st->used = outer_used;
  if (outer_used) outer_used->insert(outer_used->end(), used.begin(), used.end());
  // A missing variable inside is reported as such; no second error about the empty value.
  if (st->missing_events != missing_before || st->errors.size() != errors_before) return {};

  Result<std::string> out = Status::Internal("unreachable");
  switch (kind) {
    case HelperKind::kDate:
      out = FormatDateText(inner, DateStyle::kDate, st->locale, st->timezone);
      break;
    case HelperKind::kDateFull:
      out = FormatDateText(inner, DateStyle::kDateFull, st->locale, st->timezone);
      break;
    case HelperKind::kTime:
      out = FormatDateText(inner, DateStyle::kTime, st->locale, st->timezone);
      break;
    case HelperKind::kDateTime:
      out = FormatDateText(inner, DateStyle::kDateTime, st->locale, st->timezone);
      break;
    case HelperKind::kDateTimeFull:
      out = FormatDateText(inner, DateStyle::kDateTimeFull, st->locale, st->timezone);
      break;
    case HelperKind::kNumber:
      out = FormatNumberText(inner, st->locale);
      break;
    case HelperKind::kPlural:
      out = FormatPluralText(inner, st->locale);
      break;
  }
  if (!out.ok()) {
    // Name what was formatted without echoing case data: the variables, or the literal
    // text when the template wrote the value itself.
    std::string what;
    if (used.empty()) {
      what = "'" + inner.substr(0, 60) + "'";
    } else {
      for (const std::string& u : used) {
        if (what.find("'" + u + "'") != std::string::npos) continue;
        what += (what.empty() ? "the value of '" : ", '") + u + "'";
      }
    }
    st->errors.push_back(std::string(st->part) + ": {{#" + std::string(name) + "}}: " + what + " " +
                         out.status().message());
    return {};
  }
  return EscapeValue(*out, outer);
}

const Data* HelperData(std::string_view name) {
  static const std::unordered_map<std::string_view, Data>* helpers = [] {
    auto* m = new std::unordered_map<std::string_view, Data>();
    auto add = [m](std::string_view n, HelperKind k) {
      kainjow::mustache::lambda2 fn = [k, n](const std::string& text,
                                             const kainjow::mustache::renderer& r) {
        return RunHelper(k, n, text, r);
      };
      m->emplace(n, Data(fn));
    };
    add("date", HelperKind::kDate);
    add("date_full", HelperKind::kDateFull);
    add("time", HelperKind::kTime);
    add("datetime", HelperKind::kDateTime);
    add("datetime_full", HelperKind::kDateTimeFull);
    add("number", HelperKind::kNumber);
    add("plural", HelperKind::kPlural);
    return m;
  }();
  auto it = helpers->find(name);
  return it == helpers->end() ? nullptr : &it->second;
}

// A kainjow context over JSON. Frames are `data` stand-ins, each mapped to the JSON value
// it stands for; kainjow only ever sees stand-ins for truthiness and list length.
class JsonContext final : public kainjow::mustache::basic_context<std::string> {
 public:
  JsonContext(const Json* root, RenderState* st) : st_(st) {
    origin_.reserve(16);
    push(StandIn(root));
  }

  void push(const Data* d) override { stack_.push_back(d); }
  void pop() override { stack_.pop_back(); }

  const Data* get(const std::string& name) const override {
    if (!name.empty() && name[0] == '@') return Variable(std::string_view(name).substr(1));
    return Section(name);
  }
  const Data* get_partial(const std::string&) const override { return nullptr; }

 private:
  const Json* OriginOf(const Data* d) const {
    auto it = origin_.find(d);
    return it == origin_.end() ? nullptr : it->second;
  }

  // Mustache name resolution: "." is the innermost value; for "a.b.c" the innermost frame
  // that has "a", then "b" and "c" inside it (no further search once "a" is found).
  const Json* Resolve(std::string_view path) const {
    if (path.empty() || path == ".") {
      for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
        if (const Json* j = OriginOf(*it)) return j;
      }
      return nullptr;
    }
    const size_t dot = path.find('.');
    const std::string first(path.substr(0, dot));
    const Json* cur = nullptr;
    for (auto it = stack_.rbegin(); it != stack_.rend() && !cur; ++it) {
      const Json* j = OriginOf(*it);
      if (j && j->is_object()) {
        auto f = j->find(first);
        if (f != j->end()) cur = &*f;
      }
    }
    if (!cur || dot == std::string_view::npos) return cur;
    std::string_view rest = path.substr(dot + 1);
    while (!rest.empty()) {
      const size_t next = rest.find('.');
      const std::string seg(rest.substr(0, next));
      if (!cur->is_object()) return nullptr;
      auto f = cur->find(seg);
      if (f == cur->end()) return nullptr;
      cur = &*f;
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
    return cur;
  }

  const Data* StandIn(const Json* j) const {
    const Data* d = &arena_.emplace_back(true);
    origin_[d] = j;
    return d;
  }

  const Data* Variable(std::string_view path) const {
    if (st_->used) st_->used->emplace_back(path);
    const Json* j = Resolve(path);
    if (!j || j->is_null()) {
      ++st_->missing_events;
      if (std::find(st_->missing.begin(), st_->missing.end(), path) == st_->missing.end()) {
        st_->missing.emplace_back(path);
      }
      return nullptr;
    }
    if (!IsScalar(*j)) {
      std::string p(path);
      st_->errors.push_back(std::string(st_->part) + ": '" + p + "' is " +
                            (j->is_array() ? "a list" : "an object") + ", not a value; use {{#" +
                            p + "}}...{{/" + p + "}} to show what is inside it");
      return nullptr;
    }
    return &arena_.emplace_back(ScalarText(*j));
  }

  const Data* Section(const std::string& name) const {
    if (const Data* h = HelperData(name)) return h;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      const Json* j = Resolve(std::string_view(name).substr(0, eq));
      const bool equal = j && IsScalar(*j) && ScalarText(*j) == name.substr(eq + 1);
      return equal ? &TrueData() : &FalseData();
    }
    const Json* j = Resolve(name);
    if (!j) return nullptr;
    if (j->is_null() || (j->is_boolean() && !j->get<bool>()) ||
        (j->is_string() && j->get_ref<const std::string&>().empty()) ||
        (j->is_array() && j->empty())) {
      return &FalseData();
    }
    if (!j->is_array()) return StandIn(j);
    Data list(Data::type::list);
    for (size_t i = 0; i < j->size(); ++i) list.push_back(Data(true));
    const Data* d = &arena_.emplace_back(std::move(list));
    const auto& items = d->list_value();
    for (size_t i = 0; i < items.size(); ++i) origin_[&items[i]] = &(*j)[i];
    return d;
  }

  RenderState* st_;
  std::vector<const Data*> stack_;
  mutable std::deque<Data> arena_;  // stand-ins and values; stable addresses
  mutable std::unordered_map<const Data*, const Json*> origin_;
};

const Data* LookupVariable(JsonContext* ctx, std::string_view path) {
  return ctx->get("@" + std::string(path));
}

class CurrentState {
 public:
  explicit CurrentState(RenderState* st) : saved_(tls_state) { tls_state = st; }
  ~CurrentState() { tls_state = saved_; }
  CurrentState(const CurrentState&) = delete;
  CurrentState& operator=(const CurrentState&) = delete;

 private:
  RenderState* saved_;
};

}  // namespace

std::string EscapeValue(const std::string& value, EscapeMode mode) {
  switch (mode) {
    case EscapeMode::kLine:
      return StripToLine(value);
    case EscapeMode::kRaw:
      return value;
    case EscapeMode::kMessageFormat:
      return QuoteForMessageFormat(value);
    case EscapeMode::kMarked:
      return kValueStart + StripToText(value) + kValueEnd;
  }
  return value;
}

void SplitMarked(std::string_view marked, std::string* markdown, std::string* text) {
  markdown->reserve(marked.size() + 64);
  text->reserve(marked.size());
  size_t pos = 0;
  while (pos < marked.size()) {
    const size_t start = marked.find(kValueStart, pos);
    const size_t end = start == std::string_view::npos ? start : marked.find(kValueEnd, start);
    if (end == std::string_view::npos) break;
    markdown->append(marked.substr(pos, start - pos));
    text->append(marked.substr(pos, start - pos));
    const std::string_view value = marked.substr(start + 1, end - start - 1);
    markdown->append(MarkdownEscape(value));
    text->append(value);
    pos = end + 1;
  }
  markdown->append(marked.substr(std::min(pos, marked.size())));
  text->append(marked.substr(std::min(pos, marked.size())));
}

CompiledPart CompilePart(std::string_view source) {
  CompiledPart part;
  part.source = std::string(source);
  part.scan = ScanMustache(source);
  if (!part.scan.errors.empty()) return part;
  auto tmpl = std::make_unique<kainjow::mustache::mustache>(part.scan.kainjow_source);
  if (!tmpl->is_valid()) {
    part.scan.errors.push_back({0, "the template does not parse: " + tmpl->error_message()});
    return part;
  }
  tmpl->set_custom_escape(&EscapeCurrent);
  part.tmpl = std::move(tmpl);
  return part;
}

std::shared_ptr<const CompiledTemplate> CompiledOf(const MessageTemplate& t) {
  if (t.compiled) return t.compiled;
  auto c = std::make_shared<CompiledTemplate>();
  c->subject = CompilePart(t.subject);
  c->sms = CompilePart(t.sms);
  c->body = CompilePart(t.body);
  for (CompiledPart* p : {&c->subject, &c->sms, &c->body}) {
    p->tag_at.assign(p->scan.tags.size(), TextPosition{});
  }
  return c;
}

std::string RenderPart(const CompiledPart& part, RenderState* state) {
  if (!part.tmpl) {
    state->errors.push_back(std::string(state->part) + ": the template did not load");
    return {};
  }
  CurrentState current(state);
  JsonContext ctx(state->data, state);
  JsonContext* saved_context = tls_context;
  tls_context = &ctx;
  // kainjow's render is not const, but it writes nothing for a template that parsed and
  // has no partials (see the header).
  std::string out = part.tmpl->render(ctx);
  tls_context = saved_context;
  std::erase(out, kLineKeeper);
  return out;
}

}  // namespace herald::templates_internal
