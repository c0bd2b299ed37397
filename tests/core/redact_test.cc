#include <doctest/doctest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "engine/core/log.h"
#include "engine/core/redact.h"

using herald::RedactPersonalData;

TEST_CASE("email addresses are redacted") {
  CHECK(RedactPersonalData("sent to maria.garcia@example.org ok") == "sent to [email] ok");
  CHECK(RedactPersonalData("<a+tag@sub.example.co.uk>") == "<[email]>");
  CHECK(RedactPersonalData("two: a@b.org,c@d.net") == "two: [email],[email]");
  CHECK(RedactPersonalData("josé@correo.example") == "[email]");
}

TEST_CASE("phone numbers are redacted; sequence numbers and timestamps are not") {
  CHECK(RedactPersonalData("sms to +13125550143 queued") == "sms to [phone] queued");
  CHECK(RedactPersonalData("call (415) 555-0100 now") == "call [phone] now");
  CHECK(RedactPersonalData("+44 20 7183 8750") == "[phone]");
  CHECK(RedactPersonalData("seq 1234567890123 at 1767225600000000") ==
        "seq 1234567890123 at 1767225600000000");
  CHECK(RedactPersonalData("case SNAP-2026-0417") == "case SNAP-2026-0417");
  CHECK(RedactPersonalData("took 12.5 ms, 3 events") == "took 12.5 ms, 3 events");
  CHECK(RedactPersonalData("listening on 127.0.0.1:8080") == "listening on 127.0.0.1:8080");
}

TEST_CASE("text without personal data is unchanged") {
  const std::string s = "listening on 127.0.0.1:8080; log at seq 42 @ 2026-01-05T14:00:00Z";
  CHECK(RedactPersonalData(s) == s);
  CHECK(RedactPersonalData("") == "");
  CHECK(RedactPersonalData("@") == "@");
  CHECK(RedactPersonalData("a@") == "a@");
}

TEST_CASE("the logging sink redacts whatever the call site formats") {
  std::ostringstream out;
  auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", herald::MakeRedactingSink(inner));
  logger.set_pattern("%v");
  logger.info("delivered to {} and {}", "ana.lopez@example.org", "+14155550100");
  logger.flush();
  CHECK(out.str() == "delivered to [email] and [phone]\n");
}
