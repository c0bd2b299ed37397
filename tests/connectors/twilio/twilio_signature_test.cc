// X-Twilio-Signature against Twilio's own published vectors (auth token "12345"; the
// vectors are in Twilio's docs and in the twilio-python/-csharp request validator tests,
// and were re-computed here with `openssl dgst -sha1 -hmac 12345 -binary | base64`).
#include <doctest/doctest.h>

#include "connectors/twilio/twilio_signature.h"
#include "tests/sms_server/sms_server.h"

namespace herald {
namespace {

constexpr const char* kToken = "12345";
constexpr const char* kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

FormParams DocParams() {
  // Deliberately not in sorted order.
  return {{"To", "+18005551212"},
          {"CallSid", "CA1234567890ABCDE"},
          {"From", "+14158675309"},
          {"Digits", "1234"},
          {"Caller", "+14158675309"}};
}

TEST_CASE("twilio signature: the documented example") {
  CHECK(TwilioSignature(kToken, kUrl, DocParams()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  CHECK(VerifyTwilioSignature(kToken, kUrl, DocParams(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST_CASE("twilio signature: anything changed fails") {
  const char* sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  FormParams tampered = DocParams();
  tampered[3].second = "9999";
  CHECK_FALSE(VerifyTwilioSignature(kToken, kUrl, tampered, sig));
  FormParams extra = DocParams();
  extra.emplace_back("Extra", "1");
  CHECK_FALSE(VerifyTwilioSignature(kToken, kUrl, extra, sig));
  CHECK_FALSE(VerifyTwilioSignature("54321", kUrl, DocParams(), sig));
  CHECK_FALSE(VerifyTwilioSignature(kToken, std::string(kUrl) + "&x=1", DocParams(), sig));
  CHECK_FALSE(VerifyTwilioSignature(kToken, kUrl, DocParams(), "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8="));
  CHECK_FALSE(VerifyTwilioSignature(kToken, kUrl, DocParams(), ""));
  CHECK_FALSE(VerifyTwilioSignature("", kUrl, DocParams(), sig));
}

TEST_CASE("twilio signature: repeated names sort by value and exact repeats count once") {
  FormParams repeated = {{"Sid", "CA123"},
                         {"SidAccount", "AC123"},
                         {"Digits", "5678"},
                         {"Digits", "1234"},
                         {"Digits", "1234"}};
  CHECK(TwilioSignature(kToken, kUrl, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

TEST_CASE("twilio signature: values are signed decoded and byte for byte") {
  CHECK(TwilioSignature(kToken, "https://customer.example/cb",
                        {{"From", "+4915123456789"}, {"Body", "hello+world"}}) ==
        "RPmvJzz674XdYurPkoSZxwiOiWM=");
  CHECK(TwilioSignature(kToken, "https://customer.example/cb",
                        {{"Caller", "Müller"}, {"Greeting", "Grüß Gott"}}) ==
        "1u+8eedolvqsC8ybKmeUbdyKfrU=");
}

TEST_CASE("twilio signature: explicit and default ports (as Twilio's libraries)") {
  // Signed without a port, received with a custom one: the port is ignored.
  CHECK(VerifyTwilioSignature(kToken, "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                              DocParams(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  // Signed with the default port, received without it.
  CHECK(VerifyTwilioSignature(kToken, kUrl, DocParams(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
  CHECK(VerifyTwilioSignature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2", DocParams(),
                              "0ZXoZLH/DfblKGATFgpif+LLRf4="));
  // Signed with the custom port, received with it.
  CHECK(VerifyTwilioSignature(kToken, "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                              DocParams(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
  // The host is signed as written.
  CHECK(VerifyTwilioSignature(kToken, "https://MyCompany.com:1234/myapp.php?foo=1&bar=2",
                              DocParams(), "PCqOZm8cnu/L6+u5i5fuEd+Iac4="));
  CHECK_FALSE(VerifyTwilioSignature(kToken, "https://MyCompany.com/myapp.php?foo=1&bar=2",
                                    DocParams(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST_CASE("twilio signature: the test server's independent implementation agrees") {
  FormParams p = DocParams();
  CHECK(testing::SmsServerTwilioSignature(kToken, kUrl, p) == TwilioSignature(kToken, kUrl, p));
}

}  // namespace
}  // namespace herald
