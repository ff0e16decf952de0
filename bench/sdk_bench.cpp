// SDK overhead per call with the network taken out (FakeTransport answers at once): request
// building, query encoding, JSON body building, the retry loop and response parsing.
#include <benchmark/benchmark.h>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

namespace {

std::shared_ptr<falcon::testing::FakeTransport> make_fake(std::string body) {
  auto fake = std::make_shared<falcon::testing::FakeTransport>();
  fake->respond_with([body = std::move(body)](const falcon::HttpRequest& req) {
    falcon::TransportResult r;
    r.response.status = req.url.find("/oauth2/token") != std::string::npos ? 201 : 200;
    r.response.body = r.response.status == 201 ? R"({"access_token":"t","expires_in":1799})" : body;
    return r;
  });
  return fake;
}

falcon::Config config(std::shared_ptr<falcon::HttpTransport> t) {
  falcon::Config c;
  c.client_id = "id";
  c.client_secret = "secret";
  c.base_url = "https://api.test.local";
  c.transport = std::move(t);
  return c;
}

void BM_IndicatorGet(benchmark::State& state) {
  auto fake = make_fake(
      R"({"meta":{"query_time":0.001,"trace_id":"x"},"errors":[],"resources":[{"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","type":"domain","value":"bad.example.com","action":"detect","severity":"high","platforms":["windows","mac"],"applied_globally":true}]})");
  falcon::IOC ioc(config(fake));
  falcon::IndicatorGetOptions o;
  o.ids = {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  for (auto _ : state) {
    auto r = ioc.indicator_get(o);
    benchmark::DoNotOptimize(r);
    fake->clear_requests();
  }
}
BENCHMARK(BM_IndicatorGet);

void BM_IndicatorCreate2000(benchmark::State& state) {
  auto fake = make_fake(R"({"meta":{},"errors":[],"resources":[]})");
  falcon::IOC ioc(config(fake));
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < 2000; ++i) {
    list.push_back({{"type", "domain"},
                    {"value", "host-" + std::to_string(i) + ".example.com"},
                    {"action", "detect"},
                    {"severity", "low"},
                    {"applied_globally", true}});
  }
  falcon::IndicatorCreateOptions o;
  o.indicators = list;
  for (auto _ : state) {
    auto r = ioc.indicator_create(o);
    benchmark::DoNotOptimize(r);
    fake->clear_requests();
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_IndicatorCreate2000)->Unit(benchmark::kMillisecond);

void BM_SearchQueryEncoding(benchmark::State& state) {
  auto fake = make_fake(R"({"meta":{},"errors":[],"resources":[]})");
  falcon::IOC ioc(config(fake));
  falcon::IndicatorSearchOptions o;
  o.filter = "type:'domain'+value:*'*.example.com'+created_on:>='2025-01-01T00:00:00Z'";
  o.sort = "created_on.desc";
  o.limit = 2000;
  o.after = "WzE2Mjc0Mjk2MDEwODQsImM0MzM5YTk4Il0=";
  for (auto _ : state) {
    auto r = ioc.indicator_search(o);
    benchmark::DoNotOptimize(r);
    fake->clear_requests();
  }
}
BENCHMARK(BM_SearchQueryEncoding);

}  // namespace
