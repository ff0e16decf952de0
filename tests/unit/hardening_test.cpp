// Unit-level regression tests for the hardening of issue 7: the loopback guard parses the host,
// header injection is refused from every source, secrets never reach an Error or a log line,
// deadlines bound a call, oversized id lists are refused before sending, attempts are counted.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"
#include "strings.hpp"

using falcon::testing::FakeTransport;
using std::chrono::milliseconds;

namespace {

falcon::Config base_config(std::shared_ptr<FakeTransport> fake) {
  falcon::Config c;
  c.client_id = "hardening-client";
  c.client_secret = "hardening-secret-value";
  c.base_url = "https://api.test.local";
  c.transport = std::move(fake);
  c.sleeper = [](milliseconds) {};
  return c;
}

nlohmann::json ok_body() {
  return {{"meta", nlohmann::json::object()},
          {"errors", nlohmann::json::array()},
          {"resources", nlohmann::json::array()}};
}

falcon::ErrorKind ctor_error(const falcon::Config& c, std::string* field = nullptr) {
  try {
    falcon::Client client(c);
  } catch (const falcon::Exception& e) {
    if (field != nullptr) *field = e.error()->field;
    return e.error()->kind;
  }
  ADD_FAILURE() << "the Client constructor accepted the config";
  return falcon::ErrorKind::transport;
}

}  // namespace

TEST(Hardening, LoopbackMeansLiteralLoopbackOnly) {
  using falcon::internal::is_loopback_host;
  for (const char* yes :
       {"localhost", "LOCALHOST", "::1", "127.0.0.1", "127.0.0.2", "127.255.1.9"}) {
    EXPECT_TRUE(is_loopback_host(yes)) << yes;
  }
  for (const char* no : {"127.evil.example", "127.0.0.1.evil.example", "127.0.0", "127.0.0.256",
                         "128.0.0.1", "0127.0.0.1", "localhost.evil", "::2", "", "1.2.3.4"}) {
    EXPECT_FALSE(is_loopback_host(no)) << no;
  }
}

TEST(Hardening, PlainHttpToANameThatLooksLikeLoopbackIsRefused) {
  auto fake = std::make_shared<FakeTransport>();
  auto c = base_config(fake);
  c.base_url = "http://127.evil.example";
  std::string field;
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "base_url");
  for (const char* ok : {"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1"}) {
    c.base_url = ok;
    EXPECT_NO_THROW(falcon::Client{c}) << ok;
  }
}

TEST(Hardening, OriginsCompareSchemeHostAndPort) {
  using falcon::internal::url_origin;
  EXPECT_EQ(url_origin("https://API.test.local/oauth2/token"), "https://api.test.local:443");
  EXPECT_EQ(url_origin("https://api.test.local:443/x"), url_origin("https://api.test.local/y"));
  EXPECT_NE(url_origin("https://api.test.local:8443/x"), url_origin("https://api.test.local/y"));
  EXPECT_NE(url_origin("http://api.test.local/x"), url_origin("https://api.test.local/x"));
  EXPECT_EQ(url_origin("http://user@[::1]:9/x"), "http://[::1]:9");
  EXPECT_EQ(url_origin("/relative"), "");
}

TEST(Hardening, ConfigHeaderValuesWithLineBreaksAreRefused) {
  auto fake = std::make_shared<FakeTransport>();
  std::string field;
  auto c = base_config(fake);
  c.user_agent = "agent\r\nX-Evil: 1";
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "user_agent");
  c = base_config(fake);
  c.access_token = std::string("tok\0en", 6);
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "access_token");
  c = base_config(fake);
  c.access_token = "tok\nX-Evil: 1";
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  c = base_config(fake);
  c.member_cid = "cid\r\n";
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "member_cid");
  EXPECT_TRUE(fake->requests().empty());
}

TEST(Hardening, CallHeadersThatInjectOrOverrideAreRefusedAndNothingIsSent) {
  struct Case {
    std::string name, value, field;
  };
  const std::vector<Case> cases = {
      {"X-Trace", "a\r\nX-Evil: 1", "headers.X-Trace"},
      {"X-Trace", std::string("a\0b", 3), "headers.X-Trace"},
      {"X-Bad\r\nName", "v", "headers"},
      {"Bad Name", "v", "headers"},
      {"", "v", "headers"},
      {"Host", "evil.example", "headers.Host"},
      {"authorization", "Bearer stolen", "headers.authorization"},
      {"Content-Length", "0", "headers.Content-Length"},
      {"TRANSFER-ENCODING", "chunked", "headers.TRANSFER-ENCODING"},
  };
  for (const auto& c : cases) {
    auto fake = std::make_shared<FakeTransport>();
    falcon::IOC ioc(base_config(fake));
    falcon::CallOptions call;
    call.headers.emplace(c.name, c.value);
    auto r = ioc.platform_query({}, call);
    ASSERT_TRUE(r.error.has_value()) << c.name;
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation) << c.name;
    EXPECT_EQ(r.error->field, c.field) << c.name;
    EXPECT_TRUE(fake->requests().empty()) << c.name;
  }
  // An ordinary extra header goes out.
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token().reply(200, ok_body());
  falcon::IOC ioc(base_config(fake));
  falcon::CallOptions call;
  call.headers.emplace("X-Request-Purpose", "audit");
  ASSERT_TRUE(ioc.platform_query({}, call).ok());
  EXPECT_EQ(falcon::header_value(fake->last_request().headers, "X-Request-Purpose").value_or(""),
            "audit");
}

