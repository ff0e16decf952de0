// Pagination helpers over a FakeTransport: cursors are followed, offsets advance, errors stop.
#include <gtest/gtest.h>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

using falcon::testing::FakeTransport;

namespace {
falcon::Config cfg(std::shared_ptr<FakeTransport> fake) {
  falcon::Config c;
  c.client_id = "id";
  c.client_secret = "s";
  c.base_url = "https://api.test.local";
  c.transport = std::move(fake);
  c.retry = falcon::RetryPolicy::none();
  return c;
}
nlohmann::json page(std::vector<std::string> ids, std::string after) {
  nlohmann::json pg = {{"limit", 2}, {"total", 5}};
  if (!after.empty()) pg["after"] = after;
  return {{"meta", {{"pagination", pg}}}, {"errors", nlohmann::json::array()}, {"resources", ids}};
}
}  // namespace

TEST(Pagination, SearchAllFollowsAfterUntilTheCursorEnds) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token()
      .reply(200, page({"a", "b"}, "c1"))
      .reply(200, page({"c", "d"}, "c2"))
      .reply(200, page({"e"}, ""));
  falcon::IOC ioc(cfg(fake));
  falcon::IndicatorSearchOptions o;
  o.filter = "type:'domain'";
  o.limit = 2;
  std::vector<std::string> seen;
  auto last = falcon::search_all(ioc, o, [&](falcon::Response& p) {
    for (const auto& id : p.resources()) seen.push_back(id.get<std::string>());
    return true;
  });
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  auto reqs = fake->api_requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].url,
            "https://api.test.local/iocs/queries/indicators/v1?filter=type%3A%27domain%27&limit=2");
  EXPECT_EQ(reqs[1].url,
            "https://api.test.local/iocs/queries/indicators/"
            "v1?filter=type%3A%27domain%27&limit=2&after=c1");
  EXPECT_EQ(reqs[2].url,
            "https://api.test.local/iocs/queries/indicators/"
            "v1?filter=type%3A%27domain%27&limit=2&after=c2");
}

TEST(Pagination, StopsOnAFailedPageAndReturnsIt) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token()
      .reply(200, page({"a", "b"}, "c1"))
      .reply(400, {{"errors", {{{"code", 400}, {"message", "bad cursor"}}}}});
  falcon::IOC ioc(cfg(fake));
  int pages = 0;
  auto last = falcon::combined_all(ioc, {}, [&](falcon::Response&) { return ++pages, true; });
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(last.status_code, 400);
  EXPECT_FALSE(last.ok());
}

TEST(Pagination, CallbackCanStopEarly) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token().reply(200, page({"a", "b"}, "c1")).reply(200, page({"c"}, ""));
  falcon::IOC ioc(cfg(fake));
  auto last = falcon::search_all(ioc, {}, [&](falcon::Response&) { return false; });
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(fake->api_requests().size(), 1u);
}

TEST(Pagination, OffsetIsRefusedForCursorPaging) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::IOC ioc(cfg(fake));
  falcon::IndicatorSearchOptions o;
  o.offset = 10;
  auto r = falcon::search_all(ioc, o, [](falcon::Response&) { return true; });
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->field, "offset");
  EXPECT_TRUE(fake->requests().empty());
}

TEST(Pagination, DevicesRanOnAdvancesTheOffset) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token()
      .reply(200, page({"d1", "d2"}, ""))
      .reply(200, page({"d3", "d4"}, ""))
      .reply(200, page({"d5"}, ""));
  falcon::IOC ioc(cfg(fake));
  falcon::DevicesRanOnOptions o;
  o.type = "domain";
  o.value = "bad.example.com";
  o.limit = 2;
  int n = 0;
  auto last = falcon::devices_ran_on_all(ioc, o, [&](falcon::Response& p) {
    n += static_cast<int>(p.resources().size());
    return true;
  });
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(n, 5);
  auto reqs = fake->api_requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_NE(reqs[1].url.find("offset=2"), std::string::npos);
  EXPECT_NE(reqs[2].url.find("offset=4"), std::string::npos);
}
