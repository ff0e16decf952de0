// Search/combined paging: limit bounds, the 10,000 offset ceiling and `after` cursors.
#include <set>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

constexpr const char* kSearch = "/iocs/queries/indicators/v1";

class PagingTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    json items = json::array();
    for (int i = 0; i < 2500; ++i) {
      items.push_back(i % 2 == 0 ? hash_item(i)
                                 : domain_item("host" + std::to_string(i) + ".example.com"));
      if (items.size() == 2000) {
        create(items);
        items = json::array();
      }
    }
    create(items);
  }

  // Follows `after` from the first page; returns every id seen, in order.
  std::vector<std::string> walk(const std::string& query, int* pages) {
    std::vector<std::string> ids;
    std::string after;
    *pages = 0;
    while (true) {
      std::string path = std::string(kSearch) + "?limit=100" + query;
      if (!after.empty()) path += "&after=" + url_encode(after);
      json page = call_json("GET", path, 200);
      if (page.is_null() || page["resources"].empty()) break;
      ++*pages;
      for (const auto& id : page["resources"]) ids.push_back(id);
      EXPECT_EQ(page["meta"]["pagination"]["total"], 2500);
      after = page["meta"]["pagination"].value("after", "");
      if (after.empty()) break;
      if (*pages > 100) {
        ADD_FAILURE() << "paging does not end";
        break;
      }
    }
    return ids;
  }
};

TEST_F(PagingTest, AfterVisitsEveryRecordOnce) {
  for (const std::string sort :
       {"", "&sort=value.desc", "&sort=type|asc", "&sort=created_on.desc"}) {
    int pages = 0;
    const auto ids = walk(sort, &pages);
    EXPECT_EQ(ids.size(), 2500u) << sort;
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 2500u) << sort;
    EXPECT_EQ(pages, 25) << sort;
  }
}

TEST_F(PagingTest, AfterIsStableWhileRecordsAreAdded) {
  json first = call_json("GET", std::string(kSearch) + "?limit=1000&sort=value.asc", 200);
  const std::string after = first["meta"]["pagination"]["after"];
  // Values sorting before the cursor must not shift the next page.
  create({domain_item("0000.example.com")});
  json second = call_json(
      "GET", std::string(kSearch) + "?limit=1000&sort=value.asc&after=" + url_encode(after), 200);
  std::set<std::string> seen(first["resources"].begin(), first["resources"].end());
  for (const auto& id : second["resources"]) EXPECT_TRUE(seen.insert(id).second);
  EXPECT_EQ(second["meta"]["pagination"]["total"], 2501);
}

TEST_F(PagingTest, OffsetPagingAndNextOffset) {
  json page = call_json("GET", std::string(kSearch) + "?limit=2000&offset=0", 200);
  EXPECT_EQ(page["resources"].size(), 2000u);
  EXPECT_EQ(page["meta"]["pagination"]["offset"], 2000);
  EXPECT_EQ(page["meta"]["pagination"]["limit"], 2000);
  EXPECT_TRUE(page["meta"]["pagination"].contains("after"));
  page = call_json("GET", std::string(kSearch) + "?limit=2000&offset=2000", 200);
  EXPECT_EQ(page["resources"].size(), 500u);
  EXPECT_EQ(page["meta"]["pagination"]["offset"], 2500);
  EXPECT_FALSE(page["meta"]["pagination"].contains("after"));
  page = call_json("GET", "/iocs/combined/indicator/v1?limit=3&offset=7", 200);
  EXPECT_EQ(page["resources"].size(), 3u);
  EXPECT_TRUE(page["resources"][0].is_object());
  EXPECT_EQ(page["meta"]["pagination"]["offset"], 10);
  page = call_json("GET", kSearch, 200);
  EXPECT_EQ(page["meta"]["pagination"]["limit"], 100);  // the default
}

TEST_F(PagingTest, BadPagingIsRefused) {
  const auto message = [&](const std::string& query, int status = 400) {
    json r = call_json("GET", std::string(kSearch) + query, status);
    return r.is_null() ? std::string() : r["errors"][0]["message"].get<std::string>();
  };
  EXPECT_EQ(message("?offset=9999&limit=2"), "offset + limit must be less than or equal to 10000");
  call_json("GET", std::string(kSearch) + "?offset=9998&limit=2", 200);
  EXPECT_NE(message("?limit=2001").find("limit"), std::string::npos);
  EXPECT_NE(message("?limit=0").find("limit"), std::string::npos);
  EXPECT_NE(message("?limit=ten").find("limit"), std::string::npos);
  EXPECT_NE(message("?offset=-1").find("offset"), std::string::npos);
  EXPECT_NE(message("?offset=1&after=abc").find("after"), std::string::npos);
  EXPECT_NE(message("?after=" + url_encode("not base64!")).find("after"), std::string::npos);
  EXPECT_FALSE(message("?sort=colour.asc").empty());
  EXPECT_FALSE(message("?filter=" + url_encode("type:'domain")).empty());
}

class Ceiling500Test : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.offset_ceiling_500 = true;
    return o;
  }
};

TEST_F(Ceiling500Test, OffsetPastCeilingAnswers500) {
  json r = call_json("GET", "/iocs/combined/indicator/v1?offset=10000&limit=3", 500);
  EXPECT_EQ(r["errors"][0]["code"], 500);
}

}  // namespace
}  // namespace falcon::emulator::testing
