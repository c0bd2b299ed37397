#include "engine/store/cbor_merge.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace herald {
namespace {

constexpr uint8_t kText = 3;
constexpr uint8_t kMap = 5;

// The argument of the CBOR head at `in` (length, count or value) and the head's size;
// nullopt for indefinite lengths or truncated input.
struct Head {
  uint8_t major;
  uint64_t arg;
  size_t size;
};
std::optional<Head> ReadHead(std::string_view in) {
  if (in.empty()) return std::nullopt;
  const auto b = static_cast<uint8_t>(in[0]);
  Head h{static_cast<uint8_t>(b >> 5), static_cast<uint64_t>(b & 0x1f), 1};
  if (h.arg < 24) return h;
  if (h.arg > 27) return std::nullopt;  // 28-30 reserved, 31 indefinite
  const size_t n = size_t{1} << (h.arg - 24);
  if (in.size() < 1 + n) return std::nullopt;
  h.arg = 0;
  for (size_t i = 1; i <= n; ++i) h.arg = (h.arg << 8) | static_cast<uint8_t>(in[i]);
  h.size = 1 + n;
  return h;
}

// The size of the complete data item at the front of `in`; nullopt when malformed.
std::optional<size_t> ItemSize(std::string_view in, int depth = 0) {
  if (depth > 512) return std::nullopt;
  std::optional<Head> h = ReadHead(in);
  if (!h) return std::nullopt;
  size_t size = h->size;
  switch (h->major) {
    case 0:
    case 1:
      return size;
    case 2:
    case 3:
      if (in.size() - size < h->arg) return std::nullopt;
      return size + h->arg;
    case 4:
    case 5: {
      const uint64_t items = h->major == 4 ? h->arg : 2 * h->arg;
      for (uint64_t i = 0; i < items; ++i) {
        std::optional<size_t> n = ItemSize(in.substr(size), depth + 1);
        if (!n) return std::nullopt;
        size += *n;
      }
      return size;
    }
    case 6: {  // tag: the tagged item follows
      std::optional<size_t> n = ItemSize(in.substr(size), depth + 1);
      if (!n) return std::nullopt;
      return size + *n;
    }
    default:  // 7: simple values and floats carry their payload in the head
      if ((in[0] & 0x1f) == 24) return in.size() >= 2 ? std::optional<size_t>(2) : std::nullopt;
      return size;
  }
}

void AppendHead(std::string* out, uint8_t major, uint64_t arg) {
  const auto m = static_cast<char>(major << 5);
  if (arg < 24) {
    out->push_back(static_cast<char>(m | arg));
    return;
  }
  int bytes = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffff ? 4 : 8;
  out->push_back(static_cast<char>(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27)));
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((arg >> (8 * i)) & 0xff));
}

// One member of an encoded map: its key's text and the raw bytes of its value.
struct Member {
  std::string_view key;
  std::string_view value;
};

// Splits an encoded map into its members; false when `map` is not exactly one map with
// text keys in nlohmann's (sorted) order.
bool ReadMap(std::string_view map, std::vector<Member>* members) {
  std::optional<Head> h = ReadHead(map);
  if (!h || h->major != kMap) return false;
  std::string_view rest = map.substr(h->size);
  members->clear();
  for (uint64_t i = 0; i < h->arg; ++i) {
    std::optional<Head> k = ReadHead(rest);
    if (!k || k->major != kText || rest.size() - k->size < k->arg) return false;
    Member m{rest.substr(k->size, k->arg), {}};
    if (!members->empty() && !(members->back().key < m.key)) return false;
    rest.remove_prefix(k->size + k->arg);
    std::optional<size_t> n = ItemSize(rest);
    if (!n) return false;
    m.value = rest.substr(0, *n);
    rest.remove_prefix(*n);
    members->push_back(m);
  }
  return rest.empty();
}

// Appends the merge of `patch` (an object) into `target` (an encoded map, or empty for
// none). False, with *out unspecified, when `target` is not a map this can walk.
// nlohmann's CBOR writer, appending to the merge's output; one per merge, as each costs an
// allocation.
using CborWriter = nlohmann::detail::binary_writer<nlohmann::json, char>;

bool MergeObject(std::string_view target, const nlohmann::json& patch, std::string* out,
                 CborWriter& writer, int depth) {
  if (depth > 64) return false;
  std::vector<Member> members;
  if (!target.empty() && !ReadMap(target, &members)) return false;
  // Merge-join the target's members and the patch's (both in sorted key order).
  uint64_t count = 0;
  {
    size_t i = 0;
    for (auto p = patch.begin(); p != patch.end(); ++p) {
      while (i < members.size() && members[i].key < p.key()) ++i, ++count;
      if (i < members.size() && members[i].key == p.key()) ++i;
      if (!p.value().is_null()) ++count;  // null deletes the member
    }
    count += members.size() - i;
  }
  AppendHead(out, kMap, count);
  auto append_key = [&](std::string_view key) {
    AppendHead(out, kText, key.size());
    out->append(key);
  };
  size_t i = 0;
  for (auto p = patch.begin(); p != patch.end(); ++p) {
    for (; i < members.size() && members[i].key < p.key(); ++i) {
      append_key(members[i].key);
      out->append(members[i].value);
    }
    std::string_view old;
    if (i < members.size() && members[i].key == p.key()) old = members[i++].value;
    const nlohmann::json& v = p.value();
    if (v.is_null()) continue;
    append_key(p.key());
    if (v.is_object()) {
      // A nested patch merges into the old value when that is a map, else into nothing.
      std::optional<Head> h = ReadHead(old);
      if (!MergeObject(h && h->major == kMap ? old : std::string_view(), v, out, writer,
                       depth + 1)) {
        return false;
      }
    } else {
      writer.write_cbor(v);
    }
  }
  for (; i < members.size(); ++i) {
    append_key(members[i].key);
    out->append(members[i].value);
  }
  return true;
}

}  // namespace

void MergePatchCbor(std::string_view state, const nlohmann::json& patch, std::string* out) {
  const size_t start = out->size();
  if (patch.is_object()) {
    CborWriter writer{nlohmann::detail::output_adapter<char, std::string>(*out)};
    if (MergeObject(state, patch, out, writer, 0)) return;
  }
  // Anything else (a patch that is not an object, a state that is not a map or not in
  // nlohmann's canonical form): the slow, general way.
  out->resize(start);
  nlohmann::json doc = nlohmann::json::from_cbor(state);
  doc.merge_patch(patch);
  nlohmann::json::to_cbor(doc, *out);
}

}  // namespace herald
