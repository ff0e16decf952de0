// Aggregations over a fixed set of indicator records, with exact expected buckets.
#include "aggregate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "fql.hpp"

namespace falcon::emulator {
namespace {

using nlohmann::json;

// a1..a8. Days (UTC): a5 Wed 2025-01-01 (written with an offset), a8 Sun 01-05, a7 Mon 01-06,
// a1 and a2 Fri 01-10 (a2 one nanosecond before midnight), a3 Sat 01-11, a4 02-01, a6 03-15.
const json& fixtures() {
  static const json records = json::parse(R"([
    {"id":"a1","type":"sha256","action":"prevent","severity":"high",
     "platforms":["windows","mac"],"tags":["apt","malware"],
     "created_on":"2025-01-10T08:00:00Z","deleted":false,"metadata":{"av_hits":12}},
    {"id":"a2","type":"sha256","action":"detect","severity":"critical","platforms":["windows"],
     "tags":["apt"],"created_on":"2025-01-10T23:59:59.999999999Z","metadata":{"av_hits":3}},
    {"id":"a3","type":"md5","action":"detect","severity":"high","platforms":["linux"],"tags":[],
     "created_on":"2025-01-11T00:00:00Z","metadata":{"av_hits":-1}},
    {"id":"a4","type":"md5","action":"no_action","platforms":["mac"],
     "created_on":"2025-02-01T00:00:00Z","metadata":{}},
    {"id":"a5","type":"domain","action":"detect","severity":"medium",
     "platforms":["windows","linux"],"tags":["phishing","apt"],
     "created_on":"2024-12-31T23:00:00-02:00"},
    {"id":"a6","type":"domain","action":"detect","severity":"low","platforms":["windows"],
     "tags":["phishing"],"created_on":"2025-03-15T12:00:00Z","deleted":true},
    {"id":"a7","type":"ipv4","action":"detect","severity":"high","platforms":["linux"],
     "tags":["scanner"],"created_on":"2025-01-06T00:00:00Z","metadata":{"av_hits":40}},
    {"id":"a8","type":"ipv6","action":"detect","severity":"informational",
     "platforms":["android"],"tags":["scanner","apt","apt"],"created_on":"2025-01-05T23:59:59Z",
     "metadata":{"av_hits":0}}
  ])");
  return records;
}

std::vector<const json*> all_records() {
  std::vector<const json*> out;
  for (const json& r : fixtures()) out.push_back(&r);
  return out;
}

json run(const std::string& request) {
  return run_aggregation(json::parse(request), all_records());
}

// Buckets reduced to [label, count] pairs, for compact expectations.
json label_counts(const json& result) {
  json out = json::array();
  for (const json& b : result.at("buckets")) out.push_back({b.at("label"), b.at("count")});
  return out;
}

constexpr std::int64_t kJan1 = 1735689600000;  // 2025-01-01T00:00:00Z in epoch ms
constexpr std::int64_t kDay = 86400000;

// ---- terms ------------------------------------------------------------------------------

TEST(Terms, CountsByDescendingCountThenLabel) {
  const json r = run(R"({"type":"terms","field":"type","name":"by_type"})");
  EXPECT_EQ(r.at("name"), "by_type");
  EXPECT_EQ(label_counts(r), json::parse(R"([["domain",2],["md5",2],["sha256",2],
                                             ["ipv4",1],["ipv6",1]])"));
  EXPECT_EQ(r.at("sum_other_doc_count"), 0);
  EXPECT_EQ(r.at("buckets")[0], json::parse(R"({"label":"domain","count":2})"));
}

TEST(Terms, SizeCutsBucketsAndCountsTheRest) {
  const json r = run(R"({"type":"terms","field":"type","size":2})");
  EXPECT_EQ(r.at("name"), "type");  // no name: the field
  EXPECT_EQ(label_counts(r), json::parse(R"([["domain",2],["md5",2]])"));
  EXPECT_EQ(r.at("sum_other_doc_count"), 4);
  // gofalcon sends null for unset members; 0 is treated as unset too
  EXPECT_EQ(run(R"({"type":"terms","field":"type","size":null})").at("buckets").size(), 5U);
  EXPECT_EQ(run(R"({"type":"terms","field":"type","size":0})").at("buckets").size(), 5U);
  EXPECT_EQ(run(R"({"type":"terms","field":"type","size":10000})").at("buckets").size(), 5U);
}

TEST(Terms, CountsEachArrayElementOncePerRecord) {
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"tags"})")),
            json::parse(R"([["apt",4],["phishing",2],["scanner",2],["malware",1]])"));
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"platforms"})")),
            json::parse(R"([["windows",4],["linux",3],["mac",2],["android",1]])"));
}

