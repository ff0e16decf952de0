// Numbers no integer holds, over real HTTP: an error code of 1e101, a total of 1e30, an
// av_hits of -1e300. Casting such a double to an integer is undefined behaviour (the clang
// UBSan pass of scripts/test.sh aborts on it); the SDK treats each as absent.
#include "hostile_support.hpp"

namespace hostile {
namespace {

constexpr const char* kCombinedRoute = "/iocs/combined/indicator/v1";

TEST(HostileNumbers, ErrorCodeOfOneE101IsReadAsNoCode) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-numbers"));
  api.on("GET", kTypesRoute,
         Reply::json(400, R"({"meta":{"pagination":{"total":1e30,"offset":1e101}},)"
                          R"("errors":[{"code":1e101,"message":"bad type"}],"resources":[]})"));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  const auto r = falcon::IOC(client).ioc_type_query();
  EXPECT_EQ(r.status_code, 400);
  EXPECT_FALSE(r.error.has_value()) << describe(r) << ": an API error is data";
  const auto errs = r.api_errors();
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].code, 0);
  EXPECT_EQ(errs[0].message, "bad type");
  EXPECT_FALSE(r.pagination().total.has_value());
  EXPECT_FALSE(r.pagination().offset.has_value());
}

TEST(HostileNumbers, RangeOverPagesWithAnAbsurdTotalReadsEveryRecord) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-numbers-range"));
  // One page, no cursor: the end. total and av_hits out of any integer's range.
  api.on("GET", kCombinedRoute,
         Reply::json(200, R"({"meta":{"pagination":{"total":1e30,"limit":-1e300}},"errors":[],)"
                          R"("resources":[{"id":"i1","type":"domain","value":"a.example",)"
                          R"("metadata":{"av_hits":-1e300}},{"id":"i2","type":"domain",)"
                          R"("value":"b.example","metadata":{"av_hits":5}}]})"));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto range = falcon::indicators(falcon::IOC(client));
  std::vector<falcon::Indicator> seen;
  for (const auto& i : range) seen.push_back(i);
  ASSERT_TRUE(range.ok()) << describe(*range.error());
  EXPECT_FALSE(range.total().has_value());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, "i1");
  ASSERT_TRUE(seen[0].metadata.has_value());
  EXPECT_FALSE(seen[0].metadata->av_hits.has_value());
  EXPECT_EQ(seen[1].metadata->av_hits, 5);
  EXPECT_EQ(api.requests("GET", kCombinedRoute).size(), 1u);
}

}  // namespace
}  // namespace hostile
