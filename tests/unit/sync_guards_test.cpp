// sync's guards on exact replies (a fake transport): an id the scope read returns twice is
// compared once, an empty feed plans nothing, the removal cap and the scope check refuse a plan
// that apply() then does not write, and RemovalCap's arithmetic.
#include <gtest/gtest.h>

#include <memory>

#include "falcon/sync.hpp"
#include "falcon/testing/fake_transport.hpp"

namespace {

using nlohmann::json;
namespace fsy = falcon::sync;

json record(const std::string& id, const std::string& value) {
  return {{"id", id},
          {"type", "domain"},
          {"value", value},
          {"action", "detect"},
          {"severity", "high"},
          {"source", "acme"},
          {"platforms", {"windows"}},
          {"applied_globally", true}};
}

json page(const json& resources, const std::string& after, std::int64_t total) {
  json pagination = {{"total", total}, {"limit", 2000}};
  if (!after.empty()) pagination["after"] = after;
  return {
      {"meta", {{"pagination", pagination}}}, {"errors", json::array()}, {"resources", resources}};
}

struct Server {
  std::shared_ptr<falcon::testing::FakeTransport> fake =
      std::make_shared<falcon::testing::FakeTransport>();
  std::vector<json> scope_pages;  // answered in turn to combined reads
  std::size_t next = 0;
  int writes = 0;

  falcon::IOC ioc() {
    fake->respond_with([this](const falcon::HttpRequest& r) {
      falcon::TransportResult t;
      t.response.headers.emplace("Content-Type", "application/json");
      if (r.url.find("/oauth2/token") != std::string::npos) {
        t.response.status = 201;
        t.response.body = R"({"access_token":"tok","expires_in":1799})";
      } else if (r.url.find("/iocs/combined/indicator/v1") != std::string::npos) {
        t.response.status = 200;
        t.response.body =
            (next < scope_pages.size() ? scope_pages[next++] : page(json::array(), "", 0)).dump();
      } else if (r.method == "GET") {
        t.response.status = 200;
        t.response.body = page(json::array(), "", 0).dump();
      } else {
        ++writes;
        t.response.status = 200;
        t.response.body = page(json::array(), "", 0).dump();
      }
      return t;
    });
    falcon::Config c;
    c.client_id = "id";
    c.client_secret = "secret";
    c.base_url = "https://api.test.local";
    c.transport = fake;
    c.retry = falcon::RetryPolicy::none();
    return falcon::IOC(c);
  }
};

falcon::IndicatorSpec entry(const std::string& value) {
  falcon::IndicatorSpec s;
  s.type = "domain";
  s.value = value;
  s.action = "detect";
  s.severity = "high";
  s.platforms = std::vector<std::string>{"windows"};
  s.applied_globally = true;
  return s;
}

fsy::Options options() {
  fsy::Options o;
  o.source = "acme";
  return o;
}

TEST(SyncGuards, AnIdReadTwiceIsComparedOnce) {
  Server s;
  // The second page repeats b's record (pages that overlap while the scope changes).
  s.scope_pages = {
      page(json::array({record("ida", "a.example"), record("idb", "b.example")}), "cursor-1", 2),
      page(json::array({record("idb", "b.example")}), "", 2)};
  auto p =
      fsy::plan(s.ioc(), std::vector<falcon::IndicatorSpec>{entry("a.example"), entry("b.example")},
                options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.existing, 2u);
  EXPECT_EQ(p.unchanged, 2u);
  EXPECT_TRUE(p.changes.empty()) << fsy::to_string(p.changes.front().kind);
}

TEST(SyncGuards, AnEmptyFeedPlansNothingUnlessAllowed) {
  Server s;
  auto ioc = s.ioc();
  auto p = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{}, options());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error->error->field, "feed");
  EXPECT_TRUE(s.fake->api_requests().empty());
  auto allowed_options = options();
  allowed_options.allow_empty = true;
  s.scope_pages = {page(json::array({record("ida", "a.example")}), "", 1)};
  auto allowed = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{}, allowed_options);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed.count(fsy::ChangeKind::remove), 1u);
}

TEST(SyncGuards, ARefusedPlanIsNeverWritten) {
  Server s;
  json scope = json::array();
  for (int i = 0; i < 30; ++i) {
    scope.push_back(record("id" + std::to_string(i), "d" + std::to_string(i) + ".example"));
  }
  s.scope_pages = {page(scope, "", 30)};
  auto ioc = s.ioc();
  auto p = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{entry("d0.example")}, options());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.removals(), 29u);
  ASSERT_TRUE(p.refused.has_value());
  EXPECT_EQ(p.refused->guard, "removal_cap");
  auto r = fsy::apply(ioc, p);
  EXPECT_EQ(s.writes, 0);
  EXPECT_EQ(r.failed(), p.changes.size());

  auto scoped = options();
  scoped.scope = "type:'domain'";
  auto q = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{entry("d0.example")}, scoped);
  ASSERT_TRUE(q.refused.has_value());
  EXPECT_EQ(q.refused->guard, "scope");
  for (const char* ok : {"source:'acme'", "type:'domain'+source:'acme'",
                         "source:['acme','acme2']+expired:false", "(source:'acme')+type:'ipv4'"}) {
    scoped.scope = ok;
    s.next = 0;
    auto fine = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{entry("d0.example")}, scoped);
    EXPECT_TRUE(!fine.refused || fine.refused->guard != "scope") << ok;
  }
  for (const char* bad : {"source:'acme',type:'domain'", "source:!'acme'", "source:*'acme*'",
                          "source:~'acme'", "sources:'acme'", "(source:'a',type:'x')"}) {
    scoped.scope = bad;
    auto refused = fsy::plan(ioc, std::vector<falcon::IndicatorSpec>{entry("d0.example")}, scoped);
    ASSERT_TRUE(refused.refused.has_value()) << bad;
    EXPECT_EQ(refused.refused->guard, "scope") << bad;
  }
}

TEST(SyncGuards, RemovalCapArithmetic) {
  const fsy::RemovalCap def;
  EXPECT_EQ(def.limit(0), 10u);
  EXPECT_EQ(def.limit(200), 20u);
  EXPECT_EQ(def.limit(1'000'000), 100'000u);
  EXPECT_EQ(def.limit(95), 10u);
  EXPECT_EQ(fsy::RemovalCap::parse("50")->limit(1'000'000), 50u);
  EXPECT_EQ(fsy::RemovalCap::parse("5%")->limit(1000), 50u);
  EXPECT_EQ(fsy::RemovalCap::parse("100%")->limit(1234), 1234u);
  EXPECT_EQ(fsy::RemovalCap::parse(" 0.5% ")->limit(1000), 5u);
  for (const char* bad : {"", "%", "-1", "101%", "5.5", "lots", "1e3", "1.2.3%"}) {
    EXPECT_FALSE(fsy::RemovalCap::parse(bad)) << bad;
  }
}

}  // namespace
