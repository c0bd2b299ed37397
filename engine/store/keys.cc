#include "engine/store/keys.h"

#include <functional>

namespace herald {

void AppendSeq(std::string* dst, uint64_t seq) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((seq >> shift) & 0xff));
  }
}

void PutSeqAt(std::string* dst, size_t offset, uint64_t seq) {
  for (int i = 7; i >= 0; --i, seq >>= 8) (*dst)[offset + i] = static_cast<char>(seq & 0xff);
}

std::string EncodeSeq(uint64_t seq) {
  std::string out;
  out.reserve(8);
  AppendSeq(&out, seq);
  return out;
}

std::optional<uint64_t> DecodeSeq(std::string_view in) {
  if (in.size() != 8) return std::nullopt;
  uint64_t seq = 0;
  for (char c : in) seq = (seq << 8) | static_cast<uint8_t>(c);
  return seq;
}

void AppendLengthPrefixed(std::string* dst, std::string_view s) {
  // Ids are bounded far below 4 GiB by the API's request size limit.
  const auto n = static_cast<uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((n >> shift) & 0xff));
  }
  dst->append(s);
}

std::string CaseEventPrefix(std::string_view case_id) {
  std::string out;
  out.reserve(4 + case_id.size() + 8);
  AppendLengthPrefixed(&out, case_id);
  return out;
}

std::string CaseEventKey(std::string_view case_id, uint64_t seq) {
  std::string out = CaseEventPrefix(case_id);
  AppendSeq(&out, seq);
  return out;
}

std::optional<uint64_t> CaseEventSeq(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  return DecodeSeq(key.substr(prefix.size()));
}

std::string IdempotencyKey(std::string_view key_id, std::string_view event_id) {
  std::string out;
  out.reserve(4 + key_id.size() + event_id.size());
  AppendLengthPrefixed(&out, key_id);
  out.append(event_id);
  return out;
}

uint64_t KeyHash(StoreColumn column, std::string_view key) {
  // splitmix64's finalizer spreads the column into every bit of the string hash.
  uint64_t h =
      std::hash<std::string_view>{}(key) + 0x9e3779b97f4a7c15ull * (1 + static_cast<int>(column));
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

std::string CursorKey(std::string_view consumer) {
  std::string out = "cursor/";
  out.append(consumer);
  return out;
}

}  // namespace herald
