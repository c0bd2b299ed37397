#include "engine/store/records.h"

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "engine/core/sha256.h"
#include "engine/store/keys.h"

namespace herald {
namespace {

constexpr char kVersion1 = 1;
constexpr char kVersion2 = 2;
// `events` only: a flags byte after the times (records.h). Written by retention alone,
// so the appenders' fixed offsets (SetEventReceivedAt) never see it.
constexpr char kVersion3 = 3;
constexpr uint8_t kEventRedacted = 1;

// Event value offsets.
constexpr size_t kReceivedAtOffset = 1;
constexpr size_t kOccurredAtOffset = 9;
constexpr size_t kEventHeaderBytes = 17;

// Case record offsets.
constexpr size_t kLastSeqOffset = 1;
constexpr size_t kEventCountOffset = 9;
constexpr size_t kCreatedAtOffset = 17;
constexpr size_t kUpdatedAtOffset = 25;
constexpr size_t kCaseHeaderBytes = 33;

enum RecipientMask : uint8_t {
  kEmail = 1,
  kPhone = 2,
  kLocale = 4,
  kTimezone = 8,
  kChannels = 16,
};

void AppendMicros(std::string* out, Micros t) {
  AppendSeq(out, static_cast<uint64_t>(t));
}

// Reads the fields of a value front to back; any read past the end makes ok() false and
// later reads return empty values, so decoders check once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  std::string_view rest() const { return in_; }
  uint8_t Byte() {
    if (in_.empty()) return Fail(), 0;
    const auto b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  uint64_t U64() {
    if (in_.size() < 8) return Fail(), 0;
    const uint64_t v = *DecodeSeq(in_.substr(0, 8));
    in_.remove_prefix(8);
    return v;
  }
  std::string_view LengthPrefixed() {
    if (in_.size() < 4) return Fail(), std::string_view();
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(in_[i]);
    if (in_.size() - 4 < n) return Fail(), std::string_view();
    std::string_view s = in_.substr(4, n);
    in_.remove_prefix(4 + n);
    return s;
  }

 private:
  void Fail() {
    ok_ = false;
    in_ = {};
  }
  std::string_view in_;
  bool ok_ = true;
};

std::string EncodeChannels(const std::vector<Channel>& channels) {
  // The API accepts each channel at most once, so there are far fewer than 256.
  std::string out(1, static_cast<char>(channels.size()));
  for (Channel c : channels) out.push_back(c == Channel::kEmail ? 0 : 1);
  return out;
}

void AppendRecipientFields(std::string* out, const RecipientFields& r) {
  uint8_t mask = 0;
  if (r.email) mask |= kEmail;
  if (r.phone) mask |= kPhone;
  if (r.locale) mask |= kLocale;
  if (r.timezone) mask |= kTimezone;
  if (r.channels) mask |= kChannels;
  out->push_back(static_cast<char>(mask));
  AppendLengthPrefixed(out, r.id);
  if (r.email) AppendLengthPrefixed(out, *r.email);
  if (r.phone) AppendLengthPrefixed(out, *r.phone);
  if (r.locale) AppendLengthPrefixed(out, *r.locale);
  if (r.timezone) AppendLengthPrefixed(out, *r.timezone);
  if (r.channels) out->append(*r.channels);
}

std::optional<RecipientFields> ReadRecipientFields(Reader& in) {
  RecipientFields r;
  const uint8_t mask = in.Byte();
  r.id = in.LengthPrefixed();
  if (mask & kEmail) r.email = in.LengthPrefixed();
  if (mask & kPhone) r.phone = in.LengthPrefixed();
  if (mask & kLocale) r.locale = in.LengthPrefixed();
  if (mask & kTimezone) r.timezone = in.LengthPrefixed();
  if (mask & kChannels) {
    const uint8_t n = in.Byte();
    std::string channels(1, static_cast<char>(n));
    for (uint8_t i = 0; i < n; ++i) {
      const uint8_t c = in.Byte();
      if (c > 1) return std::nullopt;
      channels.push_back(static_cast<char>(c));
    }
    r.channels = std::move(channels);
  }
  if (!in.ok() || (mask & ~0x1f) != 0) return std::nullopt;
  return r;
}

Recipient ToRecipient(const RecipientFields& f) {
  Recipient r;
  r.id = std::string(f.id);
  if (f.email) r.email = std::string(*f.email);
  if (f.phone) r.phone = std::string(*f.phone);
  if (f.locale) r.locale = std::string(*f.locale);
  if (f.timezone) r.timezone = std::string(*f.timezone);
  if (f.channels) {
    std::vector<Channel> list;
    for (size_t i = 1; i < f.channels->size(); ++i) {
      list.push_back((*f.channels)[i] == 0 ? Channel::kEmail : Channel::kSms);
    }
    r.channels = std::move(list);
  }
  return r;
}

// Appends `s` exactly as nlohmann::json::dump() writes a string: plain printable ASCII
// verbatim (the common case, done here without a copy); anything that needs escaping or
// UTF-8 validation goes through nlohmann itself, which throws for invalid UTF-8.
void AppendJsonString(std::string* out, std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      out->append(nlohmann::json(s).dump());
      return;
    }
  }
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

// EventToJson(e).dump() without building the JSON object (which copies `data`): the
// canonical text, members in nlohmann's (sorted) key order and no whitespace.
void AppendCanonicalEventJson(std::string* out, const Event& e) {
  out->append(R"({"case_id":)");
  AppendJsonString(out, e.case_id);
  if (!e.data.is_null()) {
    out->append(R"(,"data":)");
    // What e.data.dump() does, writing into *out instead of a temporary string.
    nlohmann::detail::serializer<nlohmann::json> json_writer(
        nlohmann::detail::output_adapter<char, std::string>(*out), ' ',
        nlohmann::json::error_handler_t::strict);
    json_writer.dump(e.data, false, false, 0);
  }
  out->append(R"(,"id":)");
  AppendJsonString(out, e.id);
  out->append(R"(,"occurred_at":)");
  AppendJsonString(out, e.occurred_at);
  if (e.recipient) {
    const Recipient& r = *e.recipient;
    // Members are written in sorted key order; `sep` puts the commas between them.
    char sep = '{';
    auto member = [&](std::string_view key) {
      out->push_back(sep);
      sep = ',';
      out->push_back('"');
      out->append(key);
      out->append("\":");
    };
    out->append(R"(,"recipient":)");
    if (r.channels) {
      member("channels");
      out->push_back('[');
      for (size_t i = 0; i < r.channels->size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(out, ChannelName((*r.channels)[i]));
      }
      out->push_back(']');
    }
    if (r.email) member("email"), AppendJsonString(out, *r.email);
    if (!r.id.empty()) member("id"), AppendJsonString(out, r.id);
    if (r.locale) member("locale"), AppendJsonString(out, *r.locale);
    if (r.phone) member("phone"), AppendJsonString(out, *r.phone);
    if (r.timezone) member("timezone"), AppendJsonString(out, *r.timezone);
    if (sep == '{') out->push_back('{');
    out->push_back('}');
  }
  out->append(R"(,"type":)");
  AppendJsonString(out, e.type);
  out->push_back('}');
}

Status CorruptionFrom(const char* what, const std::exception& ex) {
  return Status::Corruption(std::string("store: cannot decode ") + what + ": " + ex.what());
}

Status BadRecord(const char* what) {
  return Status::Corruption(std::string("store: cannot decode ") + what +
                            ": truncated or unknown version");
}

}  // namespace

