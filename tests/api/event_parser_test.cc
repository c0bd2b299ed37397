#include "engine/api/event_parser.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "engine/core/event.h"
#include "engine/core/time_format.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

using namespace std::literals;

ParseLimits TestLimits() {
  ParseLimits l;
  l.max_body_bytes = 1 << 20;
  l.max_events = 1000;
  l.max_depth = 4;
  l.max_string_bytes = 64;
  return l;
}

// A valid event; `extra` is spliced in before the closing brace (start it with ',').
std::string Ev(const std::string& id, const std::string& extra = "") {
  return R"({"id":")" + id +
         R"(","case_id":"case-1","type":"case.opened","occurred_at":"2026-03-01T09:30:00Z")" +
         extra + "}";
}

ParsedBatch Json(std::string_view body, const ParseLimits& l = TestLimits()) {
  return ParseEventBatch(body, BodyFormat::kJson, l);
}
ParsedBatch Ndjson(std::string_view body, const ParseLimits& l = TestLimits()) {
  return ParseEventBatch(body, BodyFormat::kNdjson, l);
}

// The one error of a batch that must fail with invalid_event and exactly one error.
EventError OnlyError(const ParsedBatch& b) {
  REQUIRE(b.failure);
  CHECK(b.failure->code == "invalid_event");
  CHECK(b.failure->http_status == 400);
  CHECK(b.events.empty());
  REQUIRE(b.failure->errors.size() == 1);
  return b.failure->errors[0];
}

TEST_CASE("one object and array forms") {
  ParsedBatch one = Json(Ev("e1"));
  REQUIRE_FALSE(one.failure);
  REQUIRE(one.events.size() == 1);
  const Event& e = one.events[0];
  CHECK(e.id == "e1");
  CHECK(e.case_id == "case-1");
  CHECK(e.type == "case.opened");
  CHECK(e.occurred_at == "2026-03-01T09:30:00Z");
  CHECK(e.occurred_at_us == *ParseRfc3339("2026-03-01T09:30:00Z"));
  CHECK(e.data.is_null());
  CHECK_FALSE(e.recipient);

  ParsedBatch many = Json("[\n" + Ev("a") + ",\n" + Ev("b", R"(,"data":{"x":[1,2]})") + "\n]");
  REQUIRE_FALSE(many.failure);
  REQUIRE(many.events.size() == 2);
  CHECK(many.events[0].id == "a");
  CHECK(many.events[1].id == "b");
  CHECK(many.events[1].data == nlohmann::json::parse(R"({"x":[1,2]})"));
}

TEST_CASE("recipient fields") {
  ParsedBatch b = Json(Ev("e1", R"(,"recipient":{"id":"r-9","email":"ana@example.mx",
      "phone":"+14155550100","locale":"es-MX","timezone":"America/Mexico_City",
      "channels":["sms","email"]})"));
  REQUIRE_FALSE(b.failure);
  const Recipient& r = *b.events.at(0).recipient;
  CHECK(r.id == "r-9");
  CHECK(r.email == "ana@example.mx");
  CHECK(r.phone == "+14155550100");
  CHECK(r.locale == "es-MX");
  CHECK(r.timezone == "America/Mexico_City");
  CHECK(r.channels == std::vector<Channel>{Channel::kSms, Channel::kEmail});

  ParsedBatch partial = Json(Ev("e1", R"(,"recipient":{"channels":[]})"));
  REQUIRE_FALSE(partial.failure);
  CHECK(partial.events[0].recipient->channels == std::vector<Channel>{});
  CHECK_FALSE(partial.events[0].recipient->email);

  ParsedBatch null_recipient = Json(Ev("e1", R"(,"recipient":null,"data":null)"));
  REQUIRE_FALSE(null_recipient.failure);
  CHECK_FALSE(null_recipient.events[0].recipient);
  CHECK(null_recipient.events[0].data.is_null());
}

