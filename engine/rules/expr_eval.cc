// Evaluation: one walk over the node array, each node visited at most once, no
// allocation beyond the values themselves. Recursion depth is bounded by the parser's
// nesting limit (see expr_ast.h).
#include <limits>

#include "engine/rules/expr_ast.h"

namespace herald::rules::internal {
namespace {

const nlohmann::json* RootOf(FieldRef::Root root, const EvalContext& ctx) {
  switch (root) {
    case FieldRef::Root::kState:
      return ctx.state;
    case FieldRef::Root::kEvent:
      return ctx.event;
    case FieldRef::Root::kRecipient:
      return ctx.recipient;
  }
  return nullptr;
}

bool AllDigits(const std::string& s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// The JSON a field names, or nullptr when any step of the path is missing. An
// all-digit name indexes an array (`event.data.items.0`).
const nlohmann::json* Resolve(const FieldRef& ref, const EvalContext& ctx) {
  const nlohmann::json* j = RootOf(ref.root, ctx);
  for (const std::string& name : ref.path) {
    if (j == nullptr) return nullptr;
    if (j->is_object()) {
      auto it = j->find(name);
      j = it == j->end() ? nullptr : &*it;
    } else if (j->is_array() && AllDigits(name) && name.size() <= 9) {
      const size_t index = std::stoul(name);
      j = index < j->size() ? &(*j)[index] : nullptr;
    } else {
      return nullptr;
    }
  }
  return j;
}

// Evaluates node `id` into `scratch`, or returns a literal in place without copying it.
const Value& EvalRef(const Program& p, uint32_t id, const EvalContext& ctx, Value& scratch) {
  const Node& n = p.nodes[id];
  if (n.op == NodeOp::kConst) return n.constant;
  scratch = EvalNode(p, id, ctx);
  return scratch;
}

bool Contains(const Program& p, const Node& n, const EvalContext& ctx) {
  Value left_scratch;
  const Value& left = EvalRef(p, n.kids[0], ctx, left_scratch);
  const Node& right_node = p.nodes[n.kids[1]];
  if (right_node.op == NodeOp::kField) {
    // Read a JSON array in place rather than copying all of it into a Value.
    const nlohmann::json* j = Resolve(p.fields[right_node.field], ctx);
    if (j == nullptr || !j->is_array()) return false;
    for (const nlohmann::json& e : *j) {
      if (Equal(left, Value::FromJson(e))) return true;
    }
    return false;
  }
  Value right_scratch;
  const Value& right = EvalRef(p, n.kids[1], ctx, right_scratch);
  for (const Value& e : right.list_value()) {  // empty unless a list
    if (Equal(left, e)) return true;
  }
  return false;
}

Value Negate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNumber:
      if (!v.is_int()) return Value::Double(-v.number_value());
      if (v.int_value() == std::numeric_limits<int64_t>::min()) {
        return Value::Double(-static_cast<double>(v.int_value()));
      }
      return Value::Int(-v.int_value());
    case Value::Kind::kDuration:
      if (v.duration_value() == std::numeric_limits<int64_t>::min()) return Value::Null();
      return Value::Duration(-v.duration_value());
    default:
      return Value::Null();
  }
}

// a + b or a - b on Micros; nullopt on overflow.
std::optional<Micros> AddMicros(char sign, Micros a, Micros b) {
  Micros out;
  const bool overflow =
      sign == '+' ? __builtin_add_overflow(a, b, &out) : __builtin_sub_overflow(a, b, &out);
  if (overflow) return std::nullopt;
  return out;
}

Value TimeOrNull(std::optional<Micros> t) {
  return t ? Value::Time(*t) : Value::Null();
}

Value DurationOrNull(std::optional<Micros> d) {
  return d ? Value::Duration(*d) : Value::Null();
}

}  // namespace

