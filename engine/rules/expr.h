// The campaign expression language: `when:`, `while:` and `at:` in campaign YAML.
//
//   when: status in ["approved", "denied"]
//   at: interview_at - 2d
//   while: interview_at > now
//
// docs/expressions.md is the language reference for agencies; this header is the
// contract for engine code. An expression is parsed once (when campaigns are loaded)
// and evaluated many times against a case. Evaluation cannot run code, loop or fail:
// it is linear in the size of the expression (plus the JSON it reads), and every
// question it cannot answer (a missing field, a type mismatch, an overflow) has a
// documented answer, usually null or false.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "engine/rules/value.h"

namespace herald::rules {

// Hard limits, so a hostile or mistaken campaign file cannot make parsing or
// evaluation expensive. Exceeding one is a parse error.
inline constexpr size_t kMaxExpressionBytes = 4096;
inline constexpr int kMaxNestingDepth = 64;  // parentheses, list brackets, not / ! / unary -
inline constexpr size_t kMaxListElements = 1000;

// What an expression reads. Nothing is owned: the pointed-to documents must outlive the
// Evaluate call (not the returned Value, which owns its data). A null pointer reads as
// an empty document: every field under it is null.
struct EvalContext {
  const nlohmann::json* state = nullptr;      // the case state after the event (an object)
  const nlohmann::json* event = nullptr;      // the event being processed, EventToJson form
  const nlohmann::json* recipient = nullptr;  // the recipient, RecipientToJson form
  Micros now = 0;                             // the evaluation's `now`, from the engine Clock
};

// Why a text is not an expression. `offset` is a byte offset into the text (at most
// text.size(): the end, for "unexpected end" errors); use PositionAt for a line and
// column and CaretLine to show it. `message` is for people, e.g. "unterminated string",
// "expected ')' to close '(' at column 3", "'3x' is not a duration (use s, m, h, d, w)".
struct ExprError {
  size_t offset = 0;
  std::string message;
};

// A field an expression reads.
struct FieldRef {
  enum class Root : uint8_t {
    kState,      // a bare name (`status`, `household.size`) or `state.<name>`
    kEvent,      // event.<name>
    kRecipient,  // recipient.<name>
  };
  Root root = Root::kState;
  std::vector<std::string> path;  // below the root: {"household", "size"}, {"data", "urgent"}

  // The reference as an expression writes it: "household.size", "event.data.urgent",
  // "recipient.locale"; a state field whose first name is a reserved word (in any case)
  // or starts with a digit keeps its "state." prefix ("state.event", "state.And",
  // "state.0"), so the string always parses back to the same field.
  std::string ToString() const;

  bool operator==(const FieldRef&) const = default;
};

namespace internal {
struct Program;
}

// A parsed expression. Immutable after Parse: copies share the parsed form (copying is
// a reference-count increment), and any number of threads may evaluate the same
// Expression at once. A default-constructed Expression is empty: its text is "", it
// reads no fields and evaluates to null.
class Expression {
 public:
  Expression();

  // Parses `text`, which must be well-formed UTF-8 of at most kMaxExpressionBytes.
  // On failure the ExprError points at the first problem, left to right.
  static std::variant<Expression, ExprError> Parse(std::string_view text);

  // Evaluates against `ctx`. Does not throw (allocation failure aside): a missing field
  // is null, and an operation on values it does not apply to yields null (arithmetic) or
  // false (comparisons, `in`). See docs/expressions.md for the full rules.
  Value Evaluate(const EvalContext& ctx) const;

  // For `when:` and `while:`: true only when the expression evaluates to the boolean
  // true. null, false and every non-boolean value (1, "yes", a list) are not true, so a
  // missing field never fires a campaign.
  bool Truthy(const EvalContext& ctx) const;

  // For `at:`: the instant the expression evaluates to, when it is a time or a string
  // that parses as RFC 3339; nullopt otherwise (missing field, wrong type, overflow).
  std::optional<Micros> Time(const EvalContext& ctx) const;

  // The distinct fields the expression reads, in order of first appearance. The
  // scheduler re-plans an `at:` or re-checks a `while:` when one of them changes; note
  // that a change to a field also changes every field below it (replacing `household`
  // changes `household.size`). FieldPaths() is the same list as strings
  // (FieldRef::ToString): {"interview_at"}, {"recipient.locale", "event.data.urgent"}.
  const std::vector<FieldRef>& Fields() const;
  const std::vector<std::string>& FieldPaths() const;

  // True when the expression reads `now`: its value changes with time alone, so a
  // `while: interview_at > now` must be re-checked as time passes, not only on events.
  bool UsesNow() const;

  // Static type hints for the campaign validator, from the expression's shape alone.
  // MayYield(kind) is false when no case state can make the expression evaluate to
  // `kind` (a comparison never yields a time; a field may yield anything).
  // MayYieldTime() is what `at:` needs: the expression may yield a time or a string
  // that may parse as RFC 3339 (`interview_at - 2d`, `interview_at`, `now + 1h`), so
  // `at: status == "x"` or `at: 3d` can be rejected: "at: must be a timestamp
  // expression". Likewise `when:` can require MayYield(Value::Kind::kBool).
  bool MayYield(Value::Kind kind) const;
  bool MayYieldTime() const;

  // The text as given to Parse.
  const std::string& text() const;

 private:
  explicit Expression(std::shared_ptr<const internal::Program> program);

  std::shared_ptr<const internal::Program> program_;
};

// A 1-based line and column of a byte offset in `text`. Lines are separated by '\n';
// the column counts Unicode code points (not bytes) from the start of the line, so it
// matches what an editor shows for text without wide or combining characters. An
// offset past the end is read as the end.
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};
TextPosition PositionAt(std::string_view text, size_t offset);

// Two lines, joined by '\n' with no trailing newline: the line of `text` holding
// `offset`, and a caret under the code point at `offset` (after the last one for the
// end), e.g. for offset 10 of `status == "x` :
//   status == "x
//             ^
// Tabs before the caret are kept as tabs so the caret lines up in a terminal; control
// characters and ill-formed UTF-8 show as '?'. A line longer than 100 code points is cut
// to a window around the caret, marked with "..." at the cut ends.
std::string CaretLine(std::string_view text, size_t offset);

}  // namespace herald::rules
