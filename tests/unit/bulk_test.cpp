// Bulk helpers over a FakeTransport: batching, per-item outcomes, resending only the rows a
// 400 did not blame, and never resending after a write may have happened.
#include <gtest/gtest.h>

#include <atomic>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

using falcon::testing::FakeTransport;
using nlohmann::json;

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

json domain(int i) {
  return {{"type", "domain"},         {"value", "host-" + std::to_string(i) + ".example.com"},
          {"action", "detect"},       {"severity", "low"},
          {"platforms", {"windows"}}, {"applied_globally", true}};
}

// A server that creates whatever it is sent, except values containing "bad" (row errors).
falcon::TransportResult fake_api(const falcon::HttpRequest& req, std::atomic<int>& creates) {
  falcon::TransportResult r;
  r.response.headers.emplace("Content-Type", "application/json");
  if (req.url.find("/oauth2/token") != std::string::npos) {
    r.response.status = 201;
    r.response.body = R"({"access_token":"t","expires_in":1799})";
    return r;
  }
  auto body = json::parse(*req.body);
  json rows = json::array();
  json created = json::array();
  int row = 0;
  for (const auto& ind : body["indicators"]) {
    ++row;
    const std::string v = ind["value"];
    if (v.find("bad") != std::string::npos) {
      rows.push_back({{"row", row},
                      {"value", v},
                      {"type", ind["type"]},
                      {"message_type", "error"},
                      {"field_name", "value"},
                      {"message", "invalid value"}});
    } else {
      created.push_back({{"id", "id-" + v}, {"type", ind["type"]}, {"value", v}});
    }
  }
  if (!rows.empty()) {
    r.response.status = 400;
    r.response.body = json{
        {"errors",
         {{{"code", 400}, {"message", "One or more indicators have a warning or invalid input"}}}},
        {"resources",
         rows}}.dump();
    return r;
  }
  creates += static_cast<int>(created.size());
  r.response.status = 201;
  r.response.body = json{{"errors", json::array()}, {"resources", created}}.dump();
  return r;
}

}  // namespace

TEST(Bulk, CreatesInBatchesWithOneOutcomePerItem) {
  auto fake = std::make_shared<FakeTransport>();
  std::atomic<int> creates{0};
  fake->respond_with([&](const falcon::HttpRequest& r) { return fake_api(r, creates); });
  falcon::IOC ioc(cfg(fake));
  json input = json::array();
  for (int i = 0; i < 4500; ++i) input.push_back(domain(i));
  falcon::BulkOptions o;
  o.comment = "feed";
  auto result = falcon::bulk_create(ioc, input, o);
  ASSERT_EQ(result.items.size(), 4500u);
  EXPECT_EQ(result.succeeded(), 4500u);
  EXPECT_EQ(result.requests, 3u);  // 2000 + 2000 + 500
  EXPECT_EQ(creates.load(), 4500);
  for (std::size_t i = 0; i < result.items.size(); ++i) {
    EXPECT_EQ(result.items[i].index, i);
    EXPECT_EQ(result.items[i].id, "id-host-" + std::to_string(i) + ".example.com");
  }
  for (const auto& req : fake->api_requests()) {
    auto body = json::parse(*req.body);
    EXPECT_LE(body["indicators"].size(), 2000u);
    EXPECT_EQ(body["comment"], "feed");
  }
}

TEST(Bulk, BadRowsFailAloneAndTheRestAreResentOnce) {
  auto fake = std::make_shared<FakeTransport>();
  std::atomic<int> creates{0};
  fake->respond_with([&](const falcon::HttpRequest& r) { return fake_api(r, creates); });
  auto c = cfg(fake);
  c.validate = false;  // let the server judge
  falcon::IOC ioc(c);
  json input = json::array();
  for (int i = 0; i < 10; ++i) input.push_back(domain(i));
  input[3]["value"] = "bad-3.example.com";
  input[7]["value"] = "bad-7.example.com";
  falcon::BulkOptions o;
  o.batch_size = 5;
  o.concurrency = 1;
  auto result = falcon::bulk_create(ioc, input, o);
  EXPECT_EQ(result.succeeded(), 8u);
  EXPECT_EQ(creates.load(), 8);    // nothing twice
  EXPECT_EQ(result.requests, 4u);  // each batch: refused once, resent without its bad row
  for (int bad : {3, 7}) {
    const auto& item = result.items[static_cast<std::size_t>(bad)];
    EXPECT_FALSE(item.ok);
    ASSERT_EQ(item.messages.size(), 1u);
    EXPECT_EQ(item.messages[0].field_name, "value");
    EXPECT_EQ(item.status_code, 400);
  }
}

TEST(Bulk, InvalidItemsFailBeforeAnyRequest) {
  auto fake = std::make_shared<FakeTransport>();
  std::atomic<int> creates{0};
  fake->respond_with([&](const falcon::HttpRequest& r) { return fake_api(r, creates); });
  falcon::IOC ioc(cfg(fake));
  json input = json::array({domain(1), domain(2)});
  input[1]["type"] = "sha256";
  input[1]["value"] = "abc";
  auto result = falcon::bulk_create(ioc, input);
  EXPECT_TRUE(result.items[0].ok);
  ASSERT_TRUE(result.items[1].error.has_value());
  EXPECT_EQ(result.items[1].error->kind, falcon::ErrorKind::validation);
  EXPECT_EQ(result.items[1].error->field, "indicators[1].value");
  EXPECT_EQ(creates.load(), 1);
}

