// Lazy ranges and the FQL builder against the emulator over real HTTP: every result past the
// 10,000 offset ceiling with one page in memory, ids, an error mid-way, and builder strings the
// server parses and matches exactly.
#include <gtest/gtest.h>

#include <set>

#include "falcon/fql.hpp"
#include "falcon/ranges.hpp"
#include "fixture.hpp"

using falcon_it::EmulatorTest;
using nlohmann::json;
namespace fql = falcon::fql;

namespace {

json domain(int i, const std::string& source) {
  return falcon_it::domain_item("r" + std::to_string(i) + ".example.com", source);
}

void seed(falcon::emulator::Emulator& e, int n, const std::string& source) {
  for (int start = 0; start < n; start += 2000) {
    json items = json::array();
    for (int i = start; i < std::min(n, start + 2000); ++i) items.push_back(domain(i, source));
    e.add_indicators(items);
  }
}

}  // namespace

class Ranges : public EmulatorTest {};

TEST_F(Ranges, IndicatorsPastTenThousandOnePageAtATime) {
  seed(emu(), 10'500, "ranges");
  falcon::IndicatorCombinedOptions o;
  o.filter = fql::eq("source", "ranges").str();
  o.limit = 2000;
  auto all = falcon::indicators(ioc(), o);
  std::set<std::string> values;
  std::size_t n = 0;
  for (const falcon::Indicator& i : all) {
    values.insert(i.value);
    EXPECT_EQ(i.source.value_or(""), "ranges");
    ++n;
  }
  EXPECT_TRUE(all.ok());
  EXPECT_EQ(n, 10'500u);
  EXPECT_EQ(values.size(), 10'500u);
  EXPECT_EQ(all.pages(), 6u);
  EXPECT_EQ(all.total(), 10'500);
}

TEST_F(Ranges, IdsOverSearchAndEarlyBreak) {
  seed(emu(), 250, "ids");
  falcon::IndicatorSearchOptions o;
  o.limit = 100;
  std::set<std::string> ids;
  for (const std::string& id : falcon::indicator_ids(ioc(), o)) ids.insert(id);
  EXPECT_EQ(ids.size(), 250u);
  for (const auto& id : ids) EXPECT_EQ(id.size(), 64u);

  auto r = falcon::indicator_ids(ioc(), o);
  int seen = 0;
  for (const auto& id : r) {
    (void)id;
    if (++seen == 5) break;
  }
  EXPECT_EQ(r.pages(), 1u);  // lazily: breaking early reads no more pages
}

TEST_F(Ranges, ErrorMidWayKeepsWhatWasYieldedAndCanThrow) {
  seed(emu(), 300, "err");
  auto cfg = config();
  cfg.retry = falcon::RetryPolicy::none();
  falcon::IOC client(cfg);
  ASSERT_TRUE(client.indicator_search({}).ok());  // token first
  falcon::emulator::Fault f;
  f.kind = falcon::emulator::Fault::Kind::status;
  f.status = 500;
  f.method = "GET";
  f.path = "/iocs/combined/indicator/v1";
  f.count = 1;
  // Fail the second page: the first is served, then the fault is armed by the loop body.
  falcon::IndicatorCombinedOptions o;
  o.limit = 100;
  auto all = falcon::indicators(client, o);
  std::size_t n = 0;
  for (const auto& i : all) {
    (void)i;
    if (++n == 1) emu().inject(f);
  }
  EXPECT_EQ(n, 100u);  // the whole first page
  ASSERT_TRUE(all.error());
  EXPECT_EQ(all.error()->status_code, 500);

  emu().inject(f);
  auto throwing = falcon::indicators(client, o, falcon::RangeOptions{true, {}});
  EXPECT_THROW(
      {
        for (const auto& i : throwing) (void)i;
      },
      falcon::Exception);

  falcon::IndicatorCombinedOptions bad;
  bad.offset = 10;
  auto refused = falcon::indicators(client, bad);
  EXPECT_TRUE(refused.begin() == refused.end());
  ASSERT_TRUE(refused.error());
  EXPECT_EQ(refused.error()->error->field, "offset");
}

TEST_F(Ranges, FqlBuilderStringsMatchExactlyOnTheServer) {
  json items = json::array();
  items.push_back(falcon_it::domain_item("q1.example.com", "o'brien\\feed"));
  items.push_back(falcon_it::domain_item("q2.example.com", "star*feed"));
  items.push_back(falcon_it::domain_item("q3.example.com", "starXfeed"));
  items.push_back(falcon_it::domain_item("q4.example.com", "a+b,c"));
  emu().add_indicators(items);
  auto values = [&](const fql::Expr& e) {
    falcon::IndicatorCombinedOptions o;
    o.filter = e.str();
    std::set<std::string> out;
    auto r = falcon::indicators(ioc(), o);
    for (const auto& i : r) out.insert(i.value);
    EXPECT_TRUE(r.ok()) << e.str();
    return out;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(values(fql::eq("source", "o'brien\\feed")), S{"q1.example.com"});
  // A '*' in an exact value is not a wildcard: only the literal source matches.
  EXPECT_EQ(values(fql::eq("source", "star*feed")), S{"q2.example.com"});
  EXPECT_EQ(values(fql::like("source", "star*feed")), (S{"q2.example.com", "q3.example.com"}));
  EXPECT_EQ(values(fql::eq("source", "a+b,c")), S{"q4.example.com"});
  EXPECT_EQ(values((fql::eq("source", "a+b,c") || fql::eq("source", "starXfeed")) &&
                   fql::eq("type", "domain")),
            (S{"q3.example.com", "q4.example.com"}));
  EXPECT_EQ(values(fql::any_of("value", {"q1.example.com", "q3.example.com"}) &&
                   fql::ne("source", "starXfeed")),
            S{"q1.example.com"});
}
