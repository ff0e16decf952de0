// The retry loop: 429 waits, backoff for idempotent calls, the non-idempotent rules, pacing.
// A fake clock and a recording sleeper keep these tests instant.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

using namespace std::chrono_literals;
using falcon::testing::FakeTransport;

namespace {

struct Harness {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  std::shared_ptr<std::atomic<std::int64_t>> now_ms =
      std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  std::shared_ptr<std::vector<std::chrono::milliseconds>> sleeps =
      std::make_shared<std::vector<std::chrono::milliseconds>>();
  std::vector<std::string> log_lines;
  std::shared_ptr<std::mutex> log_mu = std::make_shared<std::mutex>();

  falcon::Config config() {
    falcon::Config cfg;
    cfg.client_id = "cid";
    cfg.client_secret = "secret";
    cfg.base_url = "https://api.test.local";
    cfg.transport = fake;
    auto n = now_ms;
    cfg.clock = [n] {
      return std::chrono::system_clock::time_point(std::chrono::milliseconds(n->load()));
    };
    auto s = sleeps;
    cfg.sleeper = [s, n](std::chrono::milliseconds d) {
      s->push_back(d);
      n->fetch_add(d.count());  // time passes while we "sleep"
    };
    cfg.retry.jitter = 0;  // deterministic backoff
    cfg.retry.slow_down_near_limit = false;
    cfg.log_level = falcon::LogLevel::debug;
    cfg.log = [this](falcon::LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(*log_mu);
      log_lines.emplace_back(line);
    };
    return cfg;
  }
  std::int64_t now_seconds() const { return now_ms->load() / 1000; }
};

nlohmann::json ok_body() {
  return {{"meta", {{"query_time", 0.01}}},
          {"errors", nlohmann::json::array()},
          {"resources", nlohmann::json::array()}};
}

nlohmann::json err_body(int code) {
  return {{"meta", nlohmann::json::object()},
          {"errors", {{{"code", code}, {"message", "err " + std::to_string(code)}}}}};
}

falcon::IndicatorGetOptions get_ids() {
  falcon::IndicatorGetOptions o;
  o.ids = {"id1"};
  return o;
}

falcon::IndicatorCreateOptions create_one() {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = "bad.example.com";
  o.action = "detect";
  o.severity = "low";
  o.applied_globally = true;
  return o;
}

falcon::Headers retry_at(std::int64_t epoch) {
  falcon::Headers h;
  h.emplace("X-RateLimit-RetryAfter", std::to_string(epoch));
  h.emplace("X-RateLimit-Remaining", "0");
  h.emplace("X-RateLimit-Limit", "6000");
  return h;
}

}  // namespace

TEST(Retry, TooManyRequestsWaitsUntilRetryAfterEpochSeconds) {
  Harness h;
  auto cfg = h.config();
  const auto when = h.now_seconds() + 2;
  h.fake->reply_token().reply(429, err_body(429), retry_at(when)).reply(200, ok_body());
  falcon::IOC ioc(cfg);
  auto r = ioc.indicator_get(get_ids());
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  EXPECT_EQ(r.attempts, 2);
  ASSERT_EQ(h.sleeps->size(), 1u);
  EXPECT_EQ(h.sleeps->at(0), 2000ms);
  bool logged = false;
  for (const auto& l : h.log_lines) {
    logged |= l.find("indicator_get_v1") != std::string::npos &&
              l.find("429") != std::string::npos && l.find("2000 ms") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST(Retry, RetryAfterAboveTenToTheTwelveIsMilliseconds) {
  Harness h;
  const auto when_ms = h.now_ms->load() + 1500;
  h.fake->reply_token().reply(429, err_body(429), retry_at(when_ms)).reply(200, ok_body());
  auto r = falcon::IOC(h.config()).indicator_get(get_ids());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h.sleeps->size(), 1u);
  EXPECT_EQ(h.sleeps->at(0), 1500ms);
}

TEST(Retry, StandardRetryAfterSecondsIsTheFallback) {
  Harness h;
  falcon::Headers hdr;
  hdr.emplace("Retry-After", "3");
  h.fake->reply_token().reply(429, err_body(429), hdr).reply(200, ok_body());
  ASSERT_TRUE(falcon::IOC(h.config()).indicator_get(get_ids()).ok());
  ASSERT_EQ(h.sleeps->size(), 1u);
  EXPECT_EQ(h.sleeps->at(0), 3000ms);
}

TEST(Retry, WaitLongerThanTheCapIsARateLimitedError) {
  Harness h;
  auto cfg = h.config();
  cfg.retry.max_rate_limit_wait = 5s;
  const auto when = h.now_seconds() + 30;
  h.fake->reply_token().reply(429, err_body(429), retry_at(when));
  auto r = falcon::IOC(cfg).indicator_get(get_ids());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::rate_limited);
  ASSERT_TRUE(r.error->retry_at.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(r.error->retry_at->time_since_epoch())
                .count(),
            when);
  EXPECT_EQ(r.status_code, 429);
  EXPECT_TRUE(h.sleeps->empty());
}