TEST(Terms, AppliesMinDocCountFilterMissingAndSort) {
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"tags","min_doc_count":2})")),
            json::parse(R"([["apt",4],["phishing",2],["scanner",2]])"));
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"action","filter":"deleted:false"})")),
            json::parse(R"([["detect",5],["no_action",1],["prevent",1]])"));
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"severity","missing":"none"})")),
            json::parse(R"([["high",3],["critical",1],["informational",1],["low",1],
                            ["medium",1],["none",1]])"));
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"type","sort":"_term|asc"})")),
            json::parse(R"([["domain",2],["ipv4",1],["ipv6",1],["md5",2],["sha256",2]])"));
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"type","sort":"_count|asc"})")),
            json::parse(R"([["ipv4",1],["ipv6",1],["domain",2],["md5",2],["sha256",2]])"));
}

TEST(Terms, KeepsNumericLabelsAsNumbers) {
  EXPECT_EQ(label_counts(run(R"({"type":"terms","field":"severity_number"})")),
            json::parse(R"([[4,3],[0,1],[1,1],[2,1],[3,1],[5,1]])"));
}

// ---- date_range -------------------------------------------------------------------------

TEST(DateRange, BucketsByHalfOpenRanges) {
  const json r = run(R"({"type":"date_range","field":"created_on","date_ranges":[
      {"from":"2025-01-01","to":"2025-01-11"},
      {"from":"2025-01-11T00:00:00Z","to":null},
      {"to":"2025-01-01T00:00:00Z"}]})");
  EXPECT_EQ(r.at("name"), "created_on");
  const json expected = {
      {{"label", "2025-01-01-2025-01-11"},
       {"key_as_string", "2025-01-01-2025-01-11"},
       {"count", 5},
       {"from", kJan1},
       {"to", kJan1 + 10 * kDay},
       {"string_from", "2025-01-01T00:00:00Z"},
       {"string_to", "2025-01-11T00:00:00Z"}},
      {{"label", "2025-01-11T00:00:00Z-*"},
       {"key_as_string", "2025-01-11T00:00:00Z-*"},
       {"count", 3},
       {"from", kJan1 + 10 * kDay},
       {"string_from", "2025-01-11T00:00:00Z"}},
      {{"label", "*-2025-01-01T00:00:00Z"},
       {"key_as_string", "*-2025-01-01T00:00:00Z"},
       {"count", 0},
       {"to", kJan1},
       {"string_to", "2025-01-01T00:00:00Z"}},
  };
  EXPECT_EQ(r.at("buckets"), expected);
}

TEST(DateRange, AcceptsRelativeDates) {
  json fresh = fixtures()[0];
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  fresh["created_on"] = format_fql_time(FqlTime{secs.count() - 3600, 0});  // an hour ago
  std::vector<const json*> recs = all_records();
  recs.push_back(&fresh);
  const json r = run_aggregation(json::parse(R"({"type":"date_range","field":"created_on",
      "date_ranges":[{"from":"now-1d","to":"now"},{"to":"now-1d/d"},{"from":"now+1h"},
                     {"from":"now-1M/M"}]})"),
                                 recs);
  ASSERT_EQ(r.at("buckets").size(), 4U);
  EXPECT_EQ(r.at("buckets")[0].at("count"), 1);
  EXPECT_EQ(r.at("buckets")[0].at("label"), "now-1d-now");
  EXPECT_EQ(r.at("buckets")[1].at("count"), 8);
  EXPECT_EQ(r.at("buckets")[2].at("count"), 0);
  EXPECT_EQ(r.at("buckets")[3].at("count"), 1);
}

// ---- date_histogram ---------------------------------------------------------------------

