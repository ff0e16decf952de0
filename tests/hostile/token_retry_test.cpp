// Issue 7 §3.8: the token endpoint gets the retry rules of an idempotent call (429 with its wait,
// 5xx, connection errors), and its 429/5xx are rate_limited/transport errors, not auth.
#include "hostile_support.hpp"

namespace hostile {
namespace {

const std::string kBusy = R"({"meta":{},"resources":[],"errors":[{"code":429,"message":"slow"}]})";
const std::string kDown = R"({"meta":{},"resources":[],"errors":[{"code":503,"message":"down"}]})";

TEST(HostileTokenRetry, RateLimitedTokenRequestWaitsAndSucceeds) {
  Server api;
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  api.on("POST", kTokenRoute,
         {Reply::json(429, kBusy,
                      {"X-RateLimit-RetryAfter: " + std::to_string(now_s + 2), "Retry-After: 2"}),
          Reply::token("tok-after-429")});
  api.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto err = client.login();
  ASSERT_FALSE(err.has_value()) << err->describe();
  EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 2u);
  auto waits = rec.waits->all();
  ASSERT_EQ(waits.size(), 1u) << "one wait for the one 429";
  EXPECT_GE(waits[0], 500ms);  // until the announced second, not a 1 ms backoff
  EXPECT_LE(waits[0], 2500ms);
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(api.requests("GET", kTypesRoute)[0].header("Authorization").value_or(""),
            "Bearer tok-after-429");
}

TEST(HostileTokenRetry, ServerErrorsAndDroppedConnectionsAreRetried) {
  Server api;
  api.set_keep_alive(false);  // each attempt on its own connection: counts are exact
  api.on("POST", kTokenRoute,
         {Reply::json(503, kDown), Reply::close(), Reply::token("tok-third-time")});
  Recorders rec;
  falcon::Client client(fast_config(api, rec));  // 3 attempts
  auto err = client.login();
  ASSERT_FALSE(err.has_value()) << err->describe();
  EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 3u);
}

TEST(HostileTokenRetry, TokenEndpointDownIsATransportErrorNotAuth) {
  for (int status : {500, 502, 503, 504}) {
    SCOPED_TRACE(status);
    Server api;
    api.on("POST", kTokenRoute, Reply::json(status, kDown));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));
    auto err = client.login();
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->kind, falcon::ErrorKind::transport) << err->describe();
    EXPECT_TRUE(contains(err->message, std::to_string(status))) << err->message;
    EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 3u) << "max_attempts is 3";

    // An API call reports the same kind.
    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  }
}

TEST(HostileTokenRetry, TokenEndpointRateLimitedForeverIsRateLimited) {
  Server api;
  api.on("POST", kTokenRoute, Reply::json(429, kBusy, {"Retry-After: 1"}));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto err = client.login();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, falcon::ErrorKind::rate_limited) << err->describe();
  EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 3u);
  EXPECT_EQ(rec.waits->all().size(), 2u) << "a wait before each retry";
}

TEST(HostileTokenRetry, TokenRateLimitLongerThanThePolicyAllowsIsNotWaited) {
  Server api;
  api.on("POST", kTokenRoute, Reply::json(429, kBusy, {"Retry-After: 3600"}));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));  // max_rate_limit_wait 5 s
  auto err = client.login();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, falcon::ErrorKind::rate_limited) << err->describe();
  EXPECT_TRUE(err->retry_at.has_value());
  EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 1u);
  EXPECT_TRUE(rec.waits->all().empty());
}

}  // namespace
}  // namespace hostile