TEST(Bulk, ALostReplyAfterSendingIsReportedNotResent) {
  auto fake = std::make_shared<FakeTransport>();
  falcon::Error lost{falcon::ErrorKind::transport, "Empty reply from server", "", true, {}, 0};
  fake->reply_token().fail(lost);
  falcon::IOC ioc(cfg(fake));
  auto result = falcon::bulk_create(ioc, json::array({domain(1), domain(2)}));
  EXPECT_EQ(result.succeeded(), 0u);
  for (const auto& item : result.items) {
    // The reconciling lookup failed too (the fake has no more replies): still unknown.
    EXPECT_TRUE(item.outcome_unknown);
    ASSERT_TRUE(item.error.has_value());
    EXPECT_EQ(item.error->kind, falcon::ErrorKind::transport);
  }
  std::size_t writes = 0;
  for (const auto& r : fake->api_requests()) writes += r.method == "POST";
  EXPECT_EQ(writes, 1u);  // never resent while its fate is unknown
}

TEST(Bulk, ARecordWithANumericIdIsADecodeErrorNotAnException) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token().reply(
      201, {{"meta", json::object()},
            {"errors", json::array()},
            {"resources", {{{"id", 42}, {"type", "domain"}, {"value", "d1.example.com"}}}}});
  falcon::IOC ioc(cfg(fake));
  falcon::BulkResult result;
  ASSERT_NO_THROW(result = falcon::bulk_create(ioc, json::array({domain(1), domain(2)})));
  ASSERT_EQ(result.items.size(), 2u);
  for (const auto& item : result.items) {
    EXPECT_FALSE(item.ok);
    ASSERT_TRUE(item.error.has_value());
    EXPECT_EQ(item.error->kind, falcon::ErrorKind::decode) << item.error->describe();
    EXPECT_TRUE(item.outcome_unknown);  // written, but the ids could not be read
  }
}

TEST(Bulk, ReconcilesACreateAnswered502AfterTheWrite) {
  auto fake = std::make_shared<FakeTransport>();
  fake->reply_token()
      .reply_raw(502, "<html>bad gateway</html>", {{"Content-Type", "text/html"}})
      // The lookup finds the first item written; the second is provably absent.
      .reply(200, {{"meta", json::object()},
                   {"errors", json::array()},
                   {"resources",
                    {{{"id", "id-1"}, {"type", "domain"}, {"value", "HOST-1.example.com"}}}}})
      .reply(201, {{"meta", json::object()},
                   {"errors", json::array()},
                   {"resources",
                    {{{"id", "id-2"}, {"type", "domain"}, {"value", "host-2.example.com"}}}}});
  falcon::IOC ioc(cfg(fake));
  auto result = falcon::bulk_create(ioc, json::array({domain(1), domain(2)}));
  ASSERT_EQ(result.succeeded(), 2u);
  EXPECT_EQ(result.items[0].id, "id-1");
  EXPECT_EQ(result.items[1].id, "id-2");
  auto api = fake->api_requests();
  ASSERT_EQ(api.size(), 3u);
  EXPECT_EQ(api[1].method, "GET");
  EXPECT_NE(api[1].url.find("filter=type%3A%27domain%27%2Bvalue%3A%5B"), std::string::npos)
      << api[1].url;
  EXPECT_EQ(api[2].method, "POST");
  auto resent = json::parse(*api[2].body);
  ASSERT_EQ(resent["indicators"].size(), 1u);
  EXPECT_EQ(resent["indicators"][0]["value"], "host-2.example.com");
}

TEST(Bulk, DeleteBatchesIdsAndReportsTheOnesNotDeleted) {
  auto fake = std::make_shared<FakeTransport>();
  fake->respond_with([](const falcon::HttpRequest& req) {
    falcon::TransportResult r;
    if (req.url.find("/oauth2/token") != std::string::npos) {
      r.response.status = 201;
      r.response.body = R"({"access_token":"t","expires_in":1799})";
      return r;
    }
    // Deletes every id it is given except "missing".
    json deleted = json::array();
    auto q = req.url.substr(req.url.find('?') + 1);
    std::size_t pos = 0;
    while ((pos = q.find("ids=", pos)) != std::string::npos) {
      auto end = q.find('&', pos);
      auto id = q.substr(pos + 4, end == std::string::npos ? std::string::npos : end - pos - 4);
      if (id != "missing") deleted.push_back(id);
      pos += 4;
    }
    r.response.status = 200;
    r.response.body = json{{"errors", json::array()}, {"resources", deleted}}.dump();
    return r;
  });
  falcon::IOC ioc(cfg(fake));
  std::vector<std::string> ids;
  for (int i = 0; i < 1200; ++i) ids.push_back("id" + std::to_string(i));
  ids[10] = "missing";
  auto result = falcon::bulk_delete(ioc, ids);
  // Ids are cut by URL bytes, at most 500 per request: these short ids fit 500 at a time.
  EXPECT_EQ(result.requests, 3u);
  EXPECT_EQ(result.succeeded(), 1199u);
  EXPECT_FALSE(result.items[10].ok);
}
