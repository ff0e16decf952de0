// Token manager behaviour through the public Client API, with an injected clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

using namespace std::chrono_literals;
using falcon::testing::FakeTransport;

namespace {

struct FakeClock {
  std::shared_ptr<std::atomic<std::int64_t>> seconds =
      std::make_shared<std::atomic<std::int64_t>>(1'700'000'000);
  falcon::Clock fn() const {
    auto s = seconds;
    return [s] { return std::chrono::system_clock::time_point(std::chrono::seconds(s->load())); };
  }
  void advance(std::int64_t by) { seconds->fetch_add(by); }
};

falcon::Config make_config(std::shared_ptr<FakeTransport> fake, const FakeClock& clock,
                           std::string base = "https://api.test.local") {
  falcon::Config cfg;
  cfg.client_id = "cid";
  cfg.client_secret = "csecret";
  cfg.base_url = std::move(base);
  cfg.transport = fake;
  cfg.clock = clock.fn();
  cfg.sleeper = [](std::chrono::milliseconds) {};
  cfg.retry = falcon::RetryPolicy::none();
  return cfg;
}

nlohmann::json ok_body() {
  return {{"meta", {{"query_time", 0.01}, {"trace_id", "t"}}},
          {"errors", nlohmann::json::array()},
          {"resources", nlohmann::json::array({"a"})}};
}

std::size_t token_requests(const FakeTransport& fake) {
  std::size_t n = 0;
  for (const auto& r : fake.requests()) n += r.url.find("/oauth2/token") != std::string::npos;
  return n;
}

}  // namespace

TEST(TokenManager, FirstCallFetchesATokenWithTheFormAndNoBearer) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto cfg = make_config(fake, clock);
  cfg.member_cid = "child-cid";
  fake->reply_token("tok-1").reply(200, ok_body());
  falcon::IOC ioc(cfg);
  auto r = ioc.action_query();
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  auto reqs = fake->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "https://api.test.local/oauth2/token");
  EXPECT_EQ(*reqs[0].body, "client_id=cid&client_secret=csecret&member_cid=child-cid");
  EXPECT_EQ(*falcon::header_value(reqs[0].headers, "content-type"),
            "application/x-www-form-urlencoded");
  EXPECT_FALSE(falcon::header_value(reqs[0].headers, "Authorization").has_value());
  // The token manager judges a 3xx itself (same origin only); no request lets curl follow one.
  EXPECT_FALSE(reqs[0].follow_redirects);
  EXPECT_EQ(*falcon::header_value(reqs[1].headers, "Authorization"), "Bearer tok-1");
  EXPECT_FALSE(reqs[1].follow_redirects);
}

TEST(TokenManager, ReusedWhileFreshAndRenewedInsideTheWindow) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock));
  falcon::IOC ioc(client);
  fake->reply_token("tok-1", 1799);
  for (int i = 0; i < 5; ++i) fake->reply(200, ok_body());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_EQ(token_requests(*fake), 1u);

  // 1799 - 120 = 1679 s: at 1678 s the token is still fresh.
  clock.advance(1678);
  ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_EQ(token_requests(*fake), 1u);

  // One second later it is inside the renew window: a new token before the call.
  clock.advance(1);
  fake->clear();
  fake->reply_token("tok-2", 1799).reply(200, ok_body());
  ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_EQ(token_requests(*fake), 1u);
  EXPECT_EQ(*falcon::header_value(fake->last_request().headers, "Authorization"), "Bearer tok-2");
  auto expiry = client.token_expiry();
  ASSERT_TRUE(expiry.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(expiry->time_since_epoch()).count(),
            1'700'000'000 + 1679 + 1799);
}

TEST(TokenManager, RenewWindowIsConfigurable) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  auto cfg = make_config(fake, clock);
  cfg.renew_window = 600s;
  falcon::IOC ioc(cfg);
  fake->reply_token("tok-1", 1799).reply(200, ok_body());
  ASSERT_TRUE(ioc.action_query().ok());
  clock.advance(1799 - 600);
  fake->reply_token("tok-2", 1799).reply(200, ok_body());
  ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_EQ(token_requests(*fake), 2u);
}

TEST(TokenManager, SixteenThreadsColdStartMakeOneTokenRequest) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  std::atomic<int> token_calls{0};
  fake->respond_with([&](const falcon::HttpRequest& req) {
    falcon::TransportResult r;
    r.response.headers.emplace("Content-Type", "application/json");
    if (req.url.find("/oauth2/token") != std::string::npos) {
      token_calls.fetch_add(1);
      std::this_thread::sleep_for(50ms);  // keep the refresh in flight while others arrive
      r.response.status = 201;
      r.response.body = R"({"access_token":"shared","expires_in":1799,"token_type":"bearer"})";
    } else {
      r.response.status = 200;
      r.response.body = ok_body().dump();
    }
    return r;
  });
  falcon::IOC ioc(make_config(fake, clock));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] { ok += ioc.action_query().ok() ? 1 : 0; });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(token_calls.load(), 1);
  for (const auto& r : fake->api_requests()) {
    EXPECT_EQ(*falcon::header_value(r.headers, "Authorization"), "Bearer shared");
  }
}