TEST(Retry, CreateIsRetriedOn429) {
  Harness h;
  h.fake->reply_token()
      .reply(429, err_body(429), retry_at(h.now_seconds() + 1))
      .reply(201, ok_body());
  auto r = falcon::IOC(h.config()).indicator_create(create_one());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h.fake->api_requests().size(), 2u);
  EXPECT_EQ(*h.fake->api_requests()[0].body, *h.fake->api_requests()[1].body);
}

TEST(Retry, ServerErrorsOnAGetBackOffExponentially) {
  Harness h;
  h.fake->reply_token().reply(503, err_body(503)).reply(503, err_body(503)).reply(200, ok_body());
  auto r = falcon::IOC(h.config()).indicator_get(get_ids());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 3);
  ASSERT_EQ(h.sleeps->size(), 2u);
  EXPECT_EQ(h.sleeps->at(0), 250ms);
  EXPECT_EQ(h.sleeps->at(1), 500ms);
}

TEST(Retry, BackoffIsCappedAndAttemptsAreBounded) {
  Harness h;
  auto cfg = h.config();
  cfg.retry.max_attempts = 5;
  cfg.retry.initial_backoff = 1000ms;
  cfg.retry.max_backoff = 3000ms;
  h.fake->reply_token();
  for (int i = 0; i < 5; ++i) h.fake->reply(502, err_body(502));
  auto r = falcon::IOC(cfg).action_query();
  EXPECT_EQ(r.status_code, 502);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.error.has_value());  // an API error is data, not an SDK error
  EXPECT_EQ(r.attempts, 5);
  std::vector<std::chrono::milliseconds> expected = {1000ms, 2000ms, 3000ms, 3000ms};
  EXPECT_EQ(*h.sleeps, expected);
}

TEST(Retry, JitterStaysWithinItsBand) {
  Harness h;
  auto cfg = h.config();
  cfg.retry.jitter = 0.5;
  cfg.retry.max_attempts = 2;
  h.fake->reply_token();
  for (int i = 0; i < 40; ++i) h.fake->reply(500, err_body(500)).reply(200, ok_body());
  falcon::IOC ioc(cfg);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(ioc.action_query().ok());
  ASSERT_EQ(h.sleeps->size(), 40u);
  bool varied = false;
  for (auto d : *h.sleeps) {
    EXPECT_GE(d.count(), 125);
    EXPECT_LE(d.count(), 375);
    varied |= d != h.sleeps->front();
  }
  EXPECT_TRUE(varied);
}

TEST(Retry, ServerErrorOnCreateIsNotRetried) {
  Harness h;
  h.fake->reply_token().reply(503, err_body(503)).reply(201, ok_body());
  auto r = falcon::IOC(h.config()).indicator_create(create_one());
  EXPECT_EQ(r.status_code, 503);
  EXPECT_EQ(h.fake->api_requests().size(), 1u);
  EXPECT_TRUE(h.sleeps->empty());
}

