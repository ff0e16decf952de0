// TokenManager alone, on a fake clock and a fake transport: lifetimes, renewal margin, redirects,
// retries of the token endpoint, header safety, region moves and revoke.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "falcon/testing/fake_transport.hpp"
#include "runtime.hpp"
#include "token_manager.hpp"

using falcon::internal::Runtime;
using falcon::internal::TokenManager;
using falcon::testing::FakeTransport;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

using TimePoint = std::chrono::system_clock::time_point;

struct Fixture {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  std::shared_ptr<std::atomic<std::int64_t>> clock =
      std::make_shared<std::atomic<std::int64_t>>(1'700'000'000);
  std::shared_ptr<std::vector<milliseconds>> slept = std::make_shared<std::vector<milliseconds>>();
  Runtime rt;
  std::unique_ptr<TokenManager> tm;

  explicit Fixture(std::string base = "https://api.test.local", bool cloud = false) {
    rt.cfg.client_id = "cid";
    rt.cfg.client_secret = "a-client-secret";
    auto c = clock;
    rt.cfg.clock = [c] { return TimePoint(seconds(c->load())); };
    auto s = slept;
    rt.cfg.sleeper = [s](milliseconds d) { s->push_back(d); };
    rt.cfg.retry.jitter = 0;
    rt.cfg.retry.initial_backoff = milliseconds(10);
    rt.redactor.add(rt.cfg.client_secret, true);
    tm = std::make_unique<TokenManager>(rt, fake, falcon::Headers{}, std::move(base), cloud);
  }
  TimePoint now() const { return TimePoint(seconds(clock->load())); }
  TokenManager::Token get() { return tm->get(TimePoint::max()); }
  std::size_t sent_to(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& r : fake->requests()) n += r.url.rfind(prefix, 0) == 0;
    return n;
  }
};

falcon::Headers location(const std::string& where) {
  return falcon::Headers{{"Location", where}};
}

}  // namespace

TEST(TokenManagerUnit, LifetimeOfAnyExpiresInIsClampedWithoutUndefinedBehaviour) {
  using nlohmann::json;
  const std::vector<std::pair<json, long long>> cases = {
      {json(1799), 1799},
      {json(0), 60},
      {json(-5), 60},
      {json(std::numeric_limits<std::int64_t>::max()), 86400},
      {json(std::numeric_limits<std::uint64_t>::max()), 86400},
      {json(1e30), 86400},
      {json(-1e30), 60},
      {json(std::numeric_limits<double>::quiet_NaN()), 1799},
      {json(3600.9), 3600},
      {json("abc"), 1799},
      {json("600"), 1799},
      {json(nullptr), 1799},
      {json::array(), 1799},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(TokenManager::lifetime(in).count(), want) << in.dump();
  }
}

TEST(TokenManagerUnit, ShortLivedTokenIsNotFetchedOnEveryCall) {
  Fixture f;
  f.fake->reply_token("short-lived-token", 0);  // clamped to 60 s; renew margin 30 s
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(f.get().error.has_value());
  EXPECT_EQ(f.fake->requests().size(), 1u);
  ASSERT_TRUE(f.tm->expiry().has_value());
  EXPECT_EQ(*f.tm->expiry(), f.now() + seconds(60));
  f.clock->fetch_add(29);
  ASSERT_FALSE(f.get().error.has_value());
  EXPECT_EQ(f.fake->requests().size(), 1u);
  f.fake->reply_token("next-token", 1799);
  f.clock->fetch_add(2);  // inside the 30 s margin
  EXPECT_EQ(f.get().value, "next-token");
  EXPECT_EQ(f.fake->requests().size(), 2u);
}

TEST(TokenManagerUnit, RedirectToAnotherOriginIsRefusedAndNamesTheHost) {
  for (int status : {301, 302, 303, 307, 308}) {
    Fixture f;
    f.fake->reply_raw(status, "", location("https://collector.evil.example/oauth2/token"));
    auto t = f.get();
    ASSERT_TRUE(t.error.has_value()) << status;
    EXPECT_EQ(t.error->kind, falcon::ErrorKind::auth);
    EXPECT_NE(t.error->message.find("collector.evil.example"), std::string::npos)
        << t.error->message;
    EXPECT_EQ(f.fake->requests().size(), 1u) << "nothing may be sent to the other host";
  }
}

TEST(TokenManagerUnit, SameOriginRedirectIsFollowedWithTheFormIntact) {
  Fixture f;
  f.fake->reply_raw(308, "", location("/regions/us-2/oauth2/token"));
  f.fake->reply_token("regional-token");
  auto t = f.get();
  ASSERT_FALSE(t.error.has_value()) << t.error->describe();
  EXPECT_EQ(t.value, "regional-token");
  auto reqs = f.fake->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].url, "https://api.test.local/regions/us-2/oauth2/token");
  EXPECT_NE(reqs[1].body->find("client_secret=a-client-secret"), std::string::npos);
  EXPECT_FALSE(reqs[1].follow_redirects);
}

TEST(TokenManagerUnit, PortOrSchemeChangeIsAnotherOrigin) {
  for (const char* target :
       {"https://api.test.local:8443/oauth2/token", "http://api.test.local/oauth2/token",
        "https://api.test.local.evil.example/oauth2/token", "//evil.example/oauth2/token"}) {
    Fixture f;
    f.fake->reply_raw(307, "", location(target));
    auto t = f.get();
    ASSERT_TRUE(t.error.has_value()) << target;
    EXPECT_EQ(t.error->kind, falcon::ErrorKind::auth) << target;
    EXPECT_EQ(f.fake->requests().size(), 1u) << target;
  }
}

