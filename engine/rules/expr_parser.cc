// Recursive descent over the token array, one function per precedence level:
//
//   or    := and (('or' | '||') and)*
//   and   := not (('and' | '&&') not)*
//   not   := ('not' | '!') not | cmp
//   cmp   := sum [ ('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') sum ]
//   sum   := unary (('+' | '-') unary)*
//   unary := '-' unary | primary
//   primary := literal | field | 'now' | '(' or ')' | '[' [or (',' or)* [',']] ']'
//
// Recursion happens only for nesting (parentheses, brackets, prefix operators), each of
// which counts against kMaxNestingDepth before recursing, so hostile input like
// 100000 '(' fails fast instead of exhausting the stack. Chains are loops.
#include <algorithm>
#include <map>

#include "engine/core/time_format.h"
#include "engine/core/validate.h"
#include "engine/rules/expr_ast.h"
#include "engine/rules/expr_lexer.h"

namespace herald::rules::internal {
namespace {

constexpr uint32_t kFailed = UINT32_MAX;

bool IsKeyword(std::string_view w) {
  return w == "and" || w == "or" || w == "not" || w == "in" || w == "true" || w == "false" ||
         w == "null" || w == "now";
}

bool IsRoot(std::string_view w) {
  return w == "event" || w == "recipient" || w == "state";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Join(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& p : path) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

// "column 3", or "line 2, column 3" when the text has several lines.
std::string PositionPhrase(std::string_view text, size_t offset) {
  const TextPosition pos = PositionAt(text, offset);
  std::string out = "column " + std::to_string(pos.column);
  if (text.find('\n') != std::string_view::npos) {
    out = "line " + std::to_string(pos.line) + ", " + out;
  }
  return out;
}

TypeSet TypesOf(const Value& v) {
  TypeSet t = TypeBit(v.kind());
  if (v.kind() == Value::Kind::kString && ParseRfc3339(v.string_value())) t |= kTypeTimeString;
  return t;
}

TypeSet SumTypes(char sign, TypeSet a, TypeSet b) {
  constexpr TypeSet kNum = TypeBit(Value::Kind::kNumber);
  constexpr TypeSet kDur = TypeBit(Value::Kind::kDuration);
  constexpr TypeSet kTime = TypeBit(Value::Kind::kTime);
  constexpr TypeSet kTimeish = kTime | kTypeTimeString;
  TypeSet out = TypeBit(Value::Kind::kNull);  // mismatched operands, overflow
  if ((a & kNum) && (b & kNum)) out |= kNum;
  if ((a & kDur) && (b & kDur)) out |= kDur;
  if ((a & kTimeish) && (b & kDur)) out |= kTime;
  if (sign == '+' && (a & kDur) && (b & kTimeish)) out |= kTime;
  if (sign == '-' && (a & kTimeish) && (b & kTimeish)) out |= kDur;
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)), program_(std::make_shared<Program>()) {}

  std::variant<std::shared_ptr<const Program>, ExprError> Run() {
    if (Cur().kind == TokenKind::kEnd) return ExprError{0, "empty expression"};
    const uint32_t root = ParseOr();
    if (root != kFailed && Cur().kind != TokenKind::kEnd) Trailing();
    if (error_) return *error_;
    program_->text = std::string(text_);
    program_->root = root;
    return std::shared_ptr<const Program>(std::move(program_));
  }

 private:
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Peek() const { return tokens_[std::min(pos_ + 1, tokens_.size() - 1)]; }
  void Advance() {
    if (Cur().kind != TokenKind::kEnd && Cur().kind != TokenKind::kError) ++pos_;
  }
  std::vector<Node>& nodes() { return program_->nodes; }

  static bool IsWord(const Token& t, std::string_view w) {
    return t.kind == TokenKind::kWord && t.path.size() == 1 && t.path[0] == w;
  }
  bool AtOr() const { return Cur().kind == TokenKind::kOrOr || IsWord(Cur(), "or"); }
  bool AtAnd() const { return Cur().kind == TokenKind::kAndAnd || IsWord(Cur(), "and"); }
  bool AtNot() const { return Cur().kind == TokenKind::kBang || IsWord(Cur(), "not"); }

