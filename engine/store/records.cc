#include "engine/store/records.h"

#include <exception>
#include <stdexcept>
#include <vector>

#include "engine/store/keys.h"

namespace herald {
namespace {

constexpr char kVersion1 = 1;

std::string EncodeJsonV1(const nlohmann::json& j) {
  std::string out(1, kVersion1);
  nlohmann::json::to_cbor(j, out);
  return out;
}

// Parses a version-1 CBOR value; throws (nlohmann::json::exception) on bad input, which
// the Decode* functions below turn into Corruption.
nlohmann::json DecodeJsonV1(std::string_view in, const char* what) {
  if (in.empty() || in[0] != kVersion1) {
    throw std::runtime_error(std::string("unknown ") + what + " record version");
  }
  return nlohmann::json::from_cbor(in.substr(1));
}

Status CorruptionFrom(const char* what, const std::exception& ex) {
  return Status::Corruption(std::string("store: cannot decode ") + what + ": " + ex.what());
}

}  // namespace

std::string EncodeStoredEvent(const StoredEvent& e) {
  return EncodeJsonV1(StoredEventToJson(e));
}

Result<StoredEvent> DecodeStoredEvent(std::string_view in) {
  try {
    return StoredEventFromJson(DecodeJsonV1(in, "event"));
  } catch (const std::exception& ex) {
    return CorruptionFrom("event", ex);
  }
}

std::string EncodeCaseRecord(const CaseRecord& c) {
  nlohmann::json j = nlohmann::json::object();
  j["case_id"] = c.case_id;
  j["state"] = c.state;
  if (c.recipient) j["recipient"] = RecipientToJson(*c.recipient);
  j["last_seq"] = c.last_seq;
  j["event_count"] = c.event_count;
  j["created_at_us"] = c.created_at;
  j["updated_at_us"] = c.updated_at;
  return EncodeJsonV1(j);
}

Result<CaseRecord> DecodeCaseRecord(std::string_view in) {
  try {
    const nlohmann::json j = DecodeJsonV1(in, "case");
    CaseRecord c;
    c.case_id = j.at("case_id").get<std::string>();
    c.state = j.at("state");
    if (auto it = j.find("recipient"); it != j.end()) c.recipient = RecipientFromJson(*it);
    c.last_seq = j.at("last_seq").get<uint64_t>();
    c.event_count = j.at("event_count").get<uint64_t>();
    c.created_at = j.at("created_at_us").get<Micros>();
    c.updated_at = j.at("updated_at_us").get<Micros>();
    return c;
  } catch (const std::exception& ex) {
    return CorruptionFrom("case", ex);
  }
}

std::string EncodeRecipient(const Recipient& r) {
  return EncodeJsonV1(RecipientToJson(r));
}

Result<Recipient> DecodeRecipient(std::string_view in) {
  try {
    return RecipientFromJson(DecodeJsonV1(in, "recipient"));
  } catch (const std::exception& ex) {
    return CorruptionFrom("recipient", ex);
  }
}

std::string EncodeIdempotencyEntry(const IdempotencyEntry& e) {
  std::string out(1, kVersion1);
  AppendSeq(&out, e.seq);
  out.append(e.fingerprint);
  return out;
}

Result<IdempotencyEntry> DecodeIdempotencyEntry(std::string_view in) {
  if (in.size() < 9 || in[0] != kVersion1) {
    return Status::Corruption("store: cannot decode idempotency entry");
  }
  IdempotencyEntry e;
  e.seq = *DecodeSeq(in.substr(1, 8));
  e.fingerprint = std::string(in.substr(9));
  return e;
}

}  // namespace herald