TEST(Hardening, SecretsEchoedByTheServerNeverReachErrorsOrLogs) {
  auto fake = std::make_shared<FakeTransport>();
  const std::string token = "bearer-token-value-123456";
  fake->reply_token(token).reply(
      401, {{"errors", {{{"code", 401}, {"message", "bad token " + token}}}}});
  fake->reply(
      400,
      {{"errors", {{{"message", "echo: client_secret=hardening-secret-value&token=" + token}}}}});
  auto c = base_config(fake);
  std::string log;
  c.log_level = falcon::LogLevel::trace;
  c.log = [&](falcon::LogLevel, std::string_view line) { log.append(line).push_back('\n'); };
  falcon::IOC ioc(c);
  auto r = ioc.platform_query();
  // The 401 replay asks for a new token and gets the 400 echo instead.
  ASSERT_TRUE(r.error.has_value());
  const std::string text = r.error->describe();
  for (const std::string& secret : {std::string("hardening-secret-value"), token}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
    EXPECT_EQ(log.find(secret), std::string::npos) << log;
  }
  EXPECT_NE(text.find("[redacted]"), std::string::npos) << text;
}

TEST(Hardening, DeadlineBoundsRetriesAndWaits) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token();
  for (int i = 0; i < 10; ++i) fake->reply(503, ok_body());
  auto clock = std::make_shared<std::chrono::system_clock::time_point>(
      std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)));
  auto c = base_config(fake);
  c.clock = [clock] { return *clock; };
  c.sleeper = [clock](milliseconds d) { *clock += d; };  // time passes only by waiting
  c.retry.max_attempts = 10;
  c.retry.jitter = 0;
  c.retry.initial_backoff = milliseconds(400);
  falcon::IOC ioc(c);
  falcon::CallOptions call;
  call.deadline = milliseconds(1000);
  auto r = ioc.platform_query({}, call);
  EXPECT_EQ(r.status_code, 503);
  // Backoffs 400 and 800 ms: the second would end past the 1 s deadline, so it is not slept.
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(fake->api_requests().size(), 2u);
  EXPECT_LE(fake->api_requests().back().timeout.count(), 1000);
  EXPECT_GT(fake->api_requests().back().timeout.count(), 0);
}

TEST(Hardening, AttemptsCountTransportFailures) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::Error reset{falcon::ErrorKind::transport, "Connection reset", "", true, {}, 0};
  fake->reply_token().fail(reset).fail(reset).reply(200, ok_body());
  falcon::IOC ioc(base_config(fake));
  auto ok = ioc.platform_query();
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.attempts, 3);
  for (int i = 0; i < 4; ++i) fake->fail(reset);
  auto failed = ioc.platform_query();
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.attempts, 4);
  EXPECT_EQ(failed.error->attempts, 4);
}

TEST(Hardening, IdsThatWouldMakeAnOversizedUrlAreRefusedWithAHelperToUse) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::IOC ioc(base_config(fake));
  falcon::IndicatorGetOptions o;
  o.ids = falcon::StringList(200, std::string(64, 'a'));
  auto r = ioc.indicator_get(o);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation);
  EXPECT_EQ(r.error->field, "ids");
  EXPECT_NE(r.error->message.find("get_indicators"), std::string::npos) << r.error->message;
  EXPECT_TRUE(fake->requests().empty());

  // The helper splits them: 2 requests of 100, records merged.
  fake->reply_token();
  fake->reply(200, {{"resources", {{{"id", "a"}}}}, {"errors", nlohmann::json::array()}});
  fake->reply(200, {{"resources", {{{"id", "b"}}}}, {"errors", nlohmann::json::array()}});
  std::vector<std::string> ids(200);
  for (std::size_t i = 0; i < ids.size(); ++i)
    ids[i] = std::string(60, 'a') + std::to_string(1000 + i);
  auto merged = falcon::get_indicators(ioc, ids);
  ASSERT_TRUE(merged.ok()) << (merged.error ? merged.error->describe() : "");
  EXPECT_EQ(merged.resources().size(), 2u);
  EXPECT_EQ(fake->api_requests().size(), 2u);
  EXPECT_EQ(merged.attempts, 2);
}

TEST(Hardening, NonJsonReplyNamesItsContentTypeAndSuggestsTheBaseUrl) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token().reply_raw(200, "<html>login portal</html>", {{"Content-Type", "text/html"}});
  falcon::IOC ioc(base_config(fake));
  auto r = ioc.platform_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
  EXPECT_NE(r.error->message.find("text/html"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("base_url"), std::string::npos) << r.error->message;
}

TEST(Hardening, ApiRedirectIsNotFollowedAndNamesTheTarget) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token().reply_raw(307, "", {{"Location", "https://other.example/x"}});
  falcon::IOC ioc(base_config(fake));
  auto r = ioc.platform_query();
  EXPECT_EQ(r.status_code, 307);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message.find("other.example"), std::string::npos) << r.error->message;
  EXPECT_EQ(fake->api_requests().size(), 1u);
}

TEST(Hardening, ConfigRefusesATinyReplyCapAndANegativeDeadline) {
  auto fake = std::make_shared<FakeTransport>();
  auto c = base_config(fake);
  c.max_response_bytes = 10;
  std::string field;
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "max_response_bytes");
  c = base_config(fake);
  c.deadline = milliseconds(-1);
  EXPECT_EQ(ctor_error(c, &field), falcon::ErrorKind::configuration);
  EXPECT_EQ(field, "deadline");
}
