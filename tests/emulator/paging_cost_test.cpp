// Paging cost (issue 8, point 7): unfiltered and simple-filter pages are served from an index,
// so a page visits `limit` records however many are stored; other filters scan. Counts records
// visited (Emulator::records_visited), never time. Also checks the index answers exactly what
// a scan answers, across sorts, cursors, writes and expiry.
#include <set>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

constexpr const char* kSearch = "/iocs/queries/indicators/v1";
constexpr int kRecords = 10000;

class PagingCostTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.rate_limit_per_minute = 1000000;
    return o;
  }

  virtual int records() const { return kRecords; }

  void SetUp() override {
    EmulatorTest::SetUp();
    json items = json::array();
    for (int i = 0; i < records(); ++i) {
      json item = i % 2 == 0 ? hash_item(i) : domain_item("h" + std::to_string(i) + ".example.com");
      if (i % 3 == 0) item["source"] = i % 2 == 0 ? "feed-A" : "Feed-a";  // case matters here
      if (i % 5 == 0) item["expiration"] = format_time(emu_->now() + std::chrono::hours(1 + i % 7));
      items.push_back(item);
      if (items.size() == 2000 || i == records() - 1) {
        emu_->add_indicators(items);
        items = json::array();
      }
    }
  }

  static std::string format_time(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  struct Walk {
    std::vector<std::string> ids;
    std::vector<std::uint64_t> visited;  // per page
    std::uint64_t total = 0;
  };

  // Follows `after` from the first page to the last.
  Walk walk(const std::string& query, int limit = 100) {
    Walk w;
    std::string after;
    for (int pages = 0; pages <= kRecords / limit + 2; ++pages) {
      std::string path = std::string(kSearch) + "?limit=" + std::to_string(limit) + query;
      if (!after.empty()) path += "&after=" + url_encode(after);
      const std::uint64_t before = emu_->records_visited();
      json page = call_json("GET", path, 200);
      w.visited.push_back(emu_->records_visited() - before);
      if (page.is_null()) break;
      for (const auto& id : page["resources"]) w.ids.push_back(id);
      w.total = page["meta"]["pagination"]["total"];
      after = page["meta"]["pagination"].value("after", "");
      if (after.empty()) return w;
    }
    ADD_FAILURE() << "paging does not end: " << query;
    return w;
  }
};

TEST_F(PagingCostTest, UnfilteredPagesVisitOnlyTheirRecords) {
  const Walk w = walk("");
  ASSERT_EQ(w.ids.size(), static_cast<std::size_t>(kRecords));
  EXPECT_EQ(std::set<std::string>(w.ids.begin(), w.ids.end()).size(), w.ids.size());
  ASSERT_EQ(w.visited.size(), 100u);
  // The first page builds the index once (every record); each later page visits its own 100.
  EXPECT_LE(w.visited[0], static_cast<std::uint64_t>(kRecords + 100));
  for (std::size_t i = 1; i < w.visited.size(); ++i) EXPECT_EQ(w.visited[i], 100u) << i;

  // Offset pages too, and another sort order gets its own index.
  std::uint64_t before = emu_->records_visited();
  json page = call_json("GET", std::string(kSearch) + "?limit=100&offset=9900", 200);
  EXPECT_EQ(page["resources"].size(), 100u);
  EXPECT_EQ(page["meta"]["pagination"]["total"], kRecords);
  EXPECT_EQ(emu_->records_visited() - before, 100u);
  const Walk desc = walk("&sort=value.desc", 500);
  for (std::size_t i = 1; i < desc.visited.size(); ++i) EXPECT_EQ(desc.visited[i], 500u) << i;
}

TEST_F(PagingCostTest, SimpleFilterPagesVisitOnlyTheirRecords) {
  for (const std::string filter : {"type:'sha256'", "action:'DETECT'", "source:'feed-A'"}) {
    const Walk w = walk("&sort=modified_on.desc&filter=" + url_encode(filter));
    const std::size_t expected = filter == "source:'feed-A'" ? 1667u : 5000u;
    EXPECT_EQ(w.ids.size(), expected) << filter;
    EXPECT_EQ(w.total, expected) << filter;
    for (std::size_t i = 1; i < w.visited.size(); ++i) {
      EXPECT_LE(w.visited[i], 100u) << filter << " page " << i;
    }
  }
}

