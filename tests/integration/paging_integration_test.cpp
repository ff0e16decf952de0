// Paging over real HTTP: search_all / combined_all follow `after` through 12,000 indicators,
// while plain offset paging stops at the 10,000 ceiling (on the server, and in the SDK first).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixture.hpp"

namespace {

using falcon::ErrorKind;
using falcon::Response;
using nlohmann::json;

constexpr int kTotal = 12000;
constexpr int kBatch = 2000;

// Indicator i: every third one is a domain with source "third", the rest are sha256 hashes.
json item(int i) {
  if (i % 3 != 0) return falcon_it::hash_item(i, "rest");
  return falcon_it::domain_item("p" + std::to_string(i) + ".paging.example", "third");
}

// One emulator holding kTotal indicators, shared by the read-only tests of this suite (seeding
// is the slow part); the tests compare counters as deltas.
class PagingIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new falcon::emulator::Emulator(falcon_it::emulator_options());
    emu_->start();
    all_ = new std::set<std::string>();
    third_ = new std::set<std::string>();
    // Straight into the emulator (no HTTP), in batches of kBatch.
    for (int start = 0; start < kTotal; start += kBatch) {
      json batch = json::array();
      for (int i = start; i < start + kBatch; ++i) batch.push_back(item(i));
      const auto ids = emu_->add_indicators(batch);
      for (std::size_t k = 0; k < ids.size(); ++k) {
        all_->insert(ids[k]);
        if (batch[k]["source"] == "third") third_->insert(ids[k]);
      }
    }
  }

  static void TearDownTestSuite() {
    delete emu_;
    delete all_;
    delete third_;
    emu_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(all_->size(), static_cast<std::size_t>(kTotal));
    ASSERT_EQ(third_->size(), static_cast<std::size_t>(kTotal / 3));
  }

  falcon::emulator::Emulator& emu() { return *emu_; }
  falcon::Config config() const { return falcon_it::config_for(*emu_); }
  falcon::IOC ioc() const { return falcon::IOC(config()); }
  std::uint64_t route_count(const std::string& route) const {
    const auto c = emu_->counters().requests_per_route;
    const auto it = c.find(route);
    return it == c.end() ? 0 : it->second;
  }

  static const std::string kSearchRoute;
  static falcon::emulator::Emulator* emu_;
  static std::set<std::string>* all_;    // every id
  static std::set<std::string>* third_;  // the ids with source "third"
};

const std::string PagingIntegration::kSearchRoute = "GET /iocs/queries/indicators/v1";
falcon::emulator::Emulator* PagingIntegration::emu_ = nullptr;
std::set<std::string>* PagingIntegration::all_ = nullptr;
std::set<std::string>* PagingIntegration::third_ = nullptr;

TEST_F(PagingIntegration, SearchAllReturnsEveryIdExactlyOnce) {
  const falcon::IOC ioc = this->ioc();
  const auto before = route_count(kSearchRoute);
  for (const char* sort : {"value.asc", "created_on.desc"}) {
    SCOPED_TRACE(sort);
    falcon::IndicatorSearchOptions o;
    o.limit = 2000;
    o.sort = sort;
    std::vector<std::string> ids;
    int pages = 0;
    const Response last = falcon::search_all(ioc, o, [&](Response& page) {
      ++pages;
      EXPECT_EQ(page.status_code, 200);
      EXPECT_EQ(page.pagination().total, std::optional<std::int64_t>(kTotal));
      EXPECT_LE(page.resources().size(), 2000U);
      for (const auto& id : page.resources()) ids.push_back(id.get<std::string>());
      return true;
    });
    ASSERT_TRUE(last.ok()) << last.status_code << " " << last.body().dump();
    EXPECT_EQ(pages, kTotal / 2000);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kTotal));          // no duplicates ...
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), *all_);  // ... none missing
  }
  EXPECT_EQ(route_count(kSearchRoute) - before, 2U * kTotal / 2000);
}

TEST_F(PagingIntegration, SearchAllCanStopEarly) {
  falcon::IndicatorSearchOptions o;
  o.limit = 1000;
  int pages = 0;
  const auto before = route_count(kSearchRoute);
  const Response last = falcon::search_all(this->ioc(), o, [&](Response&) { return ++pages < 3; });
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(route_count(kSearchRoute) - before, 3U);
}

TEST_F(PagingIntegration, CombinedAllReturnsAFilteredSubsetInOrder) {
  falcon::IndicatorCombinedOptions o;
  o.filter = "source:'third'+type:'domain'";
  o.limit = 1500;
  o.sort = "value.desc";
  std::vector<falcon::Indicator> records;
  const Response last = falcon::combined_all(this->ioc(), o, [&](Response& page) {
    EXPECT_EQ(page.pagination().total, std::optional<std::int64_t>(kTotal / 3));
    const auto recs = page.resources_as<falcon::Indicator>();
    records.insert(records.end(), recs.begin(), recs.end());
    return true;
  });
  ASSERT_TRUE(last.ok()) << last.status_code << " " << last.body().dump();
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kTotal / 3));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    ids.insert(r.id);
    EXPECT_EQ(r.type, "domain");
    EXPECT_EQ(r.source.value_or(""), "third");
    if (i > 0) {
      EXPECT_GT(records[i - 1].value, r.value) << i;  // strictly descending
    }
  }
  EXPECT_EQ(ids, *third_);
}