  // The comparison operator at the current token and how many tokens it takes.
  std::optional<NodeOp> AtComparison(size_t* length) const {
    *length = 1;
    switch (Cur().kind) {
      case TokenKind::kEq:
        return NodeOp::kEq;
      case TokenKind::kNe:
        return NodeOp::kNe;
      case TokenKind::kLt:
        return NodeOp::kLt;
      case TokenKind::kLe:
        return NodeOp::kLe;
      case TokenKind::kGt:
        return NodeOp::kGt;
      case TokenKind::kGe:
        return NodeOp::kGe;
      default:
        break;
    }
    if (IsWord(Cur(), "in")) return NodeOp::kIn;
    if (IsWord(Cur(), "not") && IsWord(Peek(), "in")) {
      *length = 2;
      return NodeOp::kNotIn;
    }
    return std::nullopt;
  }

  // Records the first error, at the current token. A lexical error waiting there is
  // reported instead: it is the first problem in the text.
  uint32_t Fail(std::string message) {
    if (error_) return kFailed;
    if (Cur().kind == TokenKind::kError) {
      error_ = ExprError{Cur().offset, Cur().text};
    } else {
      error_ = ExprError{Cur().offset, std::move(message)};
    }
    return kFailed;
  }

  uint32_t ExpectedValue() {
    const std::string found = DescribeToken(text_, Cur());
    if (pos_ == 0) return Fail("expected a value, found " + found);
    return Fail("expected a value after " + DescribeToken(text_, tokens_[pos_ - 1]) + ", found " +
                found);
  }

  // Enters one level of nesting at the current token; false (with the error) past the limit.
  bool Enter() {
    if (depth_ >= kMaxNestingDepth) {
      Fail("expression nests too deeply (the limit is " + std::to_string(kMaxNestingDepth) +
           " levels)");
      return false;
    }
    ++depth_;
    return true;
  }

  // Appends `node` as the root of the subtree whose nodes start at index `start`.
  // Computes its static type and folds it to a constant when all its kids are
  // constants, dropping the kids (they are exactly the nodes from `start` on).
  uint32_t Finish(Node node, size_t start) {
    bool all_const = node.op != NodeOp::kField && node.op != NodeOp::kNow;
    for (uint32_t kid : node.kids) all_const &= nodes()[kid].op == NodeOp::kConst;
    node.types = Types(node);
    nodes().push_back(std::move(node));
    const auto id = static_cast<uint32_t>(nodes().size() - 1);
    if (!all_const || nodes()[id].op == NodeOp::kConst) return id;
    Node folded;
    folded.offset = nodes()[id].offset;
    folded.constant = EvalNode(*program_, id, EvalContext{});
    folded.types = TypesOf(folded.constant);
    nodes().resize(start);
    nodes().push_back(std::move(folded));
    return static_cast<uint32_t>(nodes().size() - 1);
  }

  TypeSet Types(const Node& n) const {
    switch (n.op) {
      case NodeOp::kConst:
        return TypesOf(n.constant);
      case NodeOp::kField:
        return kTypeJson;
      case NodeOp::kNow:
        return TypeBit(Value::Kind::kTime);
      case NodeOp::kList:
        return TypeBit(Value::Kind::kList);
      case NodeOp::kNeg: {
        constexpr TypeSet kNum = TypeBit(Value::Kind::kNumber);
        constexpr TypeSet kDur = TypeBit(Value::Kind::kDuration);
        const TypeSet t = program_->nodes[n.kids[0]].types;
        TypeSet out = t & (kNum | kDur);
        if (t & ~(kNum | kDur)) out |= TypeBit(Value::Kind::kNull);
        return out;
      }
      case NodeOp::kSum: {
        TypeSet acc = program_->nodes[n.kids[0]].types;
        for (size_t i = 1; i < n.kids.size(); ++i) {
          acc = SumTypes(n.signs[i - 1], acc, program_->nodes[n.kids[i]].types);
        }
        return acc;
      }
      default:  // not, and, or, comparisons, in
        return TypeBit(Value::Kind::kBool);
    }
  }

  uint32_t Const(Value v, size_t offset) {
    Node n;
    n.offset = offset;
    n.constant = std::move(v);
    return Finish(std::move(n), nodes().size());
  }

  uint32_t ParseOr() {
    const size_t start = nodes().size();
    const uint32_t first = ParseAnd();
    if (first == kFailed || !AtOr()) return first;
    Node n;
    n.op = NodeOp::kOr;
    n.offset = Cur().offset;
    n.kids.push_back(first);
    while (AtOr()) {
      Advance();
      const uint32_t kid = ParseAnd();
      if (kid == kFailed) return kFailed;
      n.kids.push_back(kid);
    }
    return Finish(std::move(n), start);
  }