TEST_CASE("recipient errors") {
  auto error_for = [](const std::string& recipient) {
    return OnlyError(Json(Ev("e1", R"(,"recipient":)" + recipient)));
  };
  EventError e = error_for(R"({"timezone":"Mars/Olympus"})");
  CHECK(e.event_index == 0);
  CHECK(e.field == "recipient.timezone");
  CHECK(e.value == "Mars/Olympus");
  CHECK(e.message == "unknown IANA timezone (e.g. America/New_York)");

  e = error_for(R"({"phone":"+1 415 555 0100"})");
  CHECK(e.field == "recipient.phone");
  CHECK(e.value == "+1 415 555 0100");
  CHECK(e.message.find("E.164") != std::string::npos);

  e = error_for(R"({"email":"a@b.com\r\nBcc: x@y.com"})");
  CHECK(e.field == "recipient.email");
  CHECK(e.value == "a@b.com\r\nBcc: x@y.com");

  e = error_for(R"({"locale":"en_US"})");
  CHECK(e.field == "recipient.locale");

  e = error_for(R"({"email":null})");
  CHECK(e.field == "recipient.email");
  CHECK(e.value == "null");
  CHECK(e.message == "must be a string");

  e = error_for(R"({"nickname":"Bo"})");
  CHECK(e.field == "recipient.nickname");
  CHECK(e.message == "unknown field");

  e = error_for(R"({"channels":["sms","fax"]})");
  CHECK(e.field == "recipient.channels[1]");
  CHECK(e.value == "fax");

  e = error_for(R"({"channels":["sms","sms"]})");
  CHECK(e.field == "recipient.channels[1]");
  CHECK(e.message == "duplicate channel");

  e = error_for(R"({"channels":"sms"})");
  CHECK(e.field == "recipient.channels");

  e = error_for(R"({"id":""})");
  CHECK(e.field == "recipient.id");

  e = error_for(R"("ana@example.mx")");
  CHECK(e.field == "recipient");
  CHECK(e.message == "must be an object");
}

TEST_CASE("empty and oversized bodies") {
  for (std::string_view empty : {""sv, " "sv, "\n\r\n\t "sv}) {
    for (BodyFormat f : {BodyFormat::kJson, BodyFormat::kNdjson}) {
      ParsedBatch b = ParseEventBatch(empty, f, TestLimits());
      REQUIRE(b.failure);
      CHECK(b.failure->http_status == 400);
      CHECK(b.failure->code == "empty_body");
    }
  }
  ParsedBatch empty_array = Json(" [ ] ");
  REQUIRE(empty_array.failure);
  CHECK(empty_array.failure->code == "empty_body");

  ParseLimits small = TestLimits();
  const std::string body = Ev("e1");
  small.max_body_bytes = body.size();
  CHECK_FALSE(Json(body, small).failure);
  small.max_body_bytes = body.size() - 1;
  ParsedBatch big = Json(body, small);
  REQUIRE(big.failure);
  CHECK(big.failure->http_status == 413);
  CHECK(big.failure->code == "body_too_large");
}

TEST_CASE("invalid UTF-8 is reported with line, byte column and offset") {
  const std::string body = "[\n" + Ev("e1") + ",\n" + Ev("caf\xC3") + "\n]";
  ParsedBatch b = Json(body);
  REQUIRE(b.failure);
  CHECK(b.failure->code == "invalid_utf8");
  CHECK(b.failure->http_status == 400);
  const size_t offset = body.find('\xC3');
  CHECK(b.failure->line == 3);
  CHECK(b.failure->column == 11);  // {"id":"caf is 10 bytes
  CHECK(b.failure->message.find("byte offset " + std::to_string(offset)) != std::string::npos);

  // Column counts bytes, not characters: "é" before the bad byte is two columns.
  ParsedBatch nd = Ndjson(Ev("e1") + "\n" + R"({"id":"é)" + "\xFF");
  REQUIRE(nd.failure);
  CHECK(nd.failure->code == "invalid_utf8");
  CHECK(nd.failure->line == 2);
  CHECK(nd.failure->column == 10);

  // An escaped lone surrogate is a JSON error (nlohmann rejects it), never bad UTF-8 out.
  ParsedBatch esc = Json(Ev(R"(\ud800)"));
  REQUIRE(esc.failure);
  CHECK(esc.failure->code == "invalid_json");
}