TEST(DateHistogram, BucketsByCalendarDay) {
  const json r = run(R"({"type":"date_histogram","field":"created_on","interval":"day"})");
  EXPECT_EQ(label_counts(r), json::parse(R"([["2025-01-01T00:00:00Z",1],
      ["2025-01-05T00:00:00Z",1],["2025-01-06T00:00:00Z",1],["2025-01-10T00:00:00Z",2],
      ["2025-01-11T00:00:00Z",1],["2025-02-01T00:00:00Z",1],["2025-03-15T00:00:00Z",1]])"));
  EXPECT_EQ(r.at("buckets")[0], (json{{"label", "2025-01-01T00:00:00Z"},
                                      {"key_as_string", "2025-01-01T00:00:00Z"},
                                      {"value", kJan1},
                                      {"count", 1}}));
  EXPECT_EQ(r.at("buckets")[3].at("value"), kJan1 + 9 * kDay);
  EXPECT_EQ(label_counts(run(R"({"type":"date_histogram","field":"created_on","interval":"1d"})")),
            label_counts(r));
}

TEST(DateHistogram, BucketsByWeekMonthYearAndFixedIntervals) {
  EXPECT_EQ(
      label_counts(run(R"({"type":"date_histogram","field":"created_on","interval":"week"})")),
      json::parse(R"([["2024-12-30T00:00:00Z",2],["2025-01-06T00:00:00Z",4],
                      ["2025-01-27T00:00:00Z",1],["2025-03-10T00:00:00Z",1]])"));
  EXPECT_EQ(
      label_counts(run(R"({"type":"date_histogram","field":"created_on","interval":"month"})")),
      json::parse(R"([["2025-01-01T00:00:00Z",6],["2025-02-01T00:00:00Z",1],
                      ["2025-03-01T00:00:00Z",1]])"));
  EXPECT_EQ(
      label_counts(run(R"({"type":"date_histogram","field":"created_on","interval":"year"})")),
      json::parse(R"([["2025-01-01T00:00:00Z",8]])"));
  // Fixed intervals align on the epoch, a Thursday.
  EXPECT_EQ(label_counts(run(R"({"type":"date_histogram","field":"created_on","interval":"7d"})")),
            json::parse(R"([["2024-12-26T00:00:00Z",1],["2025-01-02T00:00:00Z",2],
                      ["2025-01-09T00:00:00Z",3],["2025-01-30T00:00:00Z",1],
                      ["2025-03-13T00:00:00Z",1]])"));
  const json hours = run(
      R"({"type":"date_histogram","field":"created_on","interval":"1h","filter":"type:'sha256'"})");
  EXPECT_EQ(label_counts(hours),
            json::parse(R"([["2025-01-10T08:00:00Z",1],["2025-01-10T23:00:00Z",1]])"));
}

// ---- range ------------------------------------------------------------------------------

TEST(Range, BucketsNumbersFromInclusiveToExclusive) {
  const json r = run(R"({"type":"range","field":"metadata.av_hits","name":"hits",
      "ranges":[{"From":null,"To":0},{"From":0,"To":10},{"From":10},{"From":2.5,"To":12}]})");
  EXPECT_EQ(r.at("name"), "hits");
  const json expected = json::parse(R"([
      {"label":"*-0","to":0.0,"count":1},
      {"label":"0-10","from":0.0,"to":10.0,"count":2},
      {"label":"10-*","from":10.0,"count":2},
      {"label":"2.5-12","from":2.5,"to":12.0,"count":1}])");
  EXPECT_EQ(r.at("buckets"), expected);
  EXPECT_EQ(label_counts(run(R"({"type":"range","field":"severity_number",
                                 "ranges":[{"From":4},{"To":1}]})")),
            json::parse(R"([["4-*",4],["*-1",1]])"));
}

// ---- metrics ----------------------------------------------------------------------------

TEST(Metrics, ComputeOneValueBucket) {
  EXPECT_EQ(run(R"({"type":"cardinality","field":"type"})").at("buckets"),
            json::parse(R"([{"value":5,"count":8}])"));
  EXPECT_EQ(run(R"({"type":"cardinality","field":"tags"})").at("buckets"),
            json::parse(R"([{"value":4,"count":6}])"));
  EXPECT_EQ(run(R"({"type":"min","field":"metadata.av_hits"})").at("buckets"),
            json::parse(R"([{"value":-1.0,"count":5}])"));
  EXPECT_EQ(run(R"({"type":"max","field":"metadata.av_hits"})").at("buckets"),
            json::parse(R"([{"value":40.0,"count":5}])"));
  EXPECT_EQ(run(R"({"type":"sum","field":"metadata.av_hits"})").at("buckets"),
            json::parse(R"([{"value":54.0,"count":5}])"));
  const json avg = run(R"({"type":"avg","field":"metadata.av_hits","name":"mean"})");
  EXPECT_EQ(avg.at("name"), "mean");
  EXPECT_DOUBLE_EQ(avg.at("buckets")[0].at("value").get<double>(), 10.8);
  EXPECT_EQ(avg.at("buckets")[0].at("count"), 5);
  EXPECT_EQ(avg.at("sum_other_doc_count"), 0);
}

