// MergePatchCbor against nlohmann's merge_patch + to_cbor on random documents and patches.
#include "engine/store/cbor_merge.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace herald {
namespace {

using nlohmann::json;

class Random {
 public:
  uint64_t Next(uint64_t n) {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return (state_ >> 33) % n;
  }
  // A random JSON value; objects only when `depth` allows, nulls only when `nulls`.
  json Value(int depth, bool nulls) {
    switch (Next(nulls ? 9 : 8)) {
      case 0:
        return Next(2) == 1;
      case 1:
        return Next(1000);
      case 2:
        return -static_cast<int64_t>(Next(100000));
      case 3:
        return 0.5 * static_cast<double>(Next(9)) + 1e-7 * static_cast<double>(Next(3));
      case 4:
        return std::string(Next(30), static_cast<char>('a' + Next(26)));
      case 5: {
        json a = json::array();
        for (uint64_t i = Next(4); i > 0; --i) a.push_back(Value(depth - 1, true));
        return a;
      }
      case 6:
      case 7:
        if (depth > 0) return Object(depth - 1, nulls);
        return "leaf";
      default:
        return nullptr;
    }
  }
  json Object(int depth, bool nulls) {
    json o = json::object();
    for (uint64_t i = Next(6); i > 0; --i) o[Key()] = Value(depth, nulls);
    return o;
  }
  // Keys from a small set (so patches hit existing members), with a few odd ones: an
  // empty key, a prefix of another, non-ASCII, and one long enough for a 1-byte length.
  std::string Key() {
    static const char* const kKeys[] = {"a", "ab", "b",  "status",
                                        "",  "é",  "zz", "a-much-longer-key-of-more-than-23-bytes"};
    return kKeys[Next(8)];
  }

 private:
  uint64_t state_ = 42;
};

std::string Cbor(const json& j) {
  std::string out;
  json::to_cbor(j, out);
  return out;
}

TEST_CASE("MergePatchCbor writes what nlohmann's merge_patch and to_cbor write") {
  Random rng;
  for (int i = 0; i < 3000; ++i) {
    json doc = rng.Object(3, false);
    for (int step = 0; step < 3; ++step) {
      const json patch = rng.Object(2, true);
      std::string merged = "prefix";  // appends
      MergePatchCbor(Cbor(doc), patch, &merged);
      doc.merge_patch(patch);
      REQUIRE(merged == "prefix" + Cbor(doc));
    }
  }
}

TEST_CASE("MergePatchCbor handles the cases it leaves to nlohmann") {
  std::string out;
  // A patch that is not an object replaces the document.
  MergePatchCbor(Cbor(json{{"a", 1}}), json::array({1, 2}), &out);
  CHECK(out == Cbor(json::array({1, 2})));
  // A document that is not a map.
  out.clear();
  MergePatchCbor(Cbor(json("text")), json{{"a", 1}}, &out);
  CHECK(out == Cbor(json{{"a", 1}}));
  // Big members: 2- and 4-byte lengths.
  json big = {{"s", std::string(70000, 'x')}, {"n", 1}};
  out.clear();
  MergePatchCbor(Cbor(big), json{{"n", 2}}, &out);
  big["n"] = 2;
  CHECK(out == Cbor(big));
  // Damaged input throws rather than producing garbage.
  out.clear();
  CHECK_THROWS(MergePatchCbor(std::string("\xa1\x61", 2), json{{"a", 1}}, &out));
}

}  // namespace
}  // namespace herald