TEST_F(PagingCostTest, FiltersNoIndexAnswersScanEveryRecord) {
  // An OR of two terms has no equality every match satisfies.
  const std::uint64_t before = emu_->records_visited();
  json page = call_json(
      "GET",
      std::string(kSearch) + "?limit=100&filter=" + url_encode("type:'domain',severity:'high'"),
      200);
  EXPECT_EQ(page["meta"]["pagination"]["total"], kRecords / 2);
  EXPECT_EQ(emu_->records_visited() - before, static_cast<std::uint64_t>(kRecords));
}

// Issue 17: an indexed equality combined with more terms walks the equality's index.
TEST_F(PagingCostTest, CompoundFiltersWalkTheEqualitysIndex) {
  // Answered by the index alone: `deleted:false` holds for every indexed record, and two
  // equalities pick a group of an index on both fields. Later pages visit only themselves.
  for (const std::string filter :
       {"source:'feed-A'+deleted:false", "deleted:false+source:'feed-A'",
        "type:'domain'+source:'Feed-a'", "source:'Feed-a'+type:'DOMAIN'+deleted:false"}) {
    const Walk w = walk("&filter=" + url_encode(filter));
    const std::size_t expected = 1667u;  // i % 6 == 0 (feed-A) or i % 6 == 3 (Feed-a)
    EXPECT_EQ(w.total, expected) << filter;
    EXPECT_EQ(w.ids.size(), expected) << filter;
    for (std::size_t i = 1; i < w.visited.size(); ++i) {
      EXPECT_LE(w.visited[i], 100u) << filter << " page " << i;
    }
  }
  // Another term: the group (1,667 records) is walked, never the 10,000.
  const Walk w = walk("&filter=" + url_encode("source:'feed-A'+expiration:>'2000-01-01'"));
  EXPECT_EQ(w.total, 334u);  // i % 30 == 0: feed-A and an expiration
  for (std::size_t i = 1; i < w.visited.size(); ++i) EXPECT_EQ(w.visited[i], 1667u) << i;
}

// A filter that names its values (sync's conflict lookup) reads those values' records only.
TEST_F(PagingCostTest, ValueListsAreLookedUpNotScanned) {
  const std::string values = "value:['h1.example.com','" + sha256_of(2) +
                             "','h3.example.com','nowhere.example.com','h1.example.com']";
  for (const std::string& filter : {values, values + "+type:'domain'", values + "+deleted:false"}) {
    const std::uint64_t before = emu_->records_visited();
    json page =
        call_json("GET", std::string(kSearch) + "?limit=100&filter=" + url_encode(filter), 200);
    EXPECT_LT(emu_->records_visited() - before, 100u) << filter;
    const bool domains = filter.find("type:") != std::string::npos;
    EXPECT_EQ(page["meta"]["pagination"]["total"], domains ? 2 : 3) << filter;
  }
}

// Fewer records: every scanned page here renders them all (slow under the sanitizers).
class IndexEquivalenceTest : public PagingCostTest {
 protected:
  int records() const override { return 3000; }
};

