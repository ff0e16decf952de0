// What the log sink sees: one line per attempt at debug level, warnings for waits, and never a
// secret, a token or an IOC value, whatever the level.
#include <gtest/gtest.h>

#include <mutex>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

using falcon::testing::FakeTransport;

namespace {
struct Capture {
  std::mutex mu;
  std::string text;
  std::vector<std::pair<falcon::LogLevel, std::string>> lines;
  falcon::LogSink sink() {
    return [this](falcon::LogLevel level, std::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      text.append(line).push_back('\n');
      lines.emplace_back(level, std::string(line));
    };
  }
};
}  // namespace

TEST(Logging, SecretsTokensAndIocValuesNeverReachTheSink) {
  auto fake = std::make_shared<FakeTransport>();
  Capture cap;
  falcon::Config cfg;
  cfg.client_id = "client-id-123";
  cfg.client_secret = "SUPER-SECRET-VALUE";
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  cfg.log = cap.sink();
  cfg.log_level = falcon::LogLevel::trace;
  cfg.sleeper = [](std::chrono::milliseconds) {};
  nlohmann::json denied = {{"errors", {{{"code", 401}, {"message", "access denied"}}}}};
  fake->reply_token("TOKEN-ONE-abcdef")
      .reply(201, {{"resources", nlohmann::json::array()}})
      .reply(401, denied)
      .reply_token("TOKEN-TWO-123456")
      .reply(200, {{"resources", nlohmann::json::array()}})
      .reply(200, {{"meta", nlohmann::json::object()}});
  falcon::Client client(cfg);
  falcon::IOC ioc(client);
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = "very-secret-ioc.example.com";
  o.applied_globally = true;
  o.comment = "private comment";
  ASSERT_TRUE(ioc.indicator_create(o).ok());
  falcon::IndicatorSearchOptions s;
  s.filter = "value:'very-secret-ioc.example.com'";
  ASSERT_TRUE(ioc.indicator_search(s).ok());  // 401, renewed, replayed
  ASSERT_TRUE(client.revoke().ok());

  ASSERT_FALSE(cap.lines.empty());
  for (const char* secret :
       {"SUPER-SECRET-VALUE", "TOKEN-ONE-abcdef", "TOKEN-TWO-123456", "Bearer", "Authorization",
        "very-secret-ioc", "private comment", "Y2xpZW50LWlkLTEyMzpTVVBFUi1TRUNSRVQtVkFMVUU="}) {
    EXPECT_EQ(cap.text.find(secret), std::string::npos) << secret << " leaked:\n" << cap.text;
  }
  // One debug line per attempt, naming the operation, method, route, status and attempt.
  EXPECT_NE(
      cap.text.find("indicator_create_v1 POST /iocs/entities/indicators/v1 -> 201 (attempt 1"),
      std::string::npos)
      << cap.text;
  EXPECT_NE(cap.text.find("indicator_search_v1 GET /iocs/queries/indicators/v1 -> 401 (attempt 1"),
            std::string::npos);
  // The replay after a 401 is the call's second attempt.
  EXPECT_NE(cap.text.find("indicator_search_v1 GET /iocs/queries/indicators/v1 -> 200 (attempt 2"),
            std::string::npos)
      << cap.text;
  bool warned = false;
  for (const auto& [level, line] : cap.lines) {
    warned |= level == falcon::LogLevel::warning && line.find("401") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST(Logging, LevelThresholdIsHonoured) {
  auto fake = std::make_shared<FakeTransport>();
  Capture cap;
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  cfg.log = cap.sink();
  cfg.log_level = falcon::LogLevel::warning;
  fake->reply_token().reply(200, {{"resources", nlohmann::json::array()}});
  ASSERT_TRUE(falcon::IOC(cfg).action_query().ok());
  EXPECT_TRUE(cap.lines.empty()) << cap.text;
}

TEST(Logging, DisabledTlsVerificationIsAWarning) {
  Capture cap;
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.ssl_verify = false;
  cfg.log = cap.sink();
  falcon::Client client(cfg);
  ASSERT_EQ(cap.lines.size(), 1u);
  EXPECT_EQ(cap.lines[0].first, falcon::LogLevel::warning);
  EXPECT_NE(cap.lines[0].second.find("ssl_verify"), std::string::npos);
}

TEST(Logging, AThrowingSinkDoesNotBreakTheCall) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  cfg.log_level = falcon::LogLevel::trace;
  cfg.log = [](falcon::LogLevel, std::string_view) { throw std::runtime_error("sink down"); };
  fake->reply_token().reply(200, {{"resources", nlohmann::json::array()}});
  EXPECT_TRUE(falcon::IOC(cfg).action_query().ok());
}