TEST(Metrics, ReportDatesAsEpochMillisAndText) {
  EXPECT_EQ(run(R"({"type":"min","field":"created_on"})").at("buckets"),
            (json{{{"value", static_cast<double>(kJan1 + 3600000)},
                   {"count", 8},
                   {"value_as_string", "2025-01-01T01:00:00Z"}}}));
  EXPECT_EQ(run(R"({"type":"max","field":"created_on"})").at("buckets")[0].at("value_as_string"),
            "2025-03-15T12:00:00Z");
}

TEST(Metrics, HandleNoDocuments) {
  const std::string none = R"(,"field":"metadata.av_hits","filter":"type:'nosuch'"})";
  EXPECT_EQ(run(R"({"type":"avg")" + none).at("buckets"),
            json::parse(R"([{"value":null,"count":0}])"));
  EXPECT_EQ(run(R"({"type":"min")" + none).at("buckets"),
            json::parse(R"([{"value":null,"count":0}])"));
  EXPECT_EQ(run(R"({"type":"sum")" + none).at("buckets"),
            json::parse(R"([{"value":0.0,"count":0}])"));
  EXPECT_EQ(run_aggregation(json::parse(R"({"type":"terms","field":"type"})"), {}),
            json::parse(R"({"name":"type","buckets":[],"sum_other_doc_count":0,
                            "doc_count_error_upper_bound":0})"));
}

// ---- sub_aggregates ---------------------------------------------------------------------

TEST(SubAggregates, RunOverEachBucketsRecords) {
  const json r = run(R"({"type":"terms","field":"type","sub_aggregates":[
      {"type":"terms","field":"platforms","name":"platforms"},
      {"type":"max","field":"metadata.av_hits"}]})");
  ASSERT_EQ(r.at("buckets").size(), 5U);
  const json expected_platforms = json::parse(R"([
      [["linux",1],["windows",2]],
      [["linux",1],["mac",1]],
      [["windows",2],["mac",1]],
      [["linux",1]],
      [["android",1]]])");
  const json expected_max = json::parse(R"([
      {"value":null,"count":0}, {"value":-1.0,"count":1}, {"value":12.0,"count":2},
      {"value":40.0,"count":1}, {"value":0.0,"count":1}])");
  for (std::size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(r.at("buckets")[i].at("label").dump());
    const json& subs = r.at("buckets")[i].at("sub_aggregates");
    ASSERT_EQ(subs.size(), 2U);
    EXPECT_EQ(subs[0].at("name"), "platforms");
    // label_counts sorts by count desc then label: windows 2 before linux 1 for domain
    json pc = label_counts(subs[0]);
    json want = expected_platforms[i];
    std::sort(want.begin(), want.end(), [](const json& a, const json& b) {
      return a[1] != b[1] ? a[1] > b[1] : a[0] < b[0];
    });
    EXPECT_EQ(pc, want);
    EXPECT_EQ(subs[1].at("name"), "metadata.av_hits");
    EXPECT_EQ(subs[1].at("buckets")[0], expected_max[i]);
  }
}

TEST(SubAggregates, WorkUnderHistogramsAndNest) {
  const json r = run(R"({"type":"date_histogram","field":"created_on","interval":"month",
      "sub_aggregates":[{"type":"terms","field":"action","size":1,
                         "sub_aggregates":[{"type":"cardinality","field":"type"}]}]})");
  ASSERT_EQ(r.at("buckets").size(), 3U);
  const json& jan = r.at("buckets")[0].at("sub_aggregates")[0];
  EXPECT_EQ(label_counts(jan), json::parse(R"([["detect",5]])"));
  EXPECT_EQ(jan.at("sum_other_doc_count"), 1);
  EXPECT_EQ(jan.at("buckets")[0].at("sub_aggregates")[0].at("buckets"),
            json::parse(R"([{"value":5,"count":5}])"));
  EXPECT_EQ(label_counts(r.at("buckets")[1].at("sub_aggregates")[0]),
            json::parse(R"([["no_action",1]])"));
  EXPECT_FALSE(run(R"({"type":"terms","field":"type","sub_aggregates":[]})")
                   .at("buckets")[0]
                   .contains("sub_aggregates"));
}

