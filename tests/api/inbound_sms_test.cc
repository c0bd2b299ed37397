#include "engine/api/inbound_sms.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

TEST_CASE("every STOP, START and HELP word, in any case, trimmed") {
  for (const char* w : {"STOP", "stop", "Stop", " STOP ", "STOP!", "stop.", "\tQuit\n", "STOPALL",
                        "unsubscribe", "Cancel", "END", "quit"}) {
    CAPTURE(w);
    CHECK(ClassifySmsKeyword(w) == SmsKeyword::kStop);
  }
  for (const char* w : {"START", "start", "Unstop", "YES", "yes!"}) {
    CAPTURE(w);
    CHECK(ClassifySmsKeyword(w) == SmsKeyword::kStart);
  }
  for (const char* w : {"HELP", "help", "Info", "INFO."}) {
    CAPTURE(w);
    CHECK(ClassifySmsKeyword(w) == SmsKeyword::kHelp);
  }
}

TEST_CASE("sentences and near misses are not keywords") {
  for (const char* w : {"", " ", "please stop texting me", "STOP IT", "stopp", "S TOP",
                        "yes please", "helpme", "STOP STOP", "ＳＴＯＰ", "stop\x01"}) {
    CAPTURE(w);
    CHECK(ClassifySmsKeyword(w) == SmsKeyword::kNone);
  }
  CHECK(SmsKeywordName(ClassifySmsKeyword("end")) == "stop");
}

TEST_CASE("TwiML replies are escaped, and empty without a text") {
  CHECK(TwimlReply("") == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response></Response>\n");
  CHECK(TwimlReply("A&B <x> \"q\" 'a'\x01") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Message>A&amp;B &lt;x&gt; "
        "&quot;q&quot; &apos;a&apos;</Message></Response>\n");
  CHECK(
      TwimlReply("Hủy") ==
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Message>Hủy</Message></Response>\n");
}

}  // namespace
}  // namespace herald
