// What the real gateway shows clients: header spelling, relative times in filters.
#include <set>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

// Header names exactly as they came off the wire (httplib keeps the sender's spelling).
std::set<std::string> names(const httplib::Response& r) {
  std::set<std::string> out;
  for (const auto& [k, v] : r.headers) out.insert(k);
  return out;
}

class FidelityTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.rate_limit_per_minute = 3;
    return o;
  }
};

TEST_F(FidelityTest, HeadersAreSpelledAsTheGoGatewaySpellsThem) {
  auto t = client_->Post("/oauth2/token",
                         "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret",
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(t);
  auto n = names(*t);
  EXPECT_EQ(n.count("X-Cs-Region"), 1u);
  EXPECT_EQ(n.count("X-Cs-Traceid"), 1u);
  EXPECT_EQ(n.count("X-Ratelimit-Limit"), 1u);
  EXPECT_EQ(n.count("X-Ratelimit-Remaining"), 1u);
  EXPECT_EQ(n.count("X-CS-Region"), 0u);
  EXPECT_EQ(n.count("X-CS-TRACEID"), 0u);
  EXPECT_EQ(n.count("X-RateLimit-Limit"), 0u);

  for (int i = 0; i < 3; ++i) call_json("GET", "/iocs/queries/platforms/v1", 200);
  auto r = call("GET", "/iocs/queries/platforms/v1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 429);
  n = names(*r);
  EXPECT_EQ(n.count("X-Ratelimit-Retryafter"), 1u);
  EXPECT_EQ(n.count("X-RateLimit-RetryAfter"), 0u);
  EXPECT_EQ(n.count("X-Cs-Traceid"), 1u);
}

using RelativeTimeTest = EmulatorTest;

TEST_F(RelativeTimeTest, FiltersTakeNowMinusDurations) {
  const auto ids = emu_->add_indicators(json::array({domain_item("recent.example.com")}));
  const auto search = [&](const std::string& filter) {
    const json r =
        call_json("GET", "/iocs/queries/indicators/v1?filter=" + url_encode(filter), 200);
    return r["resources"];
  };
  EXPECT_EQ(search("created_on:>'now-30d'"), json::array({ids[0]}));
  EXPECT_EQ(search("created_on:>='now-24h'"), json::array({ids[0]}));
  EXPECT_EQ(search("modified_on:>'now-1w'"), json::array({ids[0]}));
  EXPECT_EQ(search("created_on:<'now-1h'"), json::array());
  EXPECT_EQ(search("created_on:>'now-1d/d'"), json::array({ids[0]}));
  // Relative to the emulator's clock: 40 days later the indicator is older than 30 days.
  emu_->advance_clock(std::chrono::hours(24 * 40));
  token_.clear();  // the old token expired with the jump
  EXPECT_EQ(search("created_on:>'now-30d'"), json::array());
  EXPECT_EQ(search("created_on:<'now-30d'"), json::array({ids[0]}));

  const json bad = call_json(
      "GET", "/iocs/queries/indicators/v1?filter=" + url_encode("created_on:>'now-3x'"), 400);
  EXPECT_NE(bad["errors"][0]["message"].get<std::string>().find("now-30d"), std::string::npos)
      << bad.dump();
  // Only time fields take them: on a string field 'now-30d' is just text.
  EXPECT_EQ(search("value:'now-30d'"), json::array());
}

}  // namespace
}  // namespace falcon::emulator::testing