// The same query answered from an index and by a scan: `(f),(f)` means f but is not simple.
TEST_F(IndexEquivalenceTest, IndexAnswersWhatAScanAnswers) {
  const auto same = [&](const std::string& filter, const std::string& sort) {
    const Walk indexed = walk("&sort=" + sort + "&filter=" + url_encode(filter), 700);
    const Walk scanned =
        walk("&sort=" + sort + "&filter=" + url_encode("(" + filter + "),(" + filter + ")"), 700);
    EXPECT_EQ(indexed.ids, scanned.ids) << filter << " " << sort;
    EXPECT_EQ(indexed.total, scanned.total) << filter << " " << sort;
    EXPECT_FALSE(indexed.ids.empty()) << filter << " " << sort;
  };
  same("source:'Feed-a'", "expiration.desc");  // nulls last both ways
  same("type:'SHA256'", "expiration.asc");
  same("action:'prevent'", "severity_number.desc");
  same("severity:'high'", "value|asc");
  same("type:'domain'", "action.asc");
  // Compound filters (issue 17): an index alone, or a group walked with the other terms.
  const std::vector<std::string> compound = {
      "source:'feed-A'+deleted:false", "type:'domain'+source:'Feed-a'",
      "source:'Feed-a'+severity:'HIGH'+deleted:false", "type:'sha256'+expiration:>'2000-01-01'",
      "source:'feed-A'+platforms:'windows'+action:!'allow'"};
  for (const auto& f : compound) {
    for (const std::string sort : {"created_on.asc", "expiration.desc", "value|desc",
                                   "severity_number.asc", "expired.desc"}) {
      same(f, sort);
    }
  }

  // Writes keep the indexes right: an update, a delete, an expiry.
  json ids = call_json("GET", std::string(kSearch) + "?limit=50&filter=type%3A%27domain%27", 200);
  json update = {{"indicators", json::array()}};
  for (std::size_t i = 0; i < 25; ++i) {
    update["indicators"].push_back({{"id", ids["resources"][i]}, {"severity", "low"}});
  }
  call_json("PATCH", "/iocs/entities/indicators/v1", 200, update.dump());
  std::vector<std::string> gone;  // the values of the records deleted here
  for (int i : {30, 31}) {
    gone.push_back(call_json(
        "GET", "/iocs/entities/indicators/v1?ids=" + ids["resources"][i].get<std::string>(),
        200)["resources"][0]["value"]);
  }
  call_json("DELETE",
            "/iocs/entities/indicators/v1?ids=" + ids["resources"][30].get<std::string>() + "," +
                ids["resources"][31].get<std::string>(),
            200);
  emu_->advance_clock(std::chrono::hours(3));  // some expirations pass: action no_action
  token_.clear();                              // and the token expired
  same("type:'domain'", "action.asc");         // built before the expiry moved records
  same("severity:'low'", "created_on.asc");
  same("action:'no_action'", "expiration.desc");
  same("severity:'high'", "expired.desc");
  for (const auto& f : compound) same(f, "action.asc");
  // Value lists (looked up, not scanned), after the delete: one of them names a deleted record.
  json some = call_json("GET", std::string(kSearch) + "?limit=40&sort=value.asc", 200);
  std::string list = "value:[";
  for (std::size_t i = 0; i < some["resources"].size(); i += 3) {
    const json rec = call_json(
        "GET", "/iocs/entities/indicators/v1?ids=" + some["resources"][i].get<std::string>(),
        200)["resources"][0];
    list += (i == 0 ? "'" : ",'") + rec["value"].get<std::string>() + "'";
  }
  list += ",'" + gone[0] + "','" + gone[1] + "','" + sha256_of(4) + "']";
  for (const std::string sort : {"created_on.asc", "value|desc", "expiration.desc"}) {
    same(list, sort);
    same(list + "+action:!'allow'", sort);
  }
  // An offset page of a walked group equals the scan's.
  const std::string f = url_encode("type:'domain'+platforms:'mac'");
  const std::string g =
      url_encode("(type:'domain'+platforms:'mac'),(type:'domain'+platforms:'mac')");
  const json a = call_json("GET", std::string(kSearch) + "?limit=50&offset=120&filter=" + f, 200);
  const json b = call_json("GET", std::string(kSearch) + "?limit=50&offset=120&filter=" + g, 200);
  EXPECT_EQ(a["resources"], b["resources"]);
  EXPECT_EQ(a["meta"]["pagination"]["total"], b["meta"]["pagination"]["total"]);
  EXPECT_EQ(a["meta"]["pagination"]["offset"], b["meta"]["pagination"]["offset"]);
  const Walk all = walk("", 2000);
  EXPECT_EQ(all.total, static_cast<std::uint64_t>(records() - 2));
}

}  // namespace
}  // namespace falcon::emulator::testing