TEST(TokenManager, FailedLoginIsAnAuthErrorAndNothingIsSent) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  fake->reply(403, {{"meta", nlohmann::json::object()},
                    {"errors", {{{"code", 403}, {"message", "access denied, invalid client"}}}},
                    {"resources", nullptr}});
  falcon::IOC ioc(make_config(fake, clock));
  auto r = ioc.indicator_search();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth);
  EXPECT_NE(r.error->message.find("access denied, invalid client"), std::string::npos);
  EXPECT_NE(r.error->message.find("403"), std::string::npos);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(fake->api_requests().empty());  // never "Bearer <nothing>"
}

TEST(TokenManager, TransportFailureOnLoginIsReported) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Error e;
  e.kind = falcon::ErrorKind::transport;
  e.message = "Couldn't connect to server";
  e.request_sent = false;
  fake->fail(e);
  falcon::IOC ioc(make_config(fake, clock));
  auto r = ioc.action_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_NE(r.error->message.find("token request failed"), std::string::npos);
  EXPECT_TRUE(fake->api_requests().empty());
}

TEST(TokenManager, ThreadsQueuedBehindAFailedLoginShareItsError) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  std::atomic<int> token_calls{0};
  fake->respond_with([&](const falcon::HttpRequest&) {
    token_calls.fetch_add(1);
    std::this_thread::sleep_for(50ms);
    falcon::TransportResult r;
    r.response.status = 403;
    r.response.body = R"({"errors":[{"code":403,"message":"denied"}]})";
    return r;
  });
  falcon::IOC ioc(make_config(fake, clock));
  std::vector<std::thread> threads;
  std::atomic<int> auth_errors{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto r = ioc.action_query();
      auth_errors += (r.error && r.error->kind == falcon::ErrorKind::auth) ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(auth_errors.load(), 8);
  // Threads that waited behind a refresh take its error instead of each retrying.
  EXPECT_LT(token_calls.load(), 8);
  EXPECT_TRUE(fake->api_requests().empty());
}

TEST(TokenManager, RegionHeaderMovesACloudNameBaseUrl) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock, "us-1"));
  EXPECT_EQ(client.base_url(), "https://api.crowdstrike.com");
  fake->reply_token("tok", 1799, "eu-1").reply(200, ok_body());
  falcon::IOC ioc(client);
  ASSERT_TRUE(ioc.action_query().ok());
  auto reqs = fake->requests();
  EXPECT_EQ(reqs[0].url, "https://api.crowdstrike.com/oauth2/token");
  EXPECT_EQ(reqs[1].url, "https://api.eu-1.crowdstrike.com/iocs/queries/actions/v1");
  EXPECT_EQ(client.base_url(), "https://api.eu-1.crowdstrike.com");
}

TEST(TokenManager, RegionHeaderIsReadCaseInsensitively) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock, "US-1"));
  falcon::Headers h;
  h.emplace("x-cs-region", "us-2");
  fake->reply(201, {{"access_token", "t"}, {"expires_in", 1799}}, h).reply(200, ok_body());
  ASSERT_TRUE(falcon::IOC(client).action_query().ok());
  EXPECT_EQ(client.base_url(), "https://api.us-2.crowdstrike.com");
}

TEST(TokenManager, ExplicitUrlIsNeverOverwritten) {
  // FalconPy overwrites a custom URL with us-1 when the reply says us-1 (reference notes §3.5).
  for (const char* region : {"us-1", "us-2", "eu-1"}) {
    auto fake = std::make_shared<FakeTransport>();
    FakeClock clock;
    falcon::Client client(make_config(fake, clock, "https://gateway.example.com/"));
    fake->reply_token("tok", 1799, region).reply(200, ok_body());
    ASSERT_TRUE(falcon::IOC(client).action_query().ok());
    EXPECT_EQ(fake->last_request().url, "https://gateway.example.com/iocs/queries/actions/v1")
        << region;
    EXPECT_EQ(client.base_url(), "https://gateway.example.com");
  }
}

TEST(TokenManager, TokenRedirectToAnotherCloudMovesACloudName) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock, "us-1"));
  fake->respond_with([&](const falcon::HttpRequest& req) {
    falcon::TransportResult r;
    r.response.headers.emplace("Content-Type", "application/json");
    if (req.url == "https://api.crowdstrike.com/oauth2/token") {
      // The wrong cloud's 308 (spec §4.1), here without a region header: the target is a
      // known cloud's host, so a cloud name moves there.
      r.response.status = 308;
      r.response.headers.emplace("Location", "https://api.us-2.crowdstrike.com/oauth2/token");
    } else if (req.url == "https://api.us-2.crowdstrike.com/oauth2/token") {
      r.response.status = 201;
      r.response.body = R"({"access_token":"t","expires_in":1799})";
    } else {
      r.response.status = 200;
      r.response.body = ok_body().dump();
    }
    return r;
  });
  ASSERT_TRUE(falcon::IOC(client).action_query().ok());
  EXPECT_EQ(fake->last_request().url, "https://api.us-2.crowdstrike.com/iocs/queries/actions/v1");
}