TEST(Retry, ConnectFailureOnCreateIsRetriedButAFailureAfterSendingIsNot) {
  Harness h;
  falcon::Error refused{falcon::ErrorKind::transport, "Couldn't connect", "", false, {}, 0};
  falcon::Error reset{falcon::ErrorKind::transport, "Recv failure", "", true, {}, 0};
  h.fake->reply_token().fail(refused).reply(201, ok_body());
  auto r = falcon::IOC(h.config()).indicator_create(create_one());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 2);

  h.fake->reply_token().fail(reset).reply(201, ok_body());
  auto r2 = falcon::IOC(h.config()).indicator_create(create_one());
  ASSERT_TRUE(r2.error.has_value());
  EXPECT_EQ(r2.error->kind, falcon::ErrorKind::transport);
  EXPECT_EQ(r2.error->attempts, 1);
  EXPECT_EQ(h.fake->pending(), 1u);  // the canned 201 was never asked for
}

TEST(Retry, ConnectionResetOnAGetIsRetried) {
  Harness h;
  falcon::Error reset{falcon::ErrorKind::transport, "Recv failure", "", true, {}, 0};
  falcon::Error slow{falcon::ErrorKind::timeout, "Operation timed out", "", true, {}, 0};
  h.fake->reply_token().fail(reset).fail(slow).reply(200, ok_body());
  auto r = falcon::IOC(h.config()).indicator_get(get_ids());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 3);
}

TEST(Retry, AggregateAndReportAreRetriedLikeReads) {
  Harness h;
  h.fake->reply_token().reply(500, err_body(500)).reply(200, ok_body());
  h.fake->reply(504, err_body(504)).reply(200, ok_body());
  falcon::IOC ioc(h.config());
  EXPECT_TRUE(ioc.indicator_aggregate().ok());
  EXPECT_TRUE(ioc.get_indicators_report().ok());
  EXPECT_EQ(h.sleeps->size(), 2u);
}

TEST(Retry, PerCallPolicyOverridesTheConfig) {
  Harness h;
  h.fake->reply_token().reply(503, err_body(503)).reply(200, ok_body());
  falcon::CallOptions call;
  call.retry = falcon::RetryPolicy::none();
  auto r = falcon::IOC(h.config()).indicator_get(get_ids(), call);
  EXPECT_EQ(r.status_code, 503);
  EXPECT_EQ(h.fake->pending(), 1u);
}

TEST(Retry, SlowsDownWhenRemainingRunsLow) {
  Harness h;
  auto cfg = h.config();
  cfg.retry.slow_down_near_limit = true;
  falcon::Headers low;
  low.emplace("X-RateLimit-Limit", "600");
  low.emplace("X-RateLimit-Remaining", "3");
  h.fake->reply_token().reply(200, ok_body(), low).reply(200, ok_body(), low);
  falcon::IOC ioc(cfg);
  ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_TRUE(h.sleeps->empty());  // nothing known before the first reply
  ASSERT_TRUE(ioc.action_query().ok());
  ASSERT_EQ(h.sleeps->size(), 1u);
  EXPECT_EQ(h.sleeps->at(0), 100ms);  // 60 s / 600 per minute
}

// The token request and an API call go through one attempt loop: the same backoff for the same
// failure, the same log lines, and attempts counted the same way.
TEST(Retry, TheTokenRequestAndTheCallShareOneLoop) {
  Harness h;
  h.fake->reply(503, err_body(503))
      .reply_token()
      .reply(503, err_body(503))
      .reply(200, ok_body());
  auto r = falcon::IOC(h.config()).indicator_get(get_ids());
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : std::to_string(r.status_code));
  EXPECT_EQ(r.attempts, 2);  // the token's attempts are counted only when the token fails
  const std::vector<std::chrono::milliseconds> expected = {250ms, 250ms};
  EXPECT_EQ(*h.sleeps, expected);
  auto logged = [&](const std::string& text) {
    std::lock_guard<std::mutex> lock(*h.log_mu);
    for (const auto& line : h.log_lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(logged("falcon: oauth2AccessToken: HTTP 503; retrying attempt 2 in 250 ms"));
  EXPECT_TRUE(logged("falcon: indicator_get_v1: HTTP 503; retrying attempt 2 in 250 ms"));
  EXPECT_TRUE(logged("oauth2AccessToken POST /oauth2/token -> 201 (attempt 2, "));
  EXPECT_TRUE(logged("indicator_get_v1 GET /iocs/entities/indicators/v1 -> 200 (attempt 2, "));
}
