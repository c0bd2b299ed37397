#include "engine/track/metrics.h"

#include <doctest/doctest.h>

#include <cmath>

namespace herald {
namespace {

TEST_CASE("counter rows: sparse encoding and merging, negative deltas included") {
  std::string a = EncodeCounters({{kSent, 3}, {kOpensHuman, 2}, {kFirstOpenHist + 10, 1}});
  std::string b = EncodeCounters({{kOpensHuman, -1}, {kOpensMachine, 1}});
  std::string sum;
  REQUIRE(MergeEncodedCounters(a, b, &sum));
  Counters c;
  REQUIRE(c.AddEncoded(sum));
  CHECK(c[kSent] == 3);
  CHECK(c[kOpensHuman] == 1);
  CHECK(c[kOpensMachine] == 1);
  CHECK(c[kFirstOpenHist + 10] == 1);
  CHECK_FALSE(c.AddEncoded(""));
  CHECK_FALSE(c.AddEncoded("\x02"));
  CHECK_FALSE(c.AddEncoded(std::string("\x01\xff", 2)));
  CHECK(c[kSent] == 3);  // nothing added by a malformed row
  CHECK_FALSE(MergeEncodedCounters(a, "junk", &sum));
}

TEST_CASE("histogram bins and medians are within 4.5%") {
  CHECK(HistogramBin(0) == 0);
  CHECK(HistogramBin(999'999) == 0);
  CHECK(HistogramBin(1'000'000) == 1);
  CHECK(HistogramBin(-5) == 0);
  CHECK(HistogramBin(int64_t{1} << 62) == kHistogramBins - 1);
  for (Micros d :
       {Micros{1'500'000}, Micros{60'000'000}, Micros{3'600'000'000}, Micros{86'400'000'000}}) {
    const Micros v = HistogramBinValue(HistogramBin(d));
    CHECK(std::abs(double(v - d)) / double(d) < 0.045);
  }
  Counters c;
  for (Micros d : {10, 20, 30, 40, 50}) c.v[kSendDelayHist + HistogramBin(d * 60'000'000)] += 1;
  const Micros median = *HistogramMedian(c, kSendDelayHist);
  CHECK(std::abs(double(median) - 30 * 60e6) / (30 * 60e6) < 0.045);
  CHECK_FALSE(HistogramMedian(c, kFirstOpenHist));
}

TEST_CASE("derived rates") {
  Counters c;
  c.v[kSent] = 10;
  c.v[kBounced] = 2;
  c.v[kUniqueOpens] = 4;
  c.v[kUniqueClicks] = 2;
  c.v[kUniqueEmailClicks] = 1;
  c.v[kUniqueEngaged] = 5;
  Metrics m = DeriveMetrics(c);
  CHECK(m.reached == 8);
  CHECK(*m.open_rate == doctest::Approx(0.5));
  CHECK(*m.click_rate == doctest::Approx(0.25));
  CHECK(*m.click_to_open_rate == doctest::Approx(0.25));
  CHECK(*m.engagement_rate == doctest::Approx(0.625));
  CHECK_FALSE(DeriveMetrics(Counters{}).open_rate);
}

TEST_CASE("reason and link keys keep personal data out of counters") {
  CHECK(ReasonKey("permanent") == "permanent");
  CHECK(ReasonKey("Invalid_Number") == "invalid_number");
  CHECK(ReasonKey("") == "unspecified");
  CHECK(ReasonKey("550 5.1.1 <bob@example.org>: no such user") == "other");
  CHECK(LinkKey("https://a.gov/p/x?case=123&email=a@b#frag") == "https://a.gov/p/x");
  CHECK(LinkKey("https://a.gov/p#x") == "https://a.gov/p");
}

}  // namespace
}  // namespace herald
