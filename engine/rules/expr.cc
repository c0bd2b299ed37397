#include "engine/rules/expr.h"

#include <algorithm>

#include "engine/core/validate.h"
#include "engine/rules/expr_ast.h"

namespace herald::rules {
namespace {

bool IsReserved(std::string_view w) {
  return w == "and" || w == "or" || w == "not" || w == "in" || w == "true" || w == "false" ||
         w == "null" || w == "now" || w == "event" || w == "recipient" || w == "state";
}

// Whether a state field whose first name is `first` must be written with "state.":
// bare, a reserved word in any case ("And": the parser refuses it, asking for "and")
// would not read as that field, nor would a name starting with a digit ("0" is a number,
// "2d" a duration).
bool NeedsStatePrefix(std::string_view first) {
  if (first.empty() || (first[0] >= '0' && first[0] <= '9')) return true;
  std::string lower(first);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return IsReserved(lower);
}

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The empty program: evaluates to null.
std::shared_ptr<const internal::Program> EmptyProgram() {
  static const auto* const kEmpty = [] {
    auto p = std::make_shared<internal::Program>();
    p->nodes.emplace_back();  // a constant null
    p->nodes.back().types = internal::TypeBit(Value::Kind::kNull);
    return new std::shared_ptr<const internal::Program>(std::move(p));
  }();
  return *kEmpty;
}

}  // namespace

std::string FieldRef::ToString() const {
  std::string out;
  switch (root) {
    case Root::kState:
      if (path.empty() || NeedsStatePrefix(path[0])) out = "state";
      break;
    case Root::kEvent:
      out = "event";
      break;
    case Root::kRecipient:
      out = "recipient";
      break;
  }
  for (const std::string& p : path) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

Expression::Expression() : program_(EmptyProgram()) {}

Expression::Expression(std::shared_ptr<const internal::Program> program)
    : program_(std::move(program)) {}

std::variant<Expression, ExprError> Expression::Parse(std::string_view text) {
  auto parsed = internal::ParseProgram(text);
  if (auto* error = std::get_if<ExprError>(&parsed)) return std::move(*error);
  return Expression(std::get<std::shared_ptr<const internal::Program>>(std::move(parsed)));
}

Value Expression::Evaluate(const EvalContext& ctx) const {
  return internal::EvalNode(*program_, program_->root, ctx);
}

bool Expression::Truthy(const EvalContext& ctx) const {
  return Evaluate(ctx).IsTrue();
}

std::optional<Micros> Expression::Time(const EvalContext& ctx) const {
  return Evaluate(ctx).AsTime();
}

const std::vector<FieldRef>& Expression::Fields() const {
  return program_->fields;
}

const std::vector<std::string>& Expression::FieldPaths() const {
  return program_->field_paths;
}

bool Expression::UsesNow() const {
  return program_->uses_now;
}

bool Expression::MayYield(Value::Kind kind) const {
  return (program_->nodes[program_->root].types & internal::TypeBit(kind)) != 0;
}

bool Expression::MayYieldTime() const {
  return (program_->nodes[program_->root].types &
          (internal::TypeBit(Value::Kind::kTime) | internal::kTypeTimeString)) != 0;
}

const std::string& Expression::text() const {
  return program_->text;
}

TextPosition PositionAt(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition pos;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if (!IsContinuation(text[i])) {
      ++pos.column;
    }
  }
  return pos;
}

std::string CaretLine(std::string_view text, size_t offset) {
  constexpr size_t kWidth = 100;  // code points shown of a long line
  constexpr size_t kBefore = 60;  // of which before the caret, when cutting
  offset = std::min(offset, text.size());
  const size_t line_start = text.rfind('\n', offset == 0 ? std::string_view::npos : offset - 1);
  const size_t begin = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  size_t end = text.find('\n', offset);
  if (end == std::string_view::npos) end = text.size();
  if (end > begin && text[end - 1] == '\r' && end - 1 >= offset) --end;
  const std::string_view line = text.substr(begin, end - begin);

  // Split the line into code points (each byte of an ill-formed sequence counts as one)
  // and find the caret's.
  std::vector<std::string_view> points;
  size_t caret = 0;
  for (size_t i = 0; i < line.size();) {
    const size_t n = std::max<size_t>(1, Utf8SequenceLength(line, i));
    if (begin + i + n <= offset) caret = points.size() + 1;  // wholly before the offset
    points.push_back(line.substr(i, n));
    i += n;
  }

  size_t first = 0;
  size_t last = points.size();
  if (points.size() > kWidth) {
    first = caret > kBefore ? caret - kBefore : 0;
    last = std::min(points.size(), first + kWidth);
    if (last - first < kWidth) first = last - kWidth;
  }
  std::string shown = first > 0 ? "..." : "";
  std::string marker(shown.size(), ' ');
  for (size_t k = first; k < last; ++k) {
    const std::string_view p = points[k];
    const auto b = static_cast<unsigned char>(p[0]);
    const bool ill_formed = (b >= 0x80 && p.size() == 1) || IsContinuation(p[0]);
    if (p == "\t") {
      shown += '\t';
    } else if (b < 0x20 || b == 0x7F || ill_formed) {
      shown += '?';
    } else {
      shown += p;
    }
    if (k < caret) marker += p == "\t" ? '\t' : ' ';
  }
  if (last < points.size()) shown += "...";
  return shown + "\n" + marker + "^";
}

}  // namespace herald::rules
