#include "engine/store/keys.h"

#include <doctest/doctest.h>

#include <string>

namespace herald {
namespace {

using namespace std::string_literals;

TEST_CASE("sequence keys are 8-byte big-endian and sort numerically") {
  CHECK(EncodeSeq(1) == "\0\0\0\0\0\0\0\x01"s);
  CHECK(EncodeSeq(0x0102030405060708) == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(EncodeSeq(255) < EncodeSeq(256));
  CHECK(EncodeSeq(1'000'000) < EncodeSeq(UINT64_MAX));
  CHECK(DecodeSeq(EncodeSeq(123456789)) == 123456789u);
  CHECK_FALSE(DecodeSeq("short").has_value());
}

TEST_CASE("case_events keys do not let one case's range contain another's") {
  // With a separator byte, case "a" + NUL-something could fall inside case "a"'s range;
  // the length prefix keeps the ranges disjoint whatever bytes the ids contain.
  const std::string a = CaseEventPrefix("a");
  const std::string a_nul = CaseEventPrefix("a\0b"s);
  CHECK(a != a_nul.substr(0, a.size()));
  CHECK(CaseEventKey("a", 7).starts_with(a));
  CHECK_FALSE(CaseEventKey("a\0b"s, 7).starts_with(a));
  CHECK(CaseEventSeq(CaseEventKey("a", 7), a) == 7u);
  CHECK_FALSE(CaseEventSeq(CaseEventKey("ab", 7), a).has_value());
  CHECK(CaseEventKey("a", 1) < CaseEventKey("a", 2));
}

TEST_CASE("idempotency keys separate the API key from the event id") {
  CHECK(IdempotencyKey("k", "1x") != IdempotencyKey("k1", "x"));
  CHECK(IdempotencyKey("k\0"s, "x") != IdempotencyKey("k", "\0x"s));
  CHECK(CursorKey("rules") == "cursor/rules");
}

TEST_CASE("PutSeqAt overwrites in place and KeyHash separates columns") {
  std::string key = CaseEventKey("c", 0);
  PutSeqAt(&key, key.size() - 8, 258);
  CHECK(key == CaseEventKey("c", 258));
  CHECK(KeyHash(StoreColumn::kCases, "x") == KeyHash(StoreColumn::kCases, "x"));
  CHECK(KeyHash(StoreColumn::kCases, "x") != KeyHash(StoreColumn::kRecipients, "x"));
  CHECK(KeyHash(StoreColumn::kCases, "x") != KeyHash(StoreColumn::kCases, "y"));
}

}  // namespace
}  // namespace herald