Value Arithmetic(char sign, const Value& a, const Value& b) {
  using Kind = Value::Kind;
  const Kind ka = a.kind();
  const Kind kb = b.kind();
  if (ka == Kind::kNumber && kb == Kind::kNumber) {
    if (a.is_int() && b.is_int()) {
      int64_t out;
      const bool overflow = sign == '+'
                                ? __builtin_add_overflow(a.int_value(), b.int_value(), &out)
                                : __builtin_sub_overflow(a.int_value(), b.int_value(), &out);
      if (!overflow) return Value::Int(out);
    }
    // Decimal arithmetic, also for integers whose exact result does not fit in int64.
    const double x = a.number_value();
    const double y = b.number_value();
    return Value::Double(sign == '+' ? x + y : x - y);  // an infinity becomes null
  }
  if (ka == Kind::kDuration && kb == Kind::kDuration) {
    return DurationOrNull(AddMicros(sign, a.duration_value(), b.duration_value()));
  }
  if (kb == Kind::kDuration) {  // time ± duration; a string may be a time
    std::optional<Micros> t = a.AsTime();
    if (!t) return Value::Null();
    return TimeOrNull(AddMicros(sign, *t, b.duration_value()));
  }
  if (ka == Kind::kDuration) {  // duration + time
    std::optional<Micros> t = b.AsTime();
    if (sign != '+' || !t) return Value::Null();
    return TimeOrNull(AddMicros('+', *t, a.duration_value()));
  }
  if (sign == '-') {  // time - time
    std::optional<Micros> ta = a.AsTime();
    std::optional<Micros> tb = b.AsTime();
    if (ta && tb) return DurationOrNull(AddMicros('-', *ta, *tb));
  }
  return Value::Null();
}

Value EvalNode(const Program& p, uint32_t id, const EvalContext& ctx) {
  const Node& n = p.nodes[id];
  switch (n.op) {
    case NodeOp::kConst:
      return n.constant;
    case NodeOp::kField: {
      const nlohmann::json* j = Resolve(p.fields[n.field], ctx);
      return j == nullptr ? Value::Null() : Value::FromJson(*j);
    }
    case NodeOp::kNow:
      return Value::Time(ctx.now);
    case NodeOp::kList: {
      std::vector<Value> items;
      items.reserve(n.kids.size());
      for (uint32_t kid : n.kids) items.push_back(EvalNode(p, kid, ctx));
      return Value::List(std::move(items));
    }
    case NodeOp::kNot:
      return Value::Bool(!EvalNode(p, n.kids[0], ctx).IsTrue());
    case NodeOp::kNeg:
      return Negate(EvalNode(p, n.kids[0], ctx));
    case NodeOp::kAnd:
      for (uint32_t kid : n.kids) {
        if (!EvalNode(p, kid, ctx).IsTrue()) return Value::Bool(false);
      }
      return Value::Bool(true);
    case NodeOp::kOr:
      for (uint32_t kid : n.kids) {
        if (EvalNode(p, kid, ctx).IsTrue()) return Value::Bool(true);
      }
      return Value::Bool(false);
    case NodeOp::kEq:
    case NodeOp::kNe:
    case NodeOp::kLt:
    case NodeOp::kLe:
    case NodeOp::kGt:
    case NodeOp::kGe: {
      Value left_scratch;
      Value right_scratch;
      const Value& a = EvalRef(p, n.kids[0], ctx, left_scratch);
      const Value& b = EvalRef(p, n.kids[1], ctx, right_scratch);
      if (n.op == NodeOp::kEq) return Value::Bool(Equal(a, b));
      if (n.op == NodeOp::kNe) return Value::Bool(!Equal(a, b));
      std::optional<std::strong_ordering> c = Compare(a, b);
      if (!c) return Value::Bool(false);
      switch (n.op) {
        case NodeOp::kLt:
          return Value::Bool(*c < 0);
        case NodeOp::kLe:
          return Value::Bool(*c <= 0);
        case NodeOp::kGt:
          return Value::Bool(*c > 0);
        default:
          return Value::Bool(*c >= 0);
      }
    }
    case NodeOp::kIn:
      return Value::Bool(Contains(p, n, ctx));
    case NodeOp::kNotIn:
      return Value::Bool(!Contains(p, n, ctx));
    case NodeOp::kSum: {
      Value acc = EvalNode(p, n.kids[0], ctx);
      for (size_t i = 1; i < n.kids.size(); ++i) {
        Value scratch;
        acc = Arithmetic(n.signs[i - 1], acc, EvalRef(p, n.kids[i], ctx, scratch));
      }
      return acc;
    }
  }
  return Value::Null();
}

}  // namespace herald::rules::internal
