// Response decoding and helpers.
#include <gtest/gtest.h>

#include "falcon/response.hpp"
#include "response_internal.hpp"

namespace {
falcon::HttpResponse http(int status, std::string body, falcon::Headers h = {}) {
  falcon::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(h);
  return r;
}
}  // namespace

TEST(Response, KeepsTheWholeEnvelopeIncludingUnknownKeys) {
  auto r = falcon::make_response(http(
      200,
      R"({"meta":{"trace_id":"m-1","pagination":{"offset":100,"limit":100,"total":250,"after":"abc"}},"errors":null,"resources":[{"id":"x"}],"extra":{"kept":true}})"));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.resources().size(), 1u);
  EXPECT_TRUE(r.errors().is_array());
  EXPECT_TRUE(r.errors().empty());
  EXPECT_EQ(r.body()["extra"]["kept"], true);
  auto p = r.pagination();
  EXPECT_EQ(*p.offset, 100);
  EXPECT_EQ(*p.limit, 100);
  EXPECT_EQ(*p.total, 250);
  EXPECT_EQ(*p.after, "abc");
  EXPECT_EQ(r.trace_id(), "m-1");
}

TEST(Response, StringOffsetsAreReadToo) {
  auto r = falcon::make_response(
      http(200, R"({"meta":{"pagination":{"offset":"40","limit":20}},"resources":[]})"));
  auto p = r.pagination();
  EXPECT_EQ(*p.offset, 40);
  EXPECT_EQ(*p.offset_text, "40");
  EXPECT_FALSE(p.total.has_value());
  EXPECT_FALSE(p.after.has_value());
}

TEST(Response, NonJsonBodyIsADecodeErrorThatKeepsEverything) {
  falcon::Headers h;
  h.emplace("X-CS-TRACEID", "trace-9");
  auto r = falcon::make_response(http(502, "<html>bad gateway</html>", h));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
  EXPECT_EQ(r.status_code, 502);
  EXPECT_EQ(r.text(), "<html>bad gateway</html>");
  EXPECT_EQ(r.trace_id(), "trace-9");
  EXPECT_TRUE(r.resources().empty());
  EXPECT_FALSE(r.ok());
}

TEST(Response, TruncatedJsonIsADecodeError) {
  auto r = falcon::make_response(http(200, R"({"meta":{"trace_id":"x"},"resources":[{"id":)"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
  EXPECT_FALSE(r.text().empty());
}

TEST(Response, EmptyBodyWhereJsonWasPromisedIsADecodeError) {
  auto r = falcon::make_response(http(200, ""));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
  auto none = falcon::make_response(http(204, ""));
  EXPECT_FALSE(none.error.has_value());
}

TEST(Response, DeeplyNestedJsonDoesNotCrash) {
  std::string deep(100000, '[');
  auto r = falcon::make_response(http(200, deep));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode);
}

TEST(Response, RateLimitHeaders) {
  falcon::Headers h;
  h.emplace("x-ratelimit-limit", "6000");
  h.emplace("X-RATELIMIT-REMAINING", "5999");
  h.emplace("X-RateLimit-RetryAfter", "1700000002");
  auto r = falcon::make_response(http(429, "{}", h));
  auto rl = r.rate_limit();
  EXPECT_EQ(*rl.limit, 6000);
  EXPECT_EQ(*rl.remaining, 5999);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(rl.retry_after->time_since_epoch()).count(),
      1700000002);
}

TEST(Response, RetryAfterParsing) {
  using namespace std::chrono;
  auto now = system_clock::time_point(seconds(1000));
  EXPECT_EQ(falcon::parse_retry_after("1700000002", false, now)->time_since_epoch(),
            seconds(1700000002));
  EXPECT_EQ(falcon::parse_retry_after("1700000002500", false, now)->time_since_epoch(),
            milliseconds(1700000002500));
  EXPECT_EQ(falcon::parse_retry_after(" 5 ", true, now)->time_since_epoch(), seconds(1005));
  EXPECT_FALSE(falcon::parse_retry_after("soon", false, now).has_value());
  EXPECT_FALSE(falcon::parse_retry_after("-3", false, now).has_value());
  // Found by fuzz_response: absurd values are refused instead of overflowing the clock.
  EXPECT_FALSE(falcon::parse_retry_after("1700000001700000002", false, now).has_value());
  EXPECT_FALSE(falcon::parse_retry_after("9223372036854775807", true, now).has_value());
  EXPECT_FALSE(falcon::parse_retry_after("253402300800", false, now).has_value());
}

TEST(Response, RaiseForStatusThrowsWithStatusMessageAndTrace) {
  falcon::Headers h;
  h.emplace("X-CS-TRACEID", "tr-1");
  auto r = falcon::make_response(
      http(400, R"({"errors":[{"code":400,"message":"bad filter"}],"resources":null})", h));
  try {
    r.raise_for_status();
    FAIL() << "expected an exception";
  } catch (const falcon::Exception& e) {
    EXPECT_EQ(e.status_code(), 400);
    EXPECT_EQ(e.trace_id(), "tr-1");
    EXPECT_NE(std::string(e.what()).find("bad filter"), std::string::npos);
  }
  auto api = r.api_errors();
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(api[0].code, 400);
  auto good = falcon::make_response(http(200, R"({"resources":[]})"));
  EXPECT_NO_THROW(good.raise_for_status());
  auto sdk = falcon::make_error_response(
      falcon::Error{falcon::ErrorKind::timeout, "slow", "", true, {}, 1});
  EXPECT_THROW(sdk.raise_for_status(), falcon::Exception);
  EXPECT_EQ(sdk.status_code, 0);
}