TEST(TokenManagerUnit, CloudNameMovesToTheKnownCloudOfARegionRedirect) {
  Fixture f("https://api.crowdstrike.com", /*cloud=*/true);
  falcon::Headers h = location("https://api.us-2.crowdstrike.com/oauth2/token");
  h.emplace("X-Cs-Region", "us-2");
  f.fake->reply_raw(308, "", h);
  f.fake->reply_token("us2-token");
  auto t = f.get();
  ASSERT_FALSE(t.error.has_value()) << t.error->describe();
  EXPECT_EQ(f.tm->base_url(), "https://api.us-2.crowdstrike.com");
  EXPECT_EQ(f.fake->requests()[1].url, "https://api.us-2.crowdstrike.com/oauth2/token");
}

TEST(TokenManagerUnit, CloudNameDoesNotFollowARedirectOutsideCrowdStrike) {
  Fixture f("https://api.crowdstrike.com", /*cloud=*/true);
  f.fake->reply_raw(308, "", location("https://api.us-2.crowdstrike.com.evil.example/x"));
  auto t = f.get();
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->kind, falcon::ErrorKind::auth);
  EXPECT_EQ(f.fake->requests().size(), 1u);
  EXPECT_EQ(f.tm->base_url(), "https://api.crowdstrike.com");
}

TEST(TokenManagerUnit, TokenEndpoint429IsWaitedOutLikeAnyCall) {
  Fixture f;
  f.fake->reply(429, nlohmann::json::object(), falcon::Headers{{"Retry-After", "3"}});
  f.fake->reply_token("after-wait");
  auto t = f.get();
  ASSERT_FALSE(t.error.has_value()) << t.error->describe();
  ASSERT_EQ(f.slept->size(), 1u);
  EXPECT_EQ(f.slept->front(), milliseconds(3000));
}

TEST(TokenManagerUnit, TokenEndpoint5xxIsRetriedThenReportedAsTransport) {
  Fixture f;
  for (int i = 0; i < 4; ++i) f.fake->reply(503, {{"errors", {{{"message", "busy"}}}}});
  auto t = f.get();
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->kind, falcon::ErrorKind::transport);
  EXPECT_EQ(t.error->attempts, 4);
  EXPECT_NE(t.error->message.find("HTTP 503"), std::string::npos) << t.error->message;
  EXPECT_EQ(f.slept->size(), 3u);
}

TEST(TokenManagerUnit, TokenEndpointStill429IsRateLimited) {
  Fixture f;
  for (int i = 0; i < 4; ++i) f.fake->reply(429, nlohmann::json::object());
  auto t = f.get();
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->kind, falcon::ErrorKind::rate_limited);
}

TEST(TokenManagerUnit, TokenEndpoint403IsAuthAndNotRetried) {
  Fixture f;
  f.fake->reply(403, {{"errors", {{{"message", "access denied, authorization failed"}}}}});
  auto t = f.get();
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->kind, falcon::ErrorKind::auth);
  EXPECT_EQ(f.fake->requests().size(), 1u);
}

TEST(TokenManagerUnit, TokenWithCrLfOrSpaceIsRefused) {
  const std::vector<std::string> bad_tokens = {"tok\r\nX-Evil: 1", "tok en",
                                               std::string("tok\0x", 5), "t\xc3\xa9l\xc3\xa9phone"};
  for (const auto& bad : bad_tokens) {
    Fixture f;
    f.fake->reply(201, {{"access_token", bad}, {"expires_in", 1799}});
    auto t = f.get();
    ASSERT_TRUE(t.error.has_value()) << bad;
    EXPECT_EQ(t.error->kind, falcon::ErrorKind::auth);
    EXPECT_TRUE(t.value.empty());
  }
}

TEST(TokenManagerUnit, ErrorsNeverCarryTheSecretEvenWhenTheServerEchoesIt) {
  Fixture f;
  f.fake->reply(
      400,
      {{"errors", {{{"message", "bad request: client_id=cid&client_secret=a-client-secret"}}}}});
  auto t = f.get();
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->message.find("a-client-secret"), std::string::npos) << t.error->message;
  EXPECT_NE(t.error->message.find("[redacted]"), std::string::npos) << t.error->message;
}

TEST(TokenManagerUnit, RevokeFollowsNoRedirect) {
  Fixture f;
  f.fake->reply_token("to-revoke");
  ASSERT_FALSE(f.get().error.has_value());
  f.fake->reply_raw(307, "", location("https://elsewhere.example/oauth2/revoke"));
  auto r = f.tm->revoke();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth);
  EXPECT_NE(r.error->message.find("elsewhere.example"), std::string::npos);
  EXPECT_EQ(f.sent_to("https://elsewhere.example"), 0u);
  EXPECT_EQ(f.fake->requests().size(), 2u);
  EXPECT_FALSE(f.tm->expiry().has_value());  // forgotten either way
}

TEST(TokenManagerUnit, InvalidateOnlyDropsTheGenerationItWasGiven) {
  Fixture f;
  f.fake->reply_token("first");
  auto first = f.get();
  f.tm->invalidate(first.generation);
  f.fake->reply_token("second");
  auto second = f.get();
  EXPECT_EQ(second.value, "second");
  f.tm->invalidate(first.generation);  // stale: a newer token is kept
  EXPECT_EQ(f.get().value, "second");
  EXPECT_EQ(f.fake->requests().size(), 2u);
}

TEST(TokenManagerUnit, DeadlineStopsTokenRetries) {
  Fixture f;
  f.rt.cfg.retry.initial_backoff = milliseconds(5000);
  for (int i = 0; i < 4; ++i) f.fake->reply(503, nlohmann::json::object());
  auto t = f.tm->get(f.now() + seconds(2));
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(f.fake->requests().size(), 1u);  // a 5 s backoff does not fit in 2 s
  EXPECT_TRUE(f.slept->empty());
}
