// RFC 7396 JSON Merge Patch applied to a CBOR-encoded document, without decoding it.
//
// Internal to engine/store. Case state is stored as CBOR (records.h) and every accepted
// event merges its `data` into it. Decoding the state into nlohmann::json, merging and
// re-encoding costs dozens of allocations per event; this walks the encoded map instead,
// copying untouched members as raw bytes and encoding only the patch's values. The output
// is byte-for-byte what nlohmann::json::to_cbor(merged) writes for the same document
// (members in sorted key order, shortest lengths), so the two paths are interchangeable.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace herald {

// Appends to *out the CBOR of `state` (CBOR as nlohmann::json::to_cbor writes it) merged
// with `patch`. Throws nlohmann::json::exception when `state` is not valid CBOR.
void MergePatchCbor(std::string_view state, const nlohmann::json& patch, std::string* out);

}  // namespace herald
