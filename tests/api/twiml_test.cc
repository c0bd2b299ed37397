#include "engine/api/twiml.h"

#include <doctest/doctest.h>

namespace herald {
namespace {

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