  uint32_t ParseAnd() {
    const size_t start = nodes().size();
    const uint32_t first = ParseNot();
    if (first == kFailed || !AtAnd()) return first;
    Node n;
    n.op = NodeOp::kAnd;
    n.offset = Cur().offset;
    n.kids.push_back(first);
    while (AtAnd()) {
      Advance();
      const uint32_t kid = ParseNot();
      if (kid == kFailed) return kFailed;
      n.kids.push_back(kid);
    }
    return Finish(std::move(n), start);
  }

  uint32_t ParseNot() {
    if (!AtNot()) return ParseComparison();
    const size_t start = nodes().size();
    Node n;
    n.op = NodeOp::kNot;
    n.offset = Cur().offset;
    if (!Enter()) return kFailed;
    Advance();
    const uint32_t kid = ParseNot();
    --depth_;
    if (kid == kFailed) return kFailed;
    n.kids.push_back(kid);
    return Finish(std::move(n), start);
  }

  uint32_t ParseComparison() {
    const size_t start = nodes().size();
    const uint32_t left = ParseSum();
    if (left == kFailed) return kFailed;
    size_t length;
    std::optional<NodeOp> op = AtComparison(&length);
    if (!op) return left;
    Node n;
    n.op = *op;
    n.offset = Cur().offset;
    for (size_t i = 0; i < length; ++i) Advance();
    const uint32_t right = ParseSum();
    if (right == kFailed) return kFailed;
    if (AtComparison(&length)) {
      return Fail("comparisons cannot be chained; combine them with 'and'");
    }
    n.kids = {left, right};
    return Finish(std::move(n), start);
  }

  uint32_t ParseSum() {
    const size_t start = nodes().size();
    const uint32_t first = ParseUnary();
    if (first == kFailed) return kFailed;
    auto at_sign = [this] {
      return Cur().kind == TokenKind::kPlus || Cur().kind == TokenKind::kMinus;
    };
    if (!at_sign()) return first;
    Node n;
    n.op = NodeOp::kSum;
    n.offset = Cur().offset;
    n.kids.push_back(first);
    while (at_sign()) {
      n.signs += Cur().kind == TokenKind::kPlus ? '+' : '-';
      Advance();
      const uint32_t kid = ParseUnary();
      if (kid == kFailed) return kFailed;
      n.kids.push_back(kid);
    }
    return Finish(std::move(n), start);
  }

  uint32_t ParseUnary() {
    if (Cur().kind != TokenKind::kMinus) return ParsePrimary();
    const size_t start = nodes().size();
    Node n;
    n.op = NodeOp::kNeg;
    n.offset = Cur().offset;
    if (!Enter()) return kFailed;
    Advance();
    const uint32_t kid = ParseUnary();
    --depth_;
    if (kid == kFailed) return kFailed;
    n.kids.push_back(kid);
    return Finish(std::move(n), start);
  }

  uint32_t ParsePrimary() {
    const Token& t = Cur();
    const size_t offset = t.offset;
    switch (t.kind) {
      case TokenKind::kInt:
        Advance();
        return Const(Value::Int(t.int_value), offset);
      case TokenKind::kDecimal:
        Advance();
        return Const(Value::Double(t.double_value), offset);
      case TokenKind::kString: {
        Value v = Value::String(t.text);
        Advance();
        return Const(std::move(v), offset);
      }
      case TokenKind::kDuration:
        Advance();
        return Const(Value::Duration(t.int_value), offset);
      case TokenKind::kTime:
        Advance();
        return Const(Value::Time(t.int_value), offset);
      case TokenKind::kLParen:
        return ParseParenthesized();
      case TokenKind::kLBracket:
        return ParseList();
      case TokenKind::kWord:
        return ParseWord();
      default:
        return ExpectedValue();
    }
  }

  uint32_t ParseParenthesized() {
    const size_t open = Cur().offset;
    if (!Enter()) return kFailed;
    Advance();
    const uint32_t inner = ParseOr();
    if (inner == kFailed) return kFailed;
    if (Cur().kind != TokenKind::kRParen) {
      return Fail("expected ')' to close '(' at " + PositionPhrase(text_, open));
    }
    Advance();
    --depth_;
    return inner;
  }

