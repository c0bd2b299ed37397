// The parsed form of an expression. Internal to engine/rules: Expression (expr.h) is
// the public face; the parser (expr_parser.cc) builds a Program and the evaluator
// (expr_eval.cc) walks it.
//
// A Program is a flat array of nodes addressed by index, children before parents, so
// it is one allocation-friendly block, immutable once built and shared by every copy
// of its Expression. Chains of `and`, `or`, `+` and `-` are single n-ary nodes, so the
// depth of the tree (and of the evaluator's recursion) is bounded by the parser's
// nesting limit, not by the length of the expression.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/rules/expr.h"
#include "engine/rules/value.h"

namespace herald::rules::internal {

enum class NodeOp : uint8_t {
  kConst,  // `constant` (literals, and subtrees folded at parse time)
  kField,  // Program::fields[field]
  kNow,    // EvalContext::now
  kList,   // a list literal with non-constant elements: kids are the elements
  kNot,    // kids[0]
  kNeg,    // unary minus: kids[0]
  kAnd,    // kids[0] and kids[1] and ...: short-circuit
  kOr,     // kids[0] or kids[1] or ...: short-circuit
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
  kSum,  // kids[0] (signs[i-1] kids[i])*, left to right; signs are '+' or '-'
};

// Static types: one bit per Value::Kind, plus kTypeTimeString for a string that may
// parse as RFC 3339 (a field, or a literal that does).
using TypeSet = uint16_t;
constexpr TypeSet TypeBit(Value::Kind k) {
  return static_cast<TypeSet>(1u << static_cast<unsigned>(k));
}
constexpr TypeSet kTypeTimeString = 1u << 8;
// What a field may hold: any JSON value, an RFC 3339 string among them. Never a time or
// a duration as such: JSON has neither.
constexpr TypeSet kTypeJson = TypeBit(Value::Kind::kNull) | TypeBit(Value::Kind::kBool) |
                              TypeBit(Value::Kind::kNumber) | TypeBit(Value::Kind::kString) |
                              TypeBit(Value::Kind::kList) | TypeBit(Value::Kind::kObject) |
                              kTypeTimeString;

struct Node {
  NodeOp op = NodeOp::kConst;
  size_t offset = 0;  // where the node's operator or literal is in the text
  uint32_t field = 0;
  TypeSet types = 0;
  std::vector<uint32_t> kids;
  std::string signs;
  Value constant;
};

struct Program {
  std::string text;
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::vector<FieldRef> fields;
  std::vector<std::string> field_paths;
  bool uses_now = false;
};

// Parses `text` into a Program (expr_parser.cc).
std::variant<std::shared_ptr<const Program>, ExprError> ParseProgram(std::string_view text);

// Evaluates node `id` of `program` (expr_eval.cc). The parser uses it to fold constants.
Value EvalNode(const Program& program, uint32_t id, const EvalContext& ctx);

// The language's binary + and - (expr_eval.cc); `sign` is '+' or '-'.
Value Arithmetic(char sign, const Value& a, const Value& b);

}  // namespace herald::rules::internal
