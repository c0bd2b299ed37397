// Value encodings (records.h): round trips, the fields the leader fills in afterwards,
// and that the stored event text is what the fingerprint hashes.
#include "engine/store/records.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/store/keys.h"
#include "tests/store/store_test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using testing::MakeEvent;

Recipient FullRecipient() {
  Recipient r;
  r.id = "r-1";
  r.email = "ana@example.org";
  r.phone = "+14155550100";
  r.locale = "es-MX";
  r.timezone = "America/Chicago";
  r.channels = std::vector<Channel>{Channel::kSms, Channel::kEmail};
  return r;
}

TEST_CASE("an event value round-trips and carries the event's fingerprint") {
  Event e = MakeEvent("e1", "c1", json{{"s", "ü"}, {"n", {1, 2}}});
  e.recipient = FullRecipient();
  std::string fingerprint;
  std::string value = EncodeEventValue("key-a", e, &fingerprint);
  CHECK(fingerprint == EventFingerprint(e));
  SetEventReceivedAt(&value, 1234);
  Result<StoredEvent> s = DecodeStoredEvent(42, value);
  REQUIRE(s.ok());
  CHECK(s->seq == 42);
  CHECK(s->key_id == "key-a");
  CHECK(s->received_at == 1234);
  CHECK(s->event == e);

  Event bare = MakeEvent("e2", "c2");  // no data, no recipient
  value = EncodeEventValue("k", bare, &fingerprint);
  CHECK(DecodeStoredEvent(1, value)->event == bare);
  CHECK(DecodeStoredEvent(1, value.substr(0, 10)).status().code() == Status::Code::kCorruption);
  CHECK(DecodeStoredEvent(1, "\x01" + value.substr(1)).status().code() ==
        Status::Code::kCorruption);
}

TEST_CASE("the stored event text is EventToJson(e).dump(), for any content") {
  // Pieces that exercise every escaping path: quotes, backslashes, control characters,
  // DEL, multi-byte UTF-8 and plain ASCII.
  const std::vector<std::string> pieces = {"a",    "Z9", "\"",   "\\", "\n", "\t", "\x01", "\x1f",
                                           "\x7f", "é",  "日本", "😀",  " ",  "/",  "{}"};
  uint64_t rng = 12345;
  auto next = [&](uint64_t n) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (rng >> 33) % n;
  };
  auto text = [&] {
    std::string out;
    for (uint64_t i = next(4); i > 0; --i) out += pieces[next(pieces.size())];
    return out;
  };
  for (int i = 0; i < 500; ++i) {
    Event e = MakeEvent(text(), text(), json(), text());
    e.occurred_at = text();
    if (next(2) == 0) e.data = json{{text(), text()}, {"n", next(100)}, {"l", {text(), nullptr}}};
    if (next(2) == 0) {
      Recipient r;
      if (next(2) == 0) r.id = text();
      if (next(2) == 0) r.email = text();
      if (next(2) == 0) r.phone = text();
      if (next(2) == 0) r.locale = text();
      if (next(2) == 0) r.timezone = text();
      if (next(2) == 0) {
        r.channels = std::vector<Channel>{};
        for (uint64_t n = next(3); n > 0; --n)
          r.channels->push_back(next(2) ? Channel::kSms : Channel::kEmail);
      }
      e.recipient = r;
    }
    std::string fingerprint;
    const std::string value = EncodeEventValue("k", e, &fingerprint);
    const std::string expected = EventToJson(e).dump();
    CHECK(value.substr(value.size() - expected.size()) == expected);
    CHECK(fingerprint == EventFingerprint(e));
    CHECK(DecodeStoredEvent(1, value)->event == e);
  }
  // Invalid UTF-8 is refused like nlohmann's dump refuses it, wherever it is.
  std::string fp;
  CHECK_THROWS(EncodeEventValue("k", MakeEvent("a\xff", "c"), &fp));
  CHECK_THROWS(EncodeEventValue("k", MakeEvent("a", "c", json{{"s", "\xfe"}}), &fp));
}

TEST_CASE("a case record round-trips and takes its stamps in place") {
  CaseRecord c;
  c.case_id = "c1";
  c.state = json{{"status", "open"}, {"docs", {"a", "b"}}};
  c.recipient = FullRecipient();
  c.last_seq = 7;
  c.event_count = 3;
  c.created_at = 100;
  c.updated_at = 200;
  std::string value = EncodeCaseRecord(c);
  Result<CaseRecord> d = DecodeCaseRecord("c1", value);
  REQUIRE(d.ok());
  CHECK(d->case_id == "c1");
  CHECK(d->state == c.state);
  CHECK(d->recipient == c.recipient);
  CHECK(d->last_seq == 7);
  CHECK(d->event_count == 3);
  CHECK(d->created_at == 100);
  CHECK(d->updated_at == 200);
  CHECK(*PeekCaseRecipientId(value) == "r-1");

  SetCaseRecordStamps(&value, 99, nullptr, 300);
  d = DecodeCaseRecord("c1", value);
  CHECK(d->last_seq == 99);
  CHECK(d->created_at == 100);
  CHECK(d->updated_at == 300);
  const Micros created = 50;
  SetCaseRecordStamps(&value, 100, &created, 400);
  CHECK(DecodeCaseRecord("c1", value)->created_at == 50);

  c.recipient.reset();
  value = EncodeCaseRecord(c);
  CHECK_FALSE(DecodeCaseRecord("c1", value)->recipient.has_value());
  CHECK(*PeekCaseRecipientId(value) == "");
  CHECK(DecodeCaseRecord("c1", value.substr(0, 20)).status().code() == Status::Code::kCorruption);
}

TEST_CASE("recipients round-trip with any subset of fields") {
  const Recipient full = FullRecipient();
  CHECK(*DecodeRecipient(EncodeRecipient(full)) == full);
  Recipient some;
  some.phone = "+14155550100";
  some.channels = std::vector<Channel>{};
  CHECK(*DecodeRecipient(EncodeRecipient(some)) == some);
  CHECK(*DecodeRecipient(EncodeRecipient(Recipient{})) == Recipient{});
  CHECK(DecodeRecipient(EncodeRecipient(full) + "x").status().code() == Status::Code::kCorruption);
  CHECK(DecodeRecipient("").status().code() == Status::Code::kCorruption);
}

TEST_CASE("idempotency entries keep the seq at a fixed offset") {
  std::string value = EncodeIdempotencyEntry({5, "abc"});
  PutSeqAt(&value, kIdempotencySeqOffset, 77);
  Result<IdempotencyEntry> e = DecodeIdempotencyEntry(value);
  REQUIRE(e.ok());
  CHECK(e->seq == 77);
  CHECK(e->fingerprint == "abc");
  CHECK(DecodeIdempotencyEntry("\x01short").status().code() == Status::Code::kCorruption);
}

}  // namespace
}  // namespace herald
