#include "engine/rules/value.h"

#include <cmath>
#include <limits>

#include "engine/core/duration.h"
#include "engine/core/time_format.h"

namespace herald::rules {
namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

const std::vector<Value>& EmptyList() {
  static const std::vector<Value>* const kEmpty = new std::vector<Value>();
  return *kEmpty;
}

const nlohmann::json& EmptyObject() {
  static const nlohmann::json* const kEmpty = new nlohmann::json(nlohmann::json::object());
  return *kEmpty;
}

template <typename T>
std::strong_ordering Order(const T& a, const T& b) {
  if (a < b) return std::strong_ordering::less;
  if (b < a) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

// Exact comparison of an integer with a finite double, without the rounding that
// converting either to the other's type would bring.
std::strong_ordering CompareIntDouble(int64_t i, double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) return std::strong_ordering::less;
  if (d < -kTwo63) return std::strong_ordering::greater;
  const double floor_d = std::floor(d);
  const auto whole = static_cast<int64_t>(floor_d);  // in range: -2^63 <= floor_d < 2^63
  if (i != whole) return Order(i, whole);
  return floor_d < d ? std::strong_ordering::less : std::strong_ordering::equal;
}

std::strong_ordering CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return Order(a.int_value(), b.int_value());
  if (a.is_int()) return CompareIntDouble(a.int_value(), b.number_value());
  if (b.is_int()) return 0 <=> CompareIntDouble(b.int_value(), a.number_value());
  // Doubles of the language are finite, so this is a total order.
  return Order(a.number_value(), b.number_value());
}

}  // namespace

Value Value::Bool(bool b) {
  Value v;
  v.data_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.data_ = i;
  return v;
}

Value Value::Double(double d) {
  Value v;
  if (std::isfinite(d)) v.data_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.data_ = std::move(s);
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.data_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return v;
}

Value Value::Object(nlohmann::json object) {
  Value v;
  if (object.is_object()) v.data_ = std::make_shared<const nlohmann::json>(std::move(object));
  return v;
}

Value Value::Time(Micros t) {
  Value v;
  v.data_ = TimeRep{t};
  return v;
}

Value Value::Duration(Micros d) {
  Value v;
  v.data_ = DurationRep{d};
  return v;
}

Value Value::FromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Bool(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Int(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Int(static_cast<int64_t>(u));
      }
      return Double(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Double(j.get<double>());
    case nlohmann::json::value_t::string:
      return String(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(FromJson(e));
      return List(std::move(items));
    }
    case nlohmann::json::value_t::object:
      return Object(j);
    default:  // null, binary, discarded
      return Null();
  }
}

Value::Kind Value::kind() const {
  switch (data_.index()) {
    case 0:
      return Kind::kNull;
    case 1:
      return Kind::kBool;
    case 2:
    case 3:
      return Kind::kNumber;
    case 4:
      return Kind::kString;
    case 5:
      return Kind::kList;
    case 6:
      return Kind::kObject;
    case 7:
      return Kind::kTime;
    default:
      return Kind::kDuration;
  }
}

bool Value::IsTrue() const {
  const bool* b = std::get_if<bool>(&data_);
  return b != nullptr && *b;
}

bool Value::bool_value() const {
  return IsTrue();
}