// ---- errors -----------------------------------------------------------------------------

struct ErrorCase {
  std::string request;
  std::string mentions;
};

TEST(Errors, NameTheOffendingMember) {
  const std::vector<ErrorCase> cases = {
      {R"([])", "JSON object"},
      {R"({})", "'type' is required"},
      {R"({"type":null,"field":"type"})", "'type' is required"},
      {R"({"type":7,"field":"type"})", "'type' must be a string"},
      {R"({"type":"percentiles","field":"type"})", "'type' 'percentiles'"},
      {R"({"type":"terms"})", "'field' is required"},
      {R"({"type":"terms","field":"nosuch"})", "unknown field 'nosuch'"},
      {R"({"type":"terms","field":"type","size":-1})", "'size'"},
      {R"({"type":"terms","field":"type","size":10001})", "'size'"},
      {R"({"type":"terms","field":"type","size":"ten"})", "'size' must be an integer"},
      {R"({"type":"terms","field":"type","size":1.5})", "'size' must be an integer"},
      {R"({"type":"terms","field":"type","min_doc_count":-1})", "'min_doc_count'"},
      {R"({"type":"terms","field":"type","sort":"_foo"})", "'sort'"},
      {R"({"type":"terms","field":"type","sort":"_count|up"})", "'sort'"},
      {R"({"type":"terms","field":"type","name":5})", "'name'"},
      {R"({"type":"date_range","field":"created_on"})", "'date_ranges'"},
      {R"({"type":"date_range","field":"created_on","date_ranges":[]})", "'date_ranges'"},
      {R"({"type":"date_range","field":"created_on","date_ranges":[{"from":"yesterday"}]})",
       "'date_ranges[0].from'"},
      {R"({"type":"date_range","field":"created_on","date_ranges":[{"to":"now-"}]})",
       "'date_ranges[0].to'"},
      {R"({"type":"date_range","field":"type","date_ranges":[{"to":"now"}]})", "'field'"},
      {R"({"type":"date_range","field":"created_on","date_ranges":[{"to":"now+999999999y"}]})",
       "'date_ranges[0].to'"},
      {R"({"type":"date_histogram","field":"created_on"})", "'interval' is required"},
      {R"({"type":"date_histogram","field":"created_on","interval":"fortnight"})", "'interval'"},
      {R"({"type":"date_histogram","field":"created_on","interval":"0d"})", "'interval'"},
      {R"({"type":"date_histogram","field":"tags","interval":"day"})", "'field'"},
      {R"({"type":"range","field":"metadata.av_hits"})", "'ranges'"},
      {R"({"type":"range","field":"metadata.av_hits","ranges":[{"From":"x"}]})",
       "'ranges[0].From'"},
      {R"({"type":"range","field":"type","ranges":[{"From":1}]})", "'field'"},
      {R"({"type":"avg","field":"value"})", "'field'"},
      {R"({"type":"terms","field":"type","sub_aggregates":{}})", "'sub_aggregates'"},
      {R"({"type":"terms","field":"type","sub_aggregates":[{"type":"bogus","field":"type"}]})",
       "'type' 'bogus'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.request);
    try {
      run(c.request);
      ADD_FAILURE() << "no AggregateError";
    } catch (const AggregateError& e) {
      EXPECT_NE(std::string(e.what()).find(c.mentions), std::string::npos) << e.what();
    }
  }
}

TEST(Errors, BadFilterIsAnFqlError) {
  EXPECT_THROW(run(R"({"type":"terms","field":"type","filter":"type:'x"})"), FqlError);
}

TEST(Errors, BoundsSubAggregateNesting) {
  json req = {{"type", "cardinality"}, {"field", "type"}};
  for (int i = 0; i < 10; ++i) {
    req = {{"type", "terms"}, {"field", "type"}, {"sub_aggregates", json::array({req})}};
  }
  try {
    run_aggregation(req, all_records());
    ADD_FAILURE() << "no AggregateError";
  } catch (const AggregateError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos) << e.what();
  }
  json wide = {{"type", "terms"}, {"field", "type"}, {"sub_aggregates", json::array()}};
  for (int i = 0; i < 100; ++i) wide["sub_aggregates"].push_back({{"type", "max"}});
  EXPECT_THROW(run_aggregation(wide, all_records()), AggregateError);
}

}  // namespace
}  // namespace falcon::emulator
