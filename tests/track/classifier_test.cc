#include "engine/track/classifier.h"

#include <doctest/doctest.h>

#include <vector>

#include "engine/track/sms_keywords.h"

namespace herald {
namespace {

constexpr Micros kSec = 1'000'000;
constexpr Micros kSent = 1'767'225'600'000'000;
const char* kIphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148";
const char* kGmail =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

TEST_CASE("user agents") {
  CHECK(ClassifyUserAgent("") == AgentKind::kEmpty);
  CHECK(ClassifyUserAgent("  ") == AgentKind::kEmpty);
  CHECK(ClassifyUserAgent("Mozilla/5.0") == AgentKind::kPrefetchProxy);
  CHECK(ClassifyUserAgent(kGmail) == AgentKind::kImageProxy);
  CHECK(ClassifyUserAgent(
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html") ==
        AgentKind::kImageProxy);
  CHECK(ClassifyUserAgent("Mozilla/5.0 (compatible; BingPreview/1.0b)") == AgentKind::kScanner);
  CHECK(ClassifyUserAgent("Barracuda Sentinel (EE)") == AgentKind::kScanner);
  CHECK(ClassifyUserAgent("Proofpoint URL Defense") == AgentKind::kScanner);
  CHECK(ClassifyUserAgent("Mimecast") == AgentKind::kScanner);
  CHECK(ClassifyUserAgent("curl/8.4.0") == AgentKind::kBot);
  CHECK(ClassifyUserAgent("python-requests/2.31") == AgentKind::kBot);
  CHECK(ClassifyUserAgent("Go-http-client/1.1") == AgentKind::kBot);
  CHECK(ClassifyUserAgent("Mozilla/5.0 (compatible; Googlebot/2.1)") == AgentKind::kBot);
  CHECK(ClassifyUserAgent("facebookexternalhit/1.1 Facebot Twitterbot/1.0") == AgentKind::kBot);
  CHECK(ClassifyUserAgent(kIphone) == AgentKind::kClient);
  CHECK(
      ClassifyUserAgent("Mozilla/5.0 (Linux; Android 12; CUBOT X50) AppleWebKit/537.36 Chrome/120 "
                        "Mobile Safari/537.36") == AgentKind::kClient);
  CHECK(
      ClassifyUserAgent("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328)") ==
      AgentKind::kClient);
}

TEST_CASE("opens") {
  const ClassifierOptions o;
  auto open = [&](Micros after, const char* ua, Micros delivered = 0) {
    return ClassifyOpen({kSent + after, kSent, delivered, ua}, o);
  };
  CHECK_FALSE(open(3600 * kSec, kIphone).machine);
  CHECK(open(3600 * kSec, "").reason == MachineReason::kEmptyUserAgent);
  CHECK(open(3600 * kSec, "Mozilla/5.0").reason == MachineReason::kPrefetchProxy);  // at any time
  CHECK(open(3600 * kSec, "curl/8").reason == MachineReason::kBot);
  CHECK(open(5 * kSec, kGmail).reason == MachineReason::kProxyAtDelivery);
  CHECK_FALSE(open(5 * 60 * kSec, kGmail).machine);  // a Gmail user opening it
  // The window runs from the delivery receipt when there is one.
  CHECK(open(5 * 60 * kSec, kGmail, kSent + 5 * 60 * kSec - 10 * kSec).reason ==
        MachineReason::kProxyAtDelivery);
  CHECK(open(1 * kSec, kIphone).reason == MachineReason::kTooSoon);
  CHECK_FALSE(open(2 * kSec, kIphone).machine);
  // Unknown send time: only the user agent rules apply.
  CHECK_FALSE(ClassifyOpen({kSent, 0, 0, kGmail}, o).machine);
  CHECK(MachineReasonName(MachineReason::kProxyAtDelivery) == "proxy_at_delivery");
}

TEST_CASE("clicks") {
  const ClassifierOptions o;
  auto click = [&](Micros after, const char* ua, uint32_t link, uint32_t count,
                   std::vector<PriorClick> recent = {}) {
    return ClassifyClick({kSent + after, kSent, 0, link, count, ua, recent}, o);
  };
  CHECK_FALSE(click(60 * kSec, kIphone, 0, 3).machine);
  CHECK(click(60 * kSec, "Mimecast", 0, 3).reason == MachineReason::kScanner);
  CHECK(click(60 * kSec, kGmail, 0, 3).reason == MachineReason::kBot);  // proxies never click
  CHECK(click(60 * kSec, "", 0, 3).reason == MachineReason::kEmptyUserAgent);
  CHECK(click(1 * kSec, kIphone, 0, 3).reason == MachineReason::kTooSoon);

  SUBCASE("every link within the window: the burst is machine") {
    const Micros t = 600 * kSec;
    std::vector<PriorClick> recent = {
        {kSent + t - 20 * kSec, 0, false},  // outside the window: stays human
        {kSent + t - 3 * kSec, 0, false},
        {kSent + t - 2 * kSec, 1, false},
        {kSent + t - 1 * kSec, 1, true},
    };
    ClickVerdict v = click(t, kIphone, 2, 3, recent);
    CHECK(v.machine);
    CHECK(v.reason == MachineReason::kAllLinks);
    CHECK(v.reclassify == std::vector<size_t>{1, 2});
  }
  SUBCASE("a person clicking two of three links quickly is human") {
    const Micros t = 600 * kSec;
    ClickVerdict v = click(t, kIphone, 1, 3, {{kSent + t - 2 * kSec, 0, false}});
    CHECK_FALSE(v.machine);
    CHECK(v.reclassify.empty());
  }
  SUBCASE("all links, but spread over minutes, is human") {
    const Micros t = 600 * kSec;
    ClickVerdict v = click(t, kIphone, 1, 2, {{kSent + t - 60 * kSec, 0, false}});
    CHECK_FALSE(v.machine);
  }
  SUBCASE("a single-link message is never a burst") {
    CHECK_FALSE(click(600 * kSec, kIphone, 0, 1, {{kSent + 599 * kSec, 0, false}}).machine);
  }
}

TEST_CASE("SMS keywords") {
  for (const char* stop :
       {"STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "CANCEL", "END", "quit"}) {
    CAPTURE(stop);
    CHECK(ParseSmsKeyword(stop) == SmsKeyword::kStop);
  }
  for (const char* start : {"START", "unstop", "Yes"})
    CHECK(ParseSmsKeyword(start) == SmsKeyword::kStart);
  CHECK(ParseSmsKeyword("HELP") == SmsKeyword::kHelp);
  CHECK(ParseSmsKeyword("info") == SmsKeyword::kHelp);
  CHECK(ParseSmsKeyword("please stop") == SmsKeyword::kNone);
  CHECK(ParseSmsKeyword("") == SmsKeyword::kNone);
}

}  // namespace
}  // namespace herald