size_t AppendEventValue(std::string* out, std::string_view key_id, const Event& e) {
  out->push_back(kVersion2);
  AppendMicros(out, 0);  // received_at: SetEventReceivedAt
  AppendMicros(out, e.occurred_at_us);
  AppendLengthPrefixed(out, key_id);
  const size_t json_at = out->size();
  AppendCanonicalEventJson(out, e);
  return json_at;
}

std::string EncodeEventValue(std::string_view key_id, const Event& e, std::string* fingerprint) {
  std::string out;
  out.reserve(kEventHeaderBytes + 4 + key_id.size() + 384);
  const size_t json_at = AppendEventValue(&out, key_id, e);
  fingerprint->resize(kFingerprintBytes);
  FingerprintOf(std::string_view(out).substr(json_at), fingerprint->data());
  return out;
}

void FingerprintOf(std::string_view event_json, char out[kFingerprintBytes]) {
  // One context and one fetched algorithm per thread, reused for every event.
  struct Sha256 {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Sha256() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  thread_local Sha256 sha;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (sha.md == nullptr || sha.ctx == nullptr || !EVP_DigestInit_ex(sha.ctx, sha.md, nullptr) ||
      !EVP_DigestUpdate(sha.ctx, event_json.data(), event_json.size()) ||
      !EVP_DigestFinal_ex(sha.ctx, digest, &len) || len * 2 != kFingerprintBytes) {
    const std::string hex = Sha256Hex(event_json);  // the plain way, if this one failed
    hex.copy(out, kFingerprintBytes);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
}

void SetEventReceivedAt(std::string* value, Micros received_at) {
  PutSeqAt(value, kReceivedAtOffset, static_cast<uint64_t>(received_at));
}

Result<StoredEvent> DecodeStoredEvent(uint64_t seq, std::string_view value) {
  Reader in(value);
  const uint8_t version = in.Byte();
  if (version != kVersion2 && version != kVersion3) return BadRecord("event");
  StoredEvent s;
  s.seq = seq;
  s.received_at = static_cast<Micros>(in.U64());
  const auto occurred_at_us = static_cast<Micros>(in.U64());
  if (version == kVersion3) {
    const uint8_t flags = in.Byte();
    if ((flags & ~kEventRedacted) != 0) return BadRecord("event");
    s.redacted = (flags & kEventRedacted) != 0;
  }
  s.key_id = std::string(in.LengthPrefixed());
  if (!in.ok()) return BadRecord("event");
  try {
    s.event = EventFromJson(nlohmann::json::parse(in.rest()));
  } catch (const std::exception& ex) {
    return CorruptionFrom("event", ex);
  }
  s.event.occurred_at_us = occurred_at_us;
  return s;
}

Result<Micros> PeekEventReceivedAt(std::string_view value) {
  Reader in(value);
  const uint8_t version = in.Byte();
  const auto received_at = static_cast<Micros>(in.U64());
  if (!in.ok() || (version != kVersion2 && version != kVersion3)) return BadRecord("event");
  return received_at;
}

bool IsRedactedEventValue(std::string_view value) {
  return value.size() > kEventHeaderBytes && value[0] == kVersion3 &&
         (static_cast<uint8_t>(value[kEventHeaderBytes]) & kEventRedacted) != 0;
}

Event RedactedEvent(const Event& e) {
  Event r;
  r.id = e.id;
  r.case_id = e.case_id;
  r.type = e.type;
  r.occurred_at = e.occurred_at;
  r.occurred_at_us = e.occurred_at_us;
  // The recipient id says whom the case wrote to without saying how to reach them; kept
  // like the case id. An anonymous recipient (no id) leaves nothing worth keeping.
  if (e.recipient && !e.recipient->id.empty()) {
    r.recipient.emplace();
    r.recipient->id = e.recipient->id;
  }
  return r;
}

std::string EncodeRedactedEventValue(const StoredEvent& s) {
  std::string out;
  out.push_back(kVersion3);
  AppendMicros(&out, s.received_at);
  AppendMicros(&out, s.event.occurred_at_us);
  out.push_back(static_cast<char>(kEventRedacted));
  AppendLengthPrefixed(&out, s.key_id);
  AppendCanonicalEventJson(&out, RedactedEvent(s.event));
  return out;
}

RecipientFields FieldsOf(const Recipient& r) {
  RecipientFields f;
  f.id = r.id;
  if (r.email) f.email = *r.email;
  if (r.phone) f.phone = *r.phone;
  if (r.locale) f.locale = *r.locale;
  if (r.timezone) f.timezone = *r.timezone;
  if (r.channels) f.channels = EncodeChannels(*r.channels);
  return f;
}

void MergeRecipientFields(RecipientFields* base, const Recipient& update) {
  if (base->id.empty()) base->id = update.id;
  if (update.email) base->email = *update.email;
  if (update.phone) base->phone = *update.phone;
  if (update.locale) base->locale = *update.locale;
  if (update.timezone) base->timezone = *update.timezone;
  if (update.channels) base->channels = EncodeChannels(*update.channels);
}

Result<CaseFields> ParseCaseRecord(std::string_view value) {
  static_assert(kEventCountOffset == kLastSeqOffset + 8 &&
                kCaseHeaderBytes == kUpdatedAtOffset + 8);
  Reader in(value);
  if (in.Byte() != kVersion2) return BadRecord("case");
  CaseFields c;
  c.last_seq = in.U64();
  c.event_count = in.U64();
  c.created_at = static_cast<Micros>(in.U64());
  c.updated_at = static_cast<Micros>(in.U64());
  if (in.Byte() != 0) {
    c.recipient = ReadRecipientFields(in);
    if (!c.recipient) return BadRecord("case");
  }
  if (!in.ok() || in.rest().empty()) return BadRecord("case");
  c.state = in.rest();
  return c;
}

void AppendCaseRecord(std::string* out, const CaseFields& c) {
  out->reserve(out->size() + kCaseHeaderBytes + 96 + c.state.size());
  out->push_back(kVersion2);
  AppendSeq(out, c.last_seq);
  AppendSeq(out, c.event_count);
  AppendMicros(out, c.created_at);
  AppendMicros(out, c.updated_at);
  out->push_back(c.recipient ? 1 : 0);
  if (c.recipient) AppendRecipientFields(out, *c.recipient);
  out->append(c.state);
}

std::string EncodeCaseRecord(const CaseRecord& c) {
  std::string state;
  nlohmann::json::to_cbor(c.state, state);
  CaseFields f{c.last_seq, c.event_count, c.created_at, c.updated_at, std::nullopt, state};
  if (c.recipient) f.recipient = FieldsOf(*c.recipient);
  std::string out;
  AppendCaseRecord(&out, f);
  return out;
}

void SetCaseRecordStamps(std::string* value, uint64_t last_seq, const Micros* created_at,
                         Micros updated_at) {
  PutSeqAt(value, kLastSeqOffset, last_seq);
  if (created_at != nullptr) PutSeqAt(value, kCreatedAtOffset, static_cast<uint64_t>(*created_at));
  PutSeqAt(value, kUpdatedAtOffset, static_cast<uint64_t>(updated_at));
}

Result<CaseRecord> DecodeCaseRecord(std::string_view case_id, std::string_view value) {
  Result<CaseFields> f = ParseCaseRecord(value);
  if (!f.ok()) return f.status();
  CaseRecord c;
  c.case_id = std::string(case_id);
  c.last_seq = f->last_seq;
  c.event_count = f->event_count;
  c.created_at = f->created_at;
  c.updated_at = f->updated_at;
  if (f->recipient) c.recipient = ToRecipient(*f->recipient);
  try {
    c.state = nlohmann::json::from_cbor(f->state);
  } catch (const std::exception& ex) {
    return CorruptionFrom("case", ex);
  }
  return c;
}

Result<std::string_view> PeekCaseRecipientId(std::string_view value) {
  if (value.size() <= kCaseHeaderBytes || value[0] != kVersion2) return BadRecord("case");
  Reader in(value.substr(kCaseHeaderBytes));
  if (in.Byte() == 0) return std::string_view();
  in.Byte();  // mask
  std::string_view id = in.LengthPrefixed();
  if (!in.ok()) return BadRecord("case");
  return id;
}

void AppendRecipient(std::string* out, const RecipientFields& r) {
  out->push_back(kVersion2);
  AppendRecipientFields(out, r);
}

std::string EncodeRecipient(const Recipient& r) {
  std::string out;
  AppendRecipient(&out, FieldsOf(r));
  return out;
}

Result<RecipientFields> ParseRecipient(std::string_view value) {
  Reader in(value);
  if (in.Byte() != kVersion2) return BadRecord("recipient");
  std::optional<RecipientFields> r = ReadRecipientFields(in);
  if (!r || !in.rest().empty()) return BadRecord("recipient");
  return std::move(*r);
}

Result<Recipient> DecodeRecipient(std::string_view value) {
  Result<RecipientFields> f = ParseRecipient(value);
  if (!f.ok()) return f.status();
  return ToRecipient(*f);
}

void AppendIdempotencyEntry(std::string* out, uint64_t seq, std::string_view fingerprint) {
  out->push_back(kVersion1);
  AppendSeq(out, seq);
  out->append(fingerprint);
}

std::string EncodeIdempotencyEntry(const IdempotencyEntry& e) {
  std::string out;
  out.reserve(9 + e.fingerprint.size());
  AppendIdempotencyEntry(&out, e.seq, e.fingerprint);
  return out;
}

Result<IdempotencyEntry> DecodeIdempotencyEntry(std::string_view value) {
  if (value.size() < 9 || value[0] != kVersion1) return BadRecord("idempotency entry");
  IdempotencyEntry e;
  e.seq = *DecodeSeq(value.substr(kIdempotencySeqOffset, 8));
  e.fingerprint = std::string(value.substr(9));
  return e;
}

}  // namespace herald