int64_t Value::int_value() const {
  if (const auto* i = std::get_if<int64_t>(&data_)) return *i;
  if (const auto* d = std::get_if<double>(&data_)) {
    // Saturate instead of the undefined behaviour of an out-of-range conversion.
    if (*d >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
    if (*d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(*d);
  }
  return 0;
}

double Value::number_value() const {
  if (const auto* i = std::get_if<int64_t>(&data_)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&data_)) return *d;
  return 0;
}

const std::string& Value::string_value() const {
  const auto* s = std::get_if<std::string>(&data_);
  return s != nullptr ? *s : EmptyString();
}

const std::vector<Value>& Value::list_value() const {
  const auto* l = std::get_if<ListRep>(&data_);
  return l != nullptr ? **l : EmptyList();
}

const nlohmann::json& Value::object_value() const {
  const auto* o = std::get_if<ObjectRep>(&data_);
  return o != nullptr ? **o : EmptyObject();
}

Micros Value::time_value() const {
  const auto* t = std::get_if<TimeRep>(&data_);
  return t != nullptr ? t->t : 0;
}

Micros Value::duration_value() const {
  const auto* d = std::get_if<DurationRep>(&data_);
  return d != nullptr ? d->d : 0;
}

std::optional<Micros> Value::AsTime() const {
  if (const auto* t = std::get_if<TimeRep>(&data_)) return t->t;
  if (const auto* s = std::get_if<std::string>(&data_)) return ParseRfc3339(*s);
  return std::nullopt;
}

nlohmann::json Value::ToJson() const {
  switch (kind()) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return bool_value();
    case Kind::kNumber:
      if (is_int()) return int_value();
      return number_value();
    case Kind::kString:
      return string_value();
    case Kind::kList: {
      nlohmann::json out = nlohmann::json::array();
      for (const Value& v : list_value()) out.push_back(v.ToJson());
      return out;
    }
    case Kind::kObject:
      return object_value();
    case Kind::kTime:
      return FormatRfc3339(time_value());
    case Kind::kDuration:
      return FormatDuration(duration_value());
  }
  return nullptr;
}

std::string Value::ToString() const {
  switch (kind()) {
    case Kind::kTime:
      return FormatRfc3339(time_value());
    case Kind::kDuration:
      return FormatDuration(duration_value());
    case Kind::kList: {
      std::string out = "[";
      for (const Value& v : list_value()) {
        if (out.size() > 1) out += ", ";
        out += v.ToString();
      }
      return out + "]";
    }
    default:
      // Replace invalid UTF-8 rather than throw: a message must always be printable.
      return ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

std::string_view KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kNumber:
      return "number";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kObject:
      return "object";
    case Value::Kind::kTime:
      return "time";
    case Value::Kind::kDuration:
      return "duration";
  }
  return "unknown";
}

bool Equal(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  const Kind ka = a.kind();
  const Kind kb = b.kind();
  if (ka == Kind::kTime || kb == Kind::kTime) {
    std::optional<Micros> ta = a.AsTime();
    std::optional<Micros> tb = b.AsTime();
    return ta && tb && *ta == *tb;
  }
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kNumber:
      return CompareNumbers(a, b) == 0;
    case Kind::kString:
      return a.string_value() == b.string_value();
    case Kind::kList: {
      const std::vector<Value>& la = a.list_value();
      const std::vector<Value>& lb = b.list_value();
      if (la.size() != lb.size()) return false;
      for (size_t i = 0; i < la.size(); ++i) {
        if (!Equal(la[i], lb[i])) return false;
      }
      return true;
    }
    case Kind::kObject:
      return a.object_value() == b.object_value();
    case Kind::kDuration:
      return a.duration_value() == b.duration_value();
    case Kind::kTime:  // handled above
      return false;
  }
  return false;
}

std::optional<std::strong_ordering> Compare(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  const Kind ka = a.kind();
  const Kind kb = b.kind();
  if (ka == Kind::kTime || kb == Kind::kTime) {
    std::optional<Micros> ta = a.AsTime();
    std::optional<Micros> tb = b.AsTime();
    if (!ta || !tb) return std::nullopt;
    return Order(*ta, *tb);
  }
  if (ka != kb) return std::nullopt;
  switch (ka) {
    case Kind::kNumber:
      return CompareNumbers(a, b);
    case Kind::kString: {
      // Bytewise as unsigned char (char_traits<char>), which for UTF-8 is code point order.
      const int c = a.string_value().compare(b.string_value());
      return c < 0 ? std::strong_ordering::less
                   : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
    }
    case Kind::kDuration:
      return Order(a.duration_value(), b.duration_value());
    default:
      return std::nullopt;
  }
}

}  // namespace herald::rules
