// The tenant's limits (issues 16, 17, 18): the quota of live indicators, the per-customer
// sliding-window rate limit, and a port that is already taken.
#include <sys/wait.h>

#include <cstdio>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

constexpr const char* kSearch = "/iocs/queries/indicators/v1";

class QuotaTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.quota = 5;
    return o;
  }
};

TEST_F(QuotaTest, CreatePastTheQuotaIsRefusedNamingTheLimit) {
  create({domain_item("q1.example.com"), domain_item("q2.example.com"),
          domain_item("q3.example.com")});
  // 3 + 3 > 5: the whole request is refused, nothing written.
  json refused = create(
      {domain_item("q4.example.com"), domain_item("q5.example.com"), domain_item("q6.example.com")},
      400);
  const std::string message = refused["errors"][0]["message"];
  EXPECT_NE(message.find("custom IOC limit of 5 reached"), std::string::npos) << message;
  EXPECT_NE(message.find("holds 3"), std::string::npos) << message;
  EXPECT_EQ(emu_->indicator_count(), 3u);
  // ignore_warnings does not lift it; add_indicators (no HTTP) meets the same limit.
  create(
      {domain_item("q4.example.com"), domain_item("q5.example.com"), domain_item("q6.example.com")},
      400, "?ignore_warnings=true");
  EXPECT_THROW(emu_->add_indicators(
                   json::array({domain_item("x1.example.com"), domain_item("x2.example.com"),
                                domain_item("x3.example.com")})),
               std::exception);

  // Up to the limit goes through; a deleted indicator no longer counts.
  const json ids = create({domain_item("q4.example.com"), domain_item("q5.example.com")});
  create({domain_item("q6.example.com")}, 400);
  call_json("DELETE",
            "/iocs/entities/indicators/v1?ids=" + ids["resources"][0]["id"].get<std::string>(),
            200);
  create({domain_item("q6.example.com")});

  // The control endpoint reads and sets it; reset() puts Options::quota back.
  json q = control("GET", "/_emulator/quota");
  EXPECT_EQ(q["resources"][0]["quota"], 5);
  EXPECT_EQ(q["resources"][0]["live"], 5);
  q = control("POST", "/_emulator/quota", R"({"quota":6})");
  EXPECT_EQ(q["resources"][0]["quota"], 6);
  create({domain_item("q7.example.com")});
  json bad = control("POST", "/_emulator/quota", R"({"quota":-1})", 400);
  EXPECT_NE(bad["errors"][0]["message"].get<std::string>().find("quota"), std::string::npos);
  emu_->reset();
  EXPECT_EQ(control("GET", "/_emulator/quota")["resources"][0]["quota"], 5);
}

TEST(QuotaDefault, IsOneMillion) {
  EXPECT_EQ(Options{}.quota, 1000000u);
}

class CustomerRateLimitTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.rate_limit_per_minute = 4;
    return o;
  }
};

// The API's budget belongs to the customer, not to one token or connection.
TEST_F(CustomerRateLimitTest, TokensOfOneCustomerShareOneSlidingWindow) {
  const std::string first = fetch_token();
  const std::string second = fetch_token();
  ASSERT_NE(first, second);
  const auto get = [&](const std::string& token) {
    httplib::Client c("127.0.0.1", port_);
    return c.Get(kSearch, {{"Authorization", "Bearer " + token}});
  };
  for (int i = 0; i < 4; ++i) {
    auto r = get(i % 2 == 0 ? first : second);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), std::to_string(3 - i));
  }
  auto r = get(second);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "4");
  EXPECT_FALSE(r->get_header_value("X-RateLimit-RetryAfter").empty());
  // Half a minute later the four are still in the window; a minute later they are not.
  emu_->advance_clock(std::chrono::seconds(30));
  EXPECT_EQ(get(first)->status, 429);
  emu_->advance_clock(std::chrono::seconds(31));
  r = get(first);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), "3");
}

TEST(Bind, ATakenPortIsNamedInTheError) {
  Emulator first(Options{});
  const int port = first.start();
  Options o;
  o.port = port;
  Emulator second(o);
  try {
    second.start();
    ADD_FAILURE() << "bound a port that was taken";
  } catch (const BindError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("already in use"), std::string::npos) << what;
  }
}

#ifdef FALCON_EMULATOR_BIN
TEST(Bind, TheProgramSaysHowToPickAnotherPortAndExitsNonZero) {
  Emulator first(Options{});
  const int port = first.start();
  const std::string cmd =
      std::string(FALCON_EMULATOR_BIN) + " --port " + std::to_string(port) + " 2>&1 >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("already in use"), std::string::npos) << out;
  EXPECT_NE(out.find("--port"), std::string::npos) << out;
}
#endif

}  // namespace
}  // namespace falcon::emulator::testing