TEST_CASE("depth limit") {
  // max_depth 4: the event object is level 1.
  const std::string depth4 = Ev("e1", R"(,"data":{"a":{"b":[1]}})");
  const std::string depth5 = Ev("e1", R"(,"data":{"a":{"b":[{}]}})");
  CHECK_FALSE(Json(depth4).failure);
  CHECK_FALSE(Json("[" + depth4 + "," + depth4 + "]").failure);  // batch array not counted
  CHECK_FALSE(Ndjson(depth4 + "\n" + depth4).failure);

  ParsedBatch b = Json(depth5);
  REQUIRE(b.failure);
  CHECK(b.failure->code == "too_deep");
  CHECK(b.failure->http_status == 400);
  CHECK(b.failure->line == 1);
  CHECK(b.failure->column == static_cast<int>(depth5.find("[{}") + 2));

  ParsedBatch in_array = Json("[\n" + depth4 + ",\n" + depth5 + "]");
  REQUIRE(in_array.failure);
  CHECK(in_array.failure->code == "too_deep");
  CHECK(in_array.failure->line == 3);
  CHECK(in_array.failure->column == static_cast<int>(depth5.find("[{}") + 2));

  ParsedBatch nd = Ndjson(depth4 + "\r\n\r\n" + depth5 + "\r\n");
  REQUIRE(nd.failure);
  CHECK(nd.failure->code == "too_deep");
  CHECK(nd.failure->line == 3);

  // Brackets inside strings (and escaped quotes) do not count.
  CHECK_FALSE(Json(Ev("e1", R"(,"data":{"s":"[[[[{{{{\"[[[[","t":"\\"})")).failure);

  // Hostile nesting: fails fast, no recursion in the JSON parser.
  for (BodyFormat f : {BodyFormat::kJson, BodyFormat::kNdjson}) {
    ParsedBatch deep = ParseEventBatch(std::string(100000, '['), f, TestLimits());
    REQUIRE(deep.failure);
    CHECK(deep.failure->code == "too_deep");
    CHECK(deep.failure->column == (f == BodyFormat::kJson ? 6 : 5));
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
    ParsedBatch deep_objects = ParseEventBatch(objects, f, TestLimits());
    REQUIRE(deep_objects.failure);
    CHECK(deep_objects.failure->code == "too_deep");
  }
  ParseLimits generous = TestLimits();
  generous.max_depth = 200000;
  ParsedBatch deep_valid = Json(std::string(100000, '[') + std::string(100000, ']'), generous);
  REQUIRE(deep_valid.failure);  // parses (nlohmann is iterative) but is not an event
  CHECK(deep_valid.failure->code == "invalid_event");
}

TEST_CASE("JSON syntax errors carry line, column and what was expected") {
  ParsedBatch b = Json(R"({"id": tru})");
  REQUIRE(b.failure);
  CHECK(b.failure->code == "invalid_json");
  CHECK(b.failure->http_status == 400);
  CHECK(b.failure->line == 1);
  CHECK(b.failure->column == 11);  // the '}' that ended the literal "tru"
  CHECK(b.failure->message.rfind("invalid JSON at line 1, column 11: syntax error", 0) == 0);
  CHECK(b.failure->message.find("json.exception") == std::string::npos);
  CHECK(b.failure->message.find("invalid literal") != std::string::npos);

  ParsedBatch comma = Json("[\n  " + Ev("a") + ",\n  " + Ev("b") + ",\n]");
  REQUIRE(comma.failure);
  CHECK(comma.failure->code == "invalid_json");
  CHECK(comma.failure->line == 4);
  CHECK(comma.failure->column == 1);
  CHECK(comma.failure->message.find("expected") != std::string::npos);

  ParsedBatch eof = Json("{\"id\":\"a\"");
  REQUIRE(eof.failure);
  CHECK(eof.failure->line == 1);
  CHECK(eof.failure->column == 10);  // one past the last byte
  CHECK(eof.failure->message.find("end of input") != std::string::npos);

  ParsedBatch junk = Json(Ev("a") + " x");
  REQUIRE(junk.failure);
  CHECK(junk.failure->column == static_cast<int>(Ev("a").size() + 2));
  CHECK(junk.failure->message.find("expected end of input") != std::string::npos);

  ParsedBatch two = Json(Ev("a") + "\n" + Ev("b"));  // NDJSON sent as JSON
  REQUIRE(two.failure);
  CHECK(two.failure->code == "invalid_json");
  CHECK(two.failure->line == 2);
  CHECK(two.failure->column == 1);

  ParsedBatch overflow = Json(Ev("a", R"(,"data":{"n":1e999})"));
  REQUIRE(overflow.failure);
  CHECK(overflow.failure->code == "invalid_json");
  CHECK(overflow.failure->column == static_cast<int>(Ev("a").size() + 13 - 1 + 1));
  CHECK(overflow.failure->message.find("number overflow") != std::string::npos);

  // nlohmann quotes the bytes it last read, here the first of a byte order mark inside
  // the body: the message stays valid UTF-8 (found by tests/fuzz).
  for (const ParsedBatch& bom :
       {Json("{\"id\":\xEF\xBB\xBF\"a\"}"), Ndjson("\xEF\xBB\xBF{}\n[\xEF\xBB\xBF]")}) {
    REQUIRE(bom.failure);
    CAPTURE(bom.failure->message);
    CHECK(bom.failure->code == "invalid_json");
    CHECK_FALSE(FindInvalidUtf8(bom.failure->message));
    CHECK(bom.failure->message.find("?'") != std::string::npos);
  }
}

TEST_CASE("NDJSON: lines, blank lines, CRLF, event indexes") {
  const std::string body = Ev("a") + "\r\n\r\n" + Ev("b") + "\n   \n" + Ev("c") + "\r\n";
  ParsedBatch ok = Ndjson(body);
  REQUIRE_FALSE(ok.failure);
  REQUIRE(ok.events.size() == 3);
  CHECK(ok.events[2].id == "c");
  CHECK_FALSE(Ndjson(Ev("a")).failure);  // no trailing newline

  ParsedBatch bad = Ndjson(Ev("a") + "\n\n" + Ev("b") + "\r\n" + R"({"id":"c",,})" + "\n");
  REQUIRE(bad.failure);
  CHECK(bad.failure->code == "invalid_json");
  CHECK(bad.failure->line == 4);
  CHECK(bad.failure->column == 11);
  CHECK(bad.failure->message.rfind("invalid JSON at line 4, column 11: ", 0) == 0);
  REQUIRE(bad.failure->errors.size() == 1);
  CHECK(bad.failure->errors[0].event_index == 2);

  ParsedBatch fields = Ndjson(Ev("a") + "\n\n" + Ev("b", R"(,"colour":"red")") + "\n");
  EventError e = OnlyError(fields);
  CHECK(e.event_index == 1);
  CHECK(e.field == "colour");
  CHECK(e.value == "red");

  ParsedBatch array_line = Ndjson("[" + Ev("a") + "]");
  EventError a = OnlyError(array_line);
  CHECK(a.event_index == 0);
  CHECK(a.message == "must be a JSON object");
}

TEST_CASE("too many events") {
  ParseLimits l = TestLimits();
  l.max_events = 2;
  const std::string three = "[" + Ev("a") + "," + Ev("b") + "," + Ev("c") + "]";
  ParsedBatch b = Json(three, l);
  REQUIRE(b.failure);
  CHECK(b.failure->http_status == 413);
  CHECK(b.failure->code == "too_many_events");
  CHECK_FALSE(Json("[" + Ev("a") + "," + Ev("b") + "]", l).failure);

  ParsedBatch nd = Ndjson(Ev("a") + "\n" + Ev("b") + "\n\n" + Ev("c") + "\n", l);
  REQUIRE(nd.failure);
  CHECK(nd.failure->http_status == 413);
  CHECK(nd.failure->code == "too_many_events");
  CHECK_FALSE(Ndjson(Ev("a") + "\n\n" + Ev("b") + "\n\n", l).failure);
}

TEST_CASE("all errors of all events are collected") {
  const std::string body =
      "[" + Ev("ok") + "," +
      R"({"id":"","case_id":7,"type":"case opened","occurred_at":"2026-02-30T00:00:00Z","extra":{"a":1}},)" +
      Ev("ok2") + "," + R"({"case_id":"c"})" + "]";
  ParsedBatch b = Json(body);
  REQUIRE(b.failure);
  CHECK(b.events.empty());
  CHECK(b.failure->code == "invalid_event");
  CHECK(b.failure->http_status == 400);
  CHECK(b.failure->message == "2 events are invalid; nothing was written");
  const auto& errs = b.failure->errors;
  REQUIRE(errs.size() == 8);
  // Event 1: fields in key order (nlohmann keeps objects sorted).
  CHECK(errs[0].event_index == 1);
  CHECK(errs[0].field == "case_id");
  CHECK(errs[0].value == "7");
  CHECK(errs[0].message == "must be a string");
  CHECK(errs[1].field == "extra");
  CHECK(errs[1].value == "");
  CHECK(errs[1].message == "unknown field");
  CHECK(errs[2].field == "id");
  CHECK(errs[2].message == "must not be empty");
  CHECK(errs[3].field == "occurred_at");
  CHECK(errs[3].value == "2026-02-30T00:00:00Z");
  CHECK(errs[3].message == "not an RFC 3339 timestamp (e.g. 2026-03-01T09:30:00Z)");
  CHECK(errs[4].field == "type");
  CHECK(errs[4].value == "case opened");
  // Event 3: missing fields.
  CHECK(errs[5].event_index == 3);
  CHECK(errs[5].field == "id");
  CHECK(errs[5].message == "required field is missing");
  CHECK(errs[6].field == "type");
  CHECK(errs[7].field == "occurred_at");

  ParsedBatch one = Json(R"({"id":"a"})");
  REQUIRE(one.failure);
  CHECK(one.failure->message == "1 event is invalid; nothing was written");
}

TEST_CASE("the error list is capped") {
  std::string body = "[";
  for (int i = 0; i < 150; ++i) body += std::string(i ? "," : "") + Ev("e", R"(,"x":1)");
  body += "]";
  ParsedBatch b = Json(body);
  REQUIRE(b.failure);
  CHECK(b.failure->errors.size() == kMaxEventErrors);
  CHECK(b.failure->errors.back().event_index == 99);
  CHECK(b.failure->message ==
        "150 events are invalid; nothing was written (showing the first 100 of 150 errors)");
}

TEST_CASE("field rules") {
  CHECK(OnlyError(Json(Ev("a\\u0000b"))).message == "must not contain control characters");
  CHECK(OnlyError(Json(Ev("a\\nb"))).field == "id");
  CHECK_FALSE(Json(Ev("ünïcode-id-😀")).failure);

  const std::string long_id(65, 'x');
  EventError e = OnlyError(Json(Ev(long_id)));
  CHECK(e.field == "id");
  CHECK(e.message == "longer than 64 bytes");
  CHECK(e.value == long_id);
  CHECK_FALSE(Json(Ev(std::string(64, 'x'))).failure);

  // Values in errors are cut at ~200 bytes, on a character boundary.
  ParseLimits big = TestLimits();
  big.max_string_bytes = 1000;
  std::string long_bad;
  for (int i = 0; i < 150; ++i) long_bad += "é";
  e = OnlyError(Json(Ev("a", R"(,"recipient":{"timezone":")" + long_bad + "\"}"), big));
  CHECK(e.value.size() <= 203);
  CHECK(e.value.substr(e.value.size() - 3) == "...");
  CHECK(e.value.substr(0, 200) == long_bad.substr(0, 200));

  e = OnlyError(
      Json(R"({"id":"a","case_id":"c","type":"t/x","occurred_at":"2026-03-01T09:30:00Z"})"));
  CHECK(e.field == "type");
  CHECK_FALSE(
      Json(
          R"({"id":"a","case_id":"c","type":"Case_1.status:changed-x","occurred_at":"2026-03-01T09:30:00+01:00"})")
          .failure);

  e = OnlyError(Json(Ev("a", R"(,"data":[1])")));
  CHECK(e.field == "data");
  CHECK(e.message == "must be an object");
  e = OnlyError(Json(Ev("a", R"(,"data":"text")")));
  CHECK(e.value == "text");

  // Strings inside data are bounded too; the error names the path.
  e = OnlyError(Json(Ev("a", R"(,"data":{"items":[{"note":")" + std::string(65, 'n') + "\"}]}")));
  CHECK(e.field == "data.items[0].note");
  CHECK(e.message == "string longer than 64 bytes");
}

TEST_CASE("bodies that are not events") {
  for (std::string_view body : {"42"sv, "\"text\""sv, "null"sv}) {
    ParsedBatch b = Json(body);
    REQUIRE(b.failure);
    CHECK(b.failure->code == "invalid_event");
    REQUIRE(b.failure->errors.size() == 1);
    CHECK(b.failure->errors[0].event_index == -1);
  }
  ParsedBatch b = Json("[" + Ev("a") + ", 42, [\"x\"]]");
  REQUIRE(b.failure);
  REQUIRE(b.failure->errors.size() == 2);
  CHECK(b.failure->errors[0].event_index == 1);
  CHECK(b.failure->errors[0].value == "42");
  CHECK(b.failure->errors[0].message == "must be a JSON object");
  CHECK(b.failure->errors[1].event_index == 2);
  CHECK(b.failure->message == "2 events are invalid; nothing was written");
}

TEST_CASE("hostile bytes never crash") {
  const std::string samples[] = {
      "\0"s,
      "{\0}"s,
      "[{"s,
      "]]]]"s,
      "}{"s,
      "\"\\"s,
      "\"unterminated",
      "[\"\\u12\"]",
      std::string(1000, '"'),
      std::string(1000, '\\'),
      "{\"a\":\"\\ud83d\\ude00\"}",
      "\xEF\xBB\xBF" + Ev("bom"),
      Ev("a") + "\0"s,
  };
  for (const std::string& s : samples) {
    for (BodyFormat f : {BodyFormat::kJson, BodyFormat::kNdjson}) {
      ParsedBatch b = ParseEventBatch(s, f, TestLimits());
      CHECK((b.failure.has_value() || !b.events.empty()));
    }
  }
}

TEST_CASE("a field given twice is an error, in an event and in its recipient") {
  ParsedBatch b =
      Json(R"({"id":"a","case_id":"c","type":"t","occurred_at":"2026-03-01T09:30:00Z","id":"b"})");
  EventError e = OnlyError(b);
  CHECK(e.event_index == 0);
  CHECK(e.field == "id");
  CHECK(e.value == "");
  CHECK(e.message == "duplicate field 'id'");

  // Reported where the field sorts, among the event's other errors; once however often
  // it repeats; unknown fields too.
  b = Json(
      "[" + Ev("a") + "," +
      R"({"type":"t","case_id":"c","type":"u","type":"v","occurred_at":"x","colour":1,"colour":2})" +
      "]");
  REQUIRE(b.failure);
  REQUIRE(b.failure->errors.size() == 4);
  CHECK(b.failure->errors[0].field == "colour");
  CHECK(b.failure->errors[0].message == "duplicate field 'colour'");
  CHECK(b.failure->errors[1].field == "occurred_at");
  CHECK(b.failure->errors[2].field == "type");
  CHECK(b.failure->errors[2].message == "duplicate field 'type'");
  CHECK(b.failure->errors[3].field == "id");
  CHECK(b.failure->errors[3].message == "required field is missing");
  CHECK(b.failure->errors[3].event_index == 1);

  e = OnlyError(
      Ndjson(Ev("a") + "\n" + Ev("b", R"(,"recipient":{"email":"a@b.org","email":"c@d.org"})")));
  CHECK(e.event_index == 1);
  CHECK(e.field == "recipient.email");
  CHECK(e.message == "duplicate field 'recipient.email'");

  // Escapes do not hide a repeat: "i\u0064" is "id".
  CHECK(OnlyError(Json(Ev("a", R"(,"i\u0064":"b")"))).message == "duplicate field 'id'");

  // A recipient-shaped object elsewhere is just data, and inside data (free-form, merged
  // into the case) the last of repeated keys wins, as before.
  b = Json(Ev("a", R"(,"data":{"k":1,"k":2,"recipient":{"id":"x","id":"y"}})"));
  REQUIRE_FALSE(b.failure);
  CHECK(b.events[0].data == nlohmann::json::parse(R"({"k":2,"recipient":{"id":"y"}})"));
}

// The parser reads well-formed batches of valid events on a fast path and everything
// else on a general one (engine/api/event_parser_internal.h); both must read every
// valid event the way nlohmann::json::parse reads it. These bodies cover the forms
// that need care: escapes, UTF-8, numbers, whitespace, and forms only one path takes.
TEST_CASE("valid events read exactly as nlohmann reads them") {
  const std::string events[] = {
      Ev("a"),
      R"({"i\u0064":"\u00e9\ud83d\ude00\/\"x\\","case_id":"\u0063","type":"case\u002eopened",)"
      R"("occurred_at":"2026-03-01t09:30:00.123456789+01:00"})",
      Ev("ünïcode-😀-\xEF\xBF\xBF", R"(,"data":{"s":"a\u0000b\u007f\u2028\t\n","":"","e":"😀"})"),
      Ev("n", R"(,"data":{"n":[0,-0,1.5,-1e-7,1E+2,0.1,2.5e-3,18446744073709551615,)"
              R"(-9223372036854775808,4.9e-324,1.7976931348623157e308,123456789.123456789]})"),
      // Rarer numbers nlohmann converts in its own way: past 64 bits, underflow.
      Ev("m", R"(,"data":{"big":18446744073709551616,"neg":-9223372036854775809,"tiny":1e-400})"),
      Ev("w",
         " \t\r\n,\r\n \"data\" \t:\n{ \"a\" : [ ] , \"b\" : { } , \"c\" : [ [ ] , { \"d\" : null "
         "} ] }"),
      Ev("r", R"(,"recipient":{"id":"r1","email":"ana@example.mx","phone":"+14155550100",)"
              R"("locale":"es-MX","timezone":"America/Chicago","channels":["email","sms"]})"),
      Ev("r2", R"(,"recipient":{},"data":{"k":true,"l":false})"),
      Ev("r3", R"(,"recipient":{"channels":[]},"data":null)"),
  };
  auto expected = [](const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text);
    for (const char* optional : {"data", "recipient"}) {
      if (j.contains(optional) && j[optional].is_null()) j.erase(optional);
    }
    return j.dump();
  };
  for (const std::string& event : events) {
    CAPTURE(event);
    const std::string want = expected(event);
    ParsedBatch one = Json(event, ParseLimits{});
    REQUIRE_FALSE(one.failure);
    CHECK(EventToJson(one.events.at(0)).dump() == want);
    ParsedBatch bom = Json("\xEF\xBB\xBF" + event, ParseLimits{});
    REQUIRE_FALSE(bom.failure);
    CHECK(EventToJson(bom.events.at(0)).dump() == want);
    ParsedBatch array = Json("[" + Ev("x") + ",\n" + event + "]", ParseLimits{});
    REQUIRE_FALSE(array.failure);
    CHECK(EventToJson(array.events.at(1)).dump() == want);
    if (event.find('\n') == std::string::npos) {
      ParsedBatch nd = Ndjson(Ev("x") + "\r\n\n" + event + "\r\n", ParseLimits{});
      REQUIRE_FALSE(nd.failure);
      CHECK(EventToJson(nd.events.at(1)).dump() == want);
    }
  }
  const ParsedBatch r = Json(events[6]);
  REQUIRE_FALSE(r.failure);
  CHECK(r.events[0].recipient->channels == std::vector<Channel>{Channel::kEmail, Channel::kSms});
  CHECK(Json(events[1]).events.at(0).occurred_at_us ==
        *ParseRfc3339("2026-03-01T09:30:00.123456789+01:00"));
}

TEST_CASE("depth limits at the recipient and its channels") {
  ParseLimits l = TestLimits();
  const std::string channels = Ev("a", R"(,"recipient":{"channels":["sms"]})");
  l.max_depth = 3;
  CHECK_FALSE(Json(channels, l).failure);
  // The batch array is no level either after a byte order mark (found by tests/fuzz).
  CHECK_FALSE(Json("[" + channels + "]", l).failure);
  CHECK_FALSE(Json("\xEF\xBB\xBF [" + channels + "]", l).failure);
  l.max_depth = 2;
  ParsedBatch b = Json(channels, l);
  REQUIRE(b.failure);
  CHECK(b.failure->code == "too_deep");
  CHECK(b.failure->column == static_cast<int>(channels.find('[') + 1));
  CHECK_FALSE(Json(Ev("a", R"(,"recipient":{},"data":{})"), l).failure);
  l.max_depth = 1;
  b = Ndjson(Ev("a", R"(,"data":{})"), l);
  REQUIRE(b.failure);
  CHECK(b.failure->code == "too_deep");
  CHECK_FALSE(Ndjson(Ev("a", R"(,"data":null)"), l).failure);
  l.max_depth = 0;
  CHECK(Json(Ev("a"), l).failure->code == "too_deep");
}

// The shape bench/ingest_load.cc posts: ~340 bytes, a small data object and a recipient
// whose locale/timezone repeat across the batch (as they do in real traffic).
std::string LoadEvent(uint64_t n) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      R"({"id":"run-1-%llu","case_id":"case-1-%llu","type":"case.status_changed",)"
      R"("occurred_at":"2026-03-02T15:04:00Z","data":{"status":"documents_requested",)"
      R"("documents":["proof_of_income","proof_of_address"],"due_date":"2026-03-16"},)"
      R"("recipient":{"email":"person%llu@example.org","locale":"es-MX","timezone":"America/Chicago","channels":["email"]}})",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(n % 5000),
      static_cast<unsigned long long>(n % 5000));
  return buf;
}

// Micro-benchmark, skipped by default:
//   event_parser_test -tc='*throughput*' --no-skip
// Parses 1,000-event batches on one thread, destroying each batch as the server does,
// and prints the median of several ~200 ms rounds (the machines it runs on are shared
// and noisy). Two ways:
//  - "one by one": each batch is freed before the next is parsed. Nothing else then holds
//    the top of the heap, so glibc gives the batch's memory (~1 MB) back to the kernel
//    (M_TRIM_THRESHOLD) and the next batch page-faults it in again: this measures
//    malloc's trimming as much as the parser;
//  - "overlapping": the previous batch is freed after the next is parsed, as when a
//    server has requests in flight; this is the parser's own cost.
TEST_CASE("parse throughput" * doctest::skip()) {
  constexpr int kEvents = 1000;
  std::string ndjson, json = "[";
  for (int i = 0; i < kEvents; ++i) {
    const std::string e = LoadEvent(static_cast<uint64_t>(i));
    ndjson += e + "\n";
    json += (i ? "," : "") + e;
  }
  json += "]";
  const ParseLimits limits;  // the server's defaults
  for (const auto& [name, body, format] : {std::tuple{"NDJSON", &ndjson, BodyFormat::kNdjson},
                                           std::tuple{"JSON array", &json, BodyFormat::kJson}}) {
    for (const bool overlapping : {false, true}) {
      std::vector<double> rates;
      ParsedBatch previous;
      for (int round = 0; round < 11; ++round) {
        const auto start = std::chrono::steady_clock::now();
        double seconds = 0;
        int batches = 0;
        do {
          ParsedBatch b = ParseEventBatch(*body, format, limits);
          if (b.failure || b.events.size() != kEvents) FAIL("the benchmark batch must parse");
          if (overlapping) previous = std::move(b);
          ++batches;
          seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } while (seconds < 0.2);
        rates.push_back(batches * kEvents / seconds);
      }
      std::sort(rates.begin(), rates.end());
      const double median = rates[rates.size() / 2];
      std::printf(
          "%-10s %-11s %zu bytes: median %.0f events/s (min %.0f, max %.0f), %.2f us/event\n", name,
          overlapping ? "overlapping" : "one by one", body->size(), median, rates.front(),
          rates.back(), 1e6 / median);
    }
  }
}

}  // namespace
}  // namespace herald