TEST_F(PagingIntegration, OffsetPagingStopsAtTheTenThousandCeiling) {
  falcon::Config raw = config();
  raw.validate = false;  // let the server judge offset + limit
  const falcon::IOC server_judged(raw);

  // Plain offset paging: five full pages of 2000 work ...
  std::set<std::string> seen;
  for (std::int64_t offset = 0; offset < 10000; offset += 2000) {
    falcon::IndicatorSearchOptions o;
    o.offset = offset;
    o.limit = 2000;
    o.sort = "value.asc";
    const Response r = server_judged.indicator_search(o);
    ASSERT_EQ(r.status_code, 200) << offset << ": " << r.body().dump();
    EXPECT_EQ(r.resources().size(), 2000U);
    EXPECT_EQ(r.pagination().offset, std::optional<std::int64_t>(offset + 2000));  // next offset
    EXPECT_EQ(r.pagination().total, std::optional<std::int64_t>(kTotal));
    for (const auto& id : r.resources()) seen.insert(id.get<std::string>());
  }
  EXPECT_EQ(seen.size(), 10000U);

  // ... and the page that crosses 10,000 is refused by the server.
  falcon::IndicatorSearchOptions past;
  past.offset = 9000;
  past.limit = 2000;
  const auto before = route_count(kSearchRoute);
  const Response refused = server_judged.indicator_search(past);
  EXPECT_EQ(refused.status_code, 400) << refused.body().dump();
  EXPECT_FALSE(refused.error.has_value());  // the server's answer, not an SDK error
  ASSERT_FALSE(refused.api_errors().empty());
  EXPECT_NE(refused.api_errors()[0].message.find("10000"), std::string::npos)
      << refused.api_errors()[0].message;
  EXPECT_EQ(route_count(kSearchRoute), before + 1);
  past.offset = 10000;
  past.limit = 1;
  EXPECT_EQ(server_judged.indicator_combined(past).status_code, 400);

  // With validation on, the SDK refuses the same call without sending it.
  falcon::IndicatorSearchOptions same;
  same.offset = 9000;
  same.limit = 2000;
  const auto sent = emu().counters().requests_total;
  const Response local = this->ioc().indicator_search(same);
  EXPECT_EQ(local.status_code, 0);
  ASSERT_TRUE(local.error.has_value());
  EXPECT_EQ(local.error->kind, ErrorKind::validation);
  EXPECT_EQ(local.error->field, "offset");
  EXPECT_EQ(emu().counters().requests_total, sent);

  // search_all pages with `after` and refuses an offset.
  const Response mixed = falcon::search_all(server_judged, same, [](Response&) { return true; });
  ASSERT_TRUE(mixed.error.has_value());
  EXPECT_EQ(mixed.error->kind, ErrorKind::validation);
  EXPECT_EQ(emu().counters().requests_total, sent);

  // The cursor gets past 10,000: search_all finds the 2,000 that offset paging could not.
  falcon::IndicatorSearchOptions cursor;
  cursor.limit = 2000;
  cursor.sort = "value.asc";
  std::set<std::string> everything;
  ASSERT_TRUE(falcon::search_all(server_judged, cursor, [&](Response& page) {
                for (const auto& id : page.resources()) everything.insert(id.get<std::string>());
                return true;
              }).ok());
  EXPECT_EQ(everything, *all_);
  std::size_t beyond = 0;
  for (const auto& id : everything) beyond += seen.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(beyond, 2000U);
}

// Writes need an emulator of their own.
class PagingCreateIntegration : public falcon_it::EmulatorTest {};

TEST_F(PagingCreateIntegration, SdkCreatesTwelveThousandInBatchesOf2000) {
  const falcon::IOC ioc = this->ioc();
  const auto t0 = std::chrono::steady_clock::now();
  std::set<std::string> created;
  for (int start = 0; start < kTotal; start += kBatch) {
    falcon::IndicatorCreateOptions o;
    o.indicators = json::array();
    for (int i = start; i < start + kBatch; ++i) o.indicators->push_back(item(i));
    const Response r = ioc.indicator_create(o);
    ASSERT_EQ(r.status_code, 201) << r.body().dump().substr(0, 2000);
    ASSERT_EQ(r.resources().size(), static_cast<std::size_t>(kBatch));
    for (const auto& rec : r.resources()) created.insert(rec["id"].get<std::string>());
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  RecordProperty(
      "create_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  EXPECT_EQ(created.size(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(emu().indicator_count(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(emu().counters().requests_per_route["POST /iocs/entities/indicators/v1"],
            static_cast<std::uint64_t>(kTotal / kBatch));

  falcon::IndicatorSearchOptions o;
  o.limit = 2000;
  std::set<std::string> found;
  std::size_t count = 0;
  ASSERT_TRUE(falcon::search_all(ioc, o, [&](Response& page) {
                for (const auto& id : page.resources()) {
                  found.insert(id.get<std::string>());
                  ++count;
                }
                return true;
              }).ok());
  EXPECT_EQ(count, static_cast<std::size_t>(kTotal));
  EXPECT_EQ(found, created);
}

}  // namespace