  uint32_t ParseList() {
    const size_t start = nodes().size();
    const size_t open = Cur().offset;
    Node n;
    n.op = NodeOp::kList;
    n.offset = open;
    if (!Enter()) return kFailed;
    Advance();
    while (Cur().kind != TokenKind::kRBracket) {
      if (n.kids.size() == kMaxListElements) {
        return Fail("a list can have at most " + std::to_string(kMaxListElements) + " elements");
      }
      const uint32_t kid = ParseOr();
      if (kid == kFailed) return kFailed;
      n.kids.push_back(kid);
      if (Cur().kind == TokenKind::kComma) {
        Advance();  // a trailing comma before ']' is allowed
      } else if (Cur().kind != TokenKind::kRBracket) {
        return Fail("expected ',' or ']' to close '[' at " + PositionPhrase(text_, open));
      }
    }
    Advance();
    --depth_;
    return Finish(std::move(n), start);
  }

  uint32_t ParseWord() {
    const Token& t = Cur();
    const std::string& first = t.path[0];
    if (t.path.size() == 1) {
      if (first == "true" || first == "false") {
        Advance();
        return Const(Value::Bool(first == "true"), t.offset);
      }
      if (first == "null") {
        Advance();
        return Const(Value::Null(), t.offset);
      }
      if (first == "now") {
        Node n;
        n.op = NodeOp::kNow;
        n.offset = t.offset;
        program_->uses_now = true;
        Advance();
        return Finish(std::move(n), nodes().size());
      }
      if (IsKeyword(first)) return ExpectedValue();
    }
    if (IsKeyword(first)) return Fail("'" + first + "' is a keyword and has no fields");
    FieldRef ref;
    if (IsRoot(first)) {
      if (t.path.size() == 1) {
        return Fail("'" + first + "' needs a field name, e.g. " +
                    (first == "event"       ? "event.type"
                     : first == "recipient" ? "recipient.locale"
                                            : "state.status"));
      }
      ref.root = first == "event"       ? FieldRef::Root::kEvent
                 : first == "recipient" ? FieldRef::Root::kRecipient
                                        : FieldRef::Root::kState;
      ref.path.assign(t.path.begin() + 1, t.path.end());
    } else {
      const std::string lower = Lower(first);
      if (lower != first && (IsKeyword(lower) || IsRoot(lower))) {
        return Fail("'" + first + "' is not a keyword: write '" + lower + "' (or state." +
                    Join(t.path) + " for a state field of that name)");
      }
      ref.path = t.path;
    }
    Node n;
    n.op = NodeOp::kField;
    n.offset = t.offset;
    n.field = AddField(std::move(ref));
    Advance();
    return Finish(std::move(n), nodes().size());
  }

  uint32_t AddField(FieldRef ref) {
    std::string key = ref.ToString();
    auto [it, inserted] = field_index_.emplace(key, program_->fields.size());
    if (inserted) {
      program_->fields.push_back(std::move(ref));
      program_->field_paths.push_back(std::move(key));
    }
    return it->second;
  }

  // The current token cannot follow a complete expression.
  void Trailing() {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kRParen:
        Fail("unmatched ')'");
        return;
      case TokenKind::kRBracket:
        Fail("unmatched ']'");
        return;
      case TokenKind::kLParen:
        if (tokens_[pos_ - 1].kind == TokenKind::kWord) {
          Fail(DescribeToken(text_, tokens_[pos_ - 1]) +
               " is not a function: expressions have no function calls");
          return;
        }
        break;
      case TokenKind::kWord: {
        const std::string lower = Lower(t.path[0]);
        if (t.path.size() == 1 && lower != t.path[0] && IsKeyword(lower)) {
          Fail("'" + t.path[0] + "' is not an operator: write '" + lower + "'");
          return;
        }
        break;
      }
      default:
        break;
    }
    Fail("expected an operator or the end of the expression, found " + DescribeToken(text_, t));
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::shared_ptr<Program> program_;
  std::map<std::string, uint32_t> field_index_;
  std::optional<ExprError> error_;
};

}  // namespace

std::variant<std::shared_ptr<const Program>, ExprError> ParseProgram(std::string_view text) {
  if (text.size() > kMaxExpressionBytes) {
    return ExprError{kMaxExpressionBytes, "expression is too long: " + std::to_string(text.size()) +
                                              " bytes (the limit is " +
                                              std::to_string(kMaxExpressionBytes) + ")"};
  }
  if (std::optional<size_t> bad = FindInvalidUtf8(text)) {
    return ExprError{*bad, "invalid UTF-8"};
  }
  return Parser(text, Lex(text)).Run();
}

}  // namespace herald::rules::internal