TEST(TokenManager, Replays401OnceWithANewToken) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  nlohmann::json denied = {
      {"meta", {{"powered_by", "crowdstrike-api-gateway"}}},
      {"errors", {{{"code", 401}, {"message", "access denied, invalid bearer token"}}}}};
  fake->reply_token("old").reply(401, denied).reply_token("new").reply(200, ok_body());
  falcon::IOC ioc(make_config(fake, clock));
  auto r = ioc.indicator_get([] {
    falcon::IndicatorGetOptions o;
    o.ids = {"abc"};
    return o;
  }());
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  auto api = fake->api_requests();
  ASSERT_EQ(api.size(), 2u);
  EXPECT_EQ(*falcon::header_value(api[0].headers, "Authorization"), "Bearer old");
  EXPECT_EQ(*falcon::header_value(api[1].headers, "Authorization"), "Bearer new");
  EXPECT_EQ(api[1].url, api[0].url);
  EXPECT_EQ(token_requests(*fake), 2u);
}

TEST(TokenManager, SecondConsecutive401IsAnAuthError) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  nlohmann::json denied = {{"errors", {{{"code", 401}, {"message", "access denied"}}}}};
  fake->reply_token("a").reply(401, denied).reply_token("b").reply(401, denied);
  falcon::IOC ioc(make_config(fake, clock));
  auto r = ioc.action_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth);
  EXPECT_EQ(r.status_code, 401);
  EXPECT_EQ(r.errors()[0]["message"], "access denied");  // the server's body is kept
  EXPECT_EQ(fake->api_requests().size(), 2u);
  EXPECT_EQ(fake->pending(), 0u);
}

TEST(TokenManager, OldTokenServedWhenARenewalFailsBeforeExpiry) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::IOC ioc(make_config(fake, clock));
  fake->reply_token("first", 1799).reply(200, ok_body());
  ASSERT_TRUE(ioc.action_query().ok());
  clock.advance(1700);  // inside the window, not expired
  fake->reply(500, {{"errors", {{{"code", 500}, {"message", "boom"}}}}}).reply(200, ok_body());
  ASSERT_TRUE(ioc.action_query().ok());
  EXPECT_EQ(*falcon::header_value(fake->last_request().headers, "Authorization"), "Bearer first");
}

TEST(TokenManager, AccessTokenOnlyConfigNeverCallsTheTokenEndpoint) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::Config cfg;
  cfg.access_token = "given-token";
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  cfg.retry = falcon::RetryPolicy::none();
  fake->reply(200, ok_body()).reply(401, {{"errors", {{{"code", 401}, {"message", "expired"}}}}});
  falcon::IOC ioc(cfg);
  ASSERT_TRUE(ioc.action_query().ok());
  auto r = ioc.action_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth);
  EXPECT_EQ(token_requests(*fake), 0u);
  EXPECT_EQ(*falcon::header_value(fake->last_request().headers, "Authorization"),
            "Bearer given-token");
}

TEST(TokenManager, RevokeUsesBasicAuthAndForgetsTheToken) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock));
  fake->reply_token("to-revoke").reply(200, ok_body());
  ASSERT_TRUE(falcon::IOC(client).action_query().ok());
  ASSERT_TRUE(client.token_expiry().has_value());
  fake->reply(200, {{"meta", nlohmann::json::object()}, {"errors", nlohmann::json::array()}});
  auto r = client.revoke();
  EXPECT_TRUE(r.ok());
  auto req = fake->last_request();
  EXPECT_EQ(req.url, "https://api.test.local/oauth2/revoke");
  EXPECT_EQ(*req.body, "token=to-revoke&client_id=cid");
  // base64("cid:csecret")
  EXPECT_EQ(*falcon::header_value(req.headers, "Authorization"), "basic Y2lkOmNzZWNyZXQ=");
  EXPECT_FALSE(client.token_expiry().has_value());
  // The next call logs in again.
  fake->reply_token("again").reply(200, ok_body());
  ASSERT_TRUE(falcon::IOC(client).action_query().ok());
  EXPECT_EQ(*falcon::header_value(fake->last_request().headers, "Authorization"), "Bearer again");
}

TEST(TokenManager, LoginFetchesEagerlyAndReportsErrors) {
  auto fake = std::make_shared<FakeTransport>();
  FakeClock clock;
  falcon::Client client(make_config(fake, clock));
  fake->reply(201, {{"token_type", "bearer"}});  // no access_token
  auto err = client.login();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, falcon::ErrorKind::auth);
  fake->reply_token("ok");
  EXPECT_FALSE(client.login().has_value());
  EXPECT_TRUE(client.token_expiry().has_value());
}
