// FalconPy compatibility on the wire. Part 1 replays the [wire] captures of the reference notes
// (shared/reference/falconpy.md §2) where FalconPy is right; part 2 has one test per FalconPy bug
// listed in §9 (and §2.5) proving we do not copy it. Test names say which capture or bug.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/harness.hpp"
#include "falcon/ioc.hpp"
#include "ioc_wire_util.hpp"

namespace {

using falcon::IOC;
using falcon::Response;
using falcon_wire::expect_body;
using falcon_wire::expect_no_body;
using falcon_wire::one;
using falcon_wire::rejected;
using falcon_wire::Sent;
using falcon_wire::Wire;
using nlohmann::json;

template <typename F>
Sent ioc_one(F call, bool validate = true) {
  return one([&](const Wire& w) { return call(w.ioc()); }, validate);
}

template <typename F>
Sent uber_one(F call, bool validate = true) {
  return one([&](const Wire& w) { return call(w.uber()); }, validate);
}

// The query as an order-insensitive multiset of key=value pairs (FalconPy orders by call order).
std::vector<std::string> pairs(const std::string& query) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (!query.empty()) {
    const auto amp = query.find('&', start);
    out.push_back(query.substr(start, amp == std::string::npos ? std::string::npos : amp - start));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. FalconPy [wire] captures where FalconPy is right.

// §1.2 #1: indicator_aggregate(parameters={"filter":"q","from_parent":True}, field="type",
// type="terms") -> POST ...?filter=q&from_parent=true, body {"field":"type","type":"terms"}.
TEST(FalconPyWireCapture, AggregateWithQueryParameters) {
  falcon::IndicatorAggregateOptions o;
  o.parameters = json{{"filter", "q"}, {"from_parent", true}};
  o.field = "type";
  o.type = "terms";
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_aggregate(o); });
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/aggregates/indicators/v1");
  EXPECT_EQ(s.query, "filter=q&from_parent=true");
  EXPECT_EQ(*s.body, R"({"field":"type","type":"terms"})");
}

// §2.5.4: an empty aggregate call sends {}.
TEST(FalconPyWireCapture, AggregateEmptyCallSendsEmptyObject) {
  Sent s = ioc_one([](const IOC& i) { return i.indicator_aggregate(); });
  EXPECT_EQ(s.query, "");
  EXPECT_EQ(*s.body, "{}");
}

// §2.5.2: the keyword create with every field. FalconPy's platforms="linux,windows" and
// tags="t1,t2" strings (split on ',') are C++ lists here. The bodies are compared semantically
// (FalconPy orders keys by insertion, nlohmann sorts them).
TEST(FalconPyWireCapture, KeywordCreateWithAllFields) {
  falcon::IndicatorCreateOptions o;
  o.type = "ipv4";
  o.value = "1.2.3.4";
  o.action = "detect";
  o.severity = "low";
  o.platforms = falcon::StringList{"linux", "windows"};
  o.applied_globally = true;
  o.comment = "c1";
  o.filename = "f.exe";
  o.tags = falcon::StringList{"t1", "t2"};
  o.host_groups = falcon::StringList{"hg1"};  // FalconPy's capture uses a fake group id
  o.description = "d";
  o.source = "s";
  o.expiration = "2030-01-01T00:00:00Z";
  o.mobile_action = "no_action";
  o.retrodetects = true;
  o.ignore_warnings = false;
  // validate=false: "hg1" is not a real 32-hex host group id, and the capture must go out as is.
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_create(o); }, false);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "retrodetects=true&ignore_warnings=false");
  const json falconpy =
      json::parse(R"({"comment":"c1","indicators":[{"action":"detect","description":"d",)"
                  R"("expiration":"2030-01-01T00:00:00Z","metadata":{"filename":"f.exe"},)"
                  R"("mobile_action":"no_action","severity":"low","source":"s","type":"ipv4",)"
                  R"("value":"1.2.3.4","applied_globally":true,"host_groups":["hg1"],)"
                  R"("platforms":["linux","windows"],"tags":["t1","t2"]}]})");
  expect_body(s, falconpy);
}

// §2.5.5: filter="f", query="q", sort="s", report_format="csv", from_parent=False.
TEST(FalconPyWireCapture, ReportKeywords) {
  falcon::IndicatorReportOptions o;
  o.filter = "f";
  o.query = "q";
  o.sort = "s";
  o.report_format = "csv";
  o.from_parent = false;
  Sent s = ioc_one([&](const IOC& i) { return i.get_indicators_report(o); });
  expect_body(s, json::parse(R"({"search":{"filter":"f","query":"q","sort":"s"},)"
                             R"("report_format":"csv","from_parent":false})"));
}

// §2.5.5: filter="f", search={"filter":"S"} -> the search object replaces the keyword search.
TEST(FalconPyWireCapture, ReportSearchReplacesKeywordSearch) {
  falcon::IndicatorReportOptions o;
  o.filter = "f";
  o.search = json{{"filter", "S"}};
  Sent s = ioc_one([&](const IOC& i) { return i.get_indicators_report(o); });
  expect_body(s, json{{"search", {{"filter", "S"}}}});
}

// §2.3: indicator_create(body={...}, type="ipv4", retrodetects=False) -> ?retrodetects=false,
// body verbatim, the type keyword ignored.
TEST(FalconPyWireCapture, CreateBodyOverrideKeepsQueryKeywords) {
  falcon::IndicatorCreateOptions o;
  const json raw = {{"comment", "raw"},
                    {"indicators", {{{"type", "domain"}, {"value", "x.example"}}}}};
  o.body = raw;
  o.type = "ipv4";
  o.retrodetects = false;
  // The captured body has no applied_globally, which validation would refuse.
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_create(o); }, false);
  EXPECT_EQ(s.query, "retrodetects=false");
  expect_body(s, raw);
}

// §2.5.3: indicator_update(id="ID1", action="prevent", comment="upd", from_parent=True,
// ignore_warnings=True, retrodetects=False) -> PATCH ...?ignore_warnings=true&retrodetects=false
// with {"comment":"upd","indicators":[{"action":"prevent","id":"ID1"}]}. FalconPy is right
// about the query values and the indicator; it is wrong to drop from_parent (see the bug tests),
// and its query order is its call order (ours is the option struct's order).
TEST(FalconPyWireCapture, UpdateKeywordsPlusTheFromParentFalconPyDrops) {
  falcon::IndicatorUpdateOptions o;
  o.id = "ID1";
  o.action = "prevent";
  o.comment = "upd";
  o.from_parent = true;
  o.ignore_warnings = true;
  o.retrodetects = false;
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_update(o); });
  EXPECT_EQ(s.method, "PATCH");
  EXPECT_EQ(pairs(s.query), pairs("ignore_warnings=true&retrodetects=false"));
  EXPECT_EQ(s.query, "retrodetects=false&ignore_warnings=true");
  json falconpy =
      json::parse(R"({"comment":"upd","indicators":[{"action":"prevent","id":"ID1"}]})");
  falconpy["bulk_update"] = {{"from_parent", true}};
  expect_body(s, falconpy);
}

// §1.2 #8: delete sends no body.
TEST(FalconPyWireCapture, DeleteSendsNoBody) {
  falcon::IndicatorDeleteOptions o;
  o.ids = falcon::StringList{"id1"};
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_delete(o); });
  EXPECT_EQ(s.query, "ids=id1");
  expect_no_body(s);
}

// §2.2: ids=["id1","id2"] -> ?ids=id1&ids=id2; ids="a,b" -> ?ids=a&ids=b.
TEST(FalconPyWireCapture, ArrayParametersAreRepeatedKeys) {
  falcon::IndicatorGetOptions list;
  list.ids = falcon::StringList{"id1", "id2"};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_get(list); }).query, "ids=id1&ids=id2");
  falcon::IndicatorGetOptions comma;
  comma.parameters = json{{"ids", "a,b"}};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_get(comma); }).query, "ids=a&ids=b");
}

// §2.2: a list for a non-array parameter is still repeated keys: filter=["a","b"].
TEST(FalconPyWireCapture, ListForAScalarParameterIsRepeatedKeys) {
  falcon::IndicatorSearchOptions o;
  o.parameters = json{{"filter", {"a", "b"}}};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_search(o); }).query,
            "filter=a&filter=b");
}

// §2.2: FQL type:'ipv4' -> filter=type%3A%27ipv4%27; booleans true/false; ints decimal; None
// omitted; a keyword wins over parameters (parameters={"limit":5}, limit=10 -> limit=10).
TEST(FalconPyWireCapture, QueryScalarRules) {
  falcon::IndicatorSearchOptions o;
  o.parameters = json{{"limit", 5}, {"after", nullptr}};
  o.filter = "type:'ipv4'";
  o.limit = 10;
  o.from_parent = true;
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_search(o); }).query,
            "limit=10&filter=type%3A%27ipv4%27&from_parent=true");
}

// §2.2: a string that already contains %3A is sent verbatim, so its '%' is encoded (%253A), as
// FalconPy does (it only warns).
TEST(FalconPyWireCapture, PreEncodedStringIsEncodedAgain) {
  falcon::IndicatorSearchOptions o;
  o.filter = "type%3A'ipv4'";
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_search(o); }).query,
            "filter=type%253A%27ipv4%27");
}

// §1.3: dotted deprecated ids work through the Uber class: command("indicator.get.v1", ids=...).
TEST(FalconPyWireCapture, UberDottedOperationId) {
  falcon::CommandOptions c;
  c.parameters = json{{"ids", "a,b"}};
  Sent s = uber_one([&](const falcon::APIHarness& u) { return u.command("indicator.get.v1", c); });
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "ids=a&ids=b");
  expect_no_body(s);
}

// ---------------------------------------------------------------------------------------------
// 2. FalconPy bugs (§9, §2.5) we do not copy.

// §9.6 / §2.5.3: the documented from_parent keyword of update is silently dropped by FalconPy.
TEST(FalconPyBug, UpdateDropsFromParent) {
  for (bool value : {true, false}) {
    falcon::IndicatorUpdateOptions o;
    o.id = "ID1";
    o.from_parent = value;
    Sent s = ioc_one([&](const IOC& i) { return i.indicator_update(o); });
    ASSERT_TRUE(s.json().contains("bulk_update"));
    EXPECT_EQ(s.json()["bulk_update"]["from_parent"], value);
  }
}

// §9.6 / §1.2 #1: FalconPy's aggregate drops from_parent (no keywords= passed).
TEST(FalconPyBug, AggregateDropsFromParent) {
  falcon::IndicatorAggregateOptions o;
  o.from_parent = true;
  o.field = "type";
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_aggregate(o); });
  EXPECT_EQ(s.query, "from_parent=true");
  EXPECT_FALSE(s.json().contains("from_parent")) << "from_parent is a query parameter";
}

// §9.6 / §2.5.4: "extended_bounds" "filters_spec" (missing comma) loses both fields.
TEST(FalconPyBug, AggregateLosesExtendedBoundsAndFiltersSpec) {
  falcon::IndicatorAggregateOptions o;
  o.extended_bounds = json{{"min", "now-1y"}, {"max", "now"}};
  o.filters_spec = json{{"filters", {{"x", "type:'md5'"}}}, {"other_bucket", false}};
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_aggregate(o); });
  json b = s.json();  // non-const: operator[] on a missing key must not abort
  EXPECT_EQ(b["extended_bounds"], (json{{"min", "now-1y"}, {"max", "now"}}));
  EXPECT_EQ(b["filters_spec"], (json{{"filters", {{"x", "type:'md5'"}}}, {"other_bucket", false}}));
  EXPECT_FALSE(b.contains("extended_boundsfilters_spec"));
}

// §9.7 / §2.6: truthy-vs-set. FalconPy drops comment="", report filter="", aggregate strings ""
// and a negative from; keeps applied_globally=False. We send every set field.
TEST(FalconPyBug, TruthyVersusSet) {
  falcon::IndicatorCreateOptions create;
  create.comment = "";
  create.type = "domain";
  create.value = "x.example";
  create.applied_globally = true;
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_create(create); }).json()["comment"],
            "");

  falcon::IndicatorUpdateOptions update;
  update.comment = "";
  update.id = "ID";
  update.applied_globally = false;
  update.bulk_update = json::object();  // FalconPy: falsy, dropped
  update.tags = falcon::StringList{};
  expect_body(
      ioc_one([&](const IOC& i) { return i.indicator_update(update); }),
      json{{"bulk_update", json::object()},
           {"comment", ""},
           {"indicators", {{{"applied_globally", false}, {"id", "ID"}, {"tags", json::array()}}}}});

  falcon::IndicatorReportOptions report;
  report.filter = "";
  report.report_format = "";
  report.from_parent = false;
  expect_body(ioc_one([&](const IOC& i) { return i.get_indicators_report(report); }),
              json{{"from_parent", false}, {"report_format", ""}, {"search", {{"filter", ""}}}});

  falcon::IndicatorAggregateOptions agg;
  agg.exclude = "";
  agg.from = -1;  // FalconPy keeps integers only when >= 0
  agg.size = 0;
  agg.min_doc_count = 0;
  agg.percents = std::vector<double>{};
  expect_body(ioc_one([&](const IOC& i) { return i.indicator_aggregate(agg); }),
              json{{"exclude", ""},
                   {"from", -1},
                   {"min_doc_count", 0},
                   {"percents", json::array()},
                   {"size", 0}});
}

// §9.7: an explicit list with an empty string is sent as given; FalconPy turns
// host_groups="" into [""] by accident (C++ lists cannot be a bare string).
TEST(FalconPyBug, ListFieldsAreExactlyWhatIsSet) {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = "x.example";
  o.applied_globally = true;
  o.tags = falcon::StringList{""};
  o.platforms = falcon::StringList{};
  const json ind =
      ioc_one([&](const IOC& i) { return i.indicator_create(o); }).json()["indicators"][0];
  EXPECT_EQ(ind["tags"], json::array({""}));
  EXPECT_EQ(ind["platforms"], json::array());
}

// §9.7 / §2.5.2: indicators=[] is falsy in FalconPy and falls back to building one indicator
// from the keywords. Ours sends [] as given (validation refuses an empty create).
TEST(FalconPyBug, EmptyIndicatorsListFallsBackToKeywords) {
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array();
  o.type = "domain";
  o.value = "x.example";
  o.applied_globally = true;
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_create(o); }, false);
  expect_body(s, json{{"indicators", json::array()}});
  rejected([&](const Wire& w) { return w.ioc().indicator_create(o); }, "indicators", "empty");

  falcon::IndicatorUpdateOptions u;
  u.indicators = json::array();
  u.id = "ID";
  u.bulk_update = json{{"filter", "x"}};
  expect_body(ioc_one([&](const IOC& i) { return i.indicator_update(u); }),
              json{{"bulk_update", {{"filter", "x"}}}, {"indicators", json::array()}});
}

// §9.7 / §2.5.3: a bulk_update without per-indicator keywords still sends "indicators":[{}].
TEST(FalconPyBug, BulkUpdateAddsAnEmptyIndicator) {
  falcon::IndicatorUpdateOptions o;
  o.comment = "bulk";
  o.bulk_update = json{{"filter", "tags:'x'"}, {"severity", "low"}};
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_update(o); });
  EXPECT_EQ(*s.body, R"({"bulk_update":{"filter":"tags:'x'","severity":"low"},"comment":"bulk"})");
}

// §2.5.1: filename replaces the whole metadata dict in FalconPy; we merge.
TEST(FalconPyBug, FilenameReplacesMetadata) {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = "x.example";
  o.applied_globally = true;
  o.metadata = json{{"x", 1}};
  o.filename = "f.exe";
  Sent s = ioc_one([&](const IOC& i) { return i.indicator_create(o); });
  EXPECT_EQ(s.json()["indicators"][0]["metadata"], (json{{"filename", "f.exe"}, {"x", 1}}));
}

// §9.11 / §2.2: args_to_params writes keywords into the caller's parameters dict.
TEST(FalconPyBug, MutatesCallerParameters) {
  const json original = {{"limit", 5}, {"zz", "keep"}};
  falcon::IndicatorSearchOptions o;
  o.parameters = original;
  o.limit = 10;
  o.filter = "f";
  falcon::CommandOptions c;
  c.parameters = original;
  c.body = json{{"a", 1}};
  Wire w;
  EXPECT_FALSE(w.ioc().indicator_search(o).error);
  EXPECT_FALSE(w.uber().command("indicator_aggregate_v1", c).error);
  EXPECT_EQ(*o.parameters, original);
  EXPECT_EQ(*c.parameters, original);
  EXPECT_EQ(*c.body, (json{{"a", 1}}));
  ASSERT_EQ(w.sent().size(), 2u);
  EXPECT_EQ(w.sent()[0].query, "limit=10&zz=keep&filter=f");
}

// §9.15 / §6: the Uber class sends {} with Content-Type on every GET and DELETE.
TEST(FalconPyBug, EmptyBodyOnGetAndDelete) {
  for (const char* op : {"indicator_search_v1", "indicator_get_v1", "indicator_delete_v1",
                         "entities_processes", "DevicesCount"}) {
    SCOPED_TRACE(op);
    falcon::CommandOptions c;
    c.parameters = json{{"ids", "a"}, {"type", "domain"}, {"value", "x.example"}};
    Sent s = uber_one([&](const falcon::APIHarness& u) { return u.command(op, c); });
    expect_no_body(s);
    EXPECT_EQ(s.headers.count("Content-Type"), 0u);
  }
  // A body given for a GET is refused rather than sent.
  falcon::CommandOptions with_body;
  with_body.body = json::object();
  rejected([&](const Wire& w) { return w.uber().command("indicator_search_v1", with_body); },
           "body");
  rejected(
      [&](const Wire& w) {
        return w.uber().override("DELETE", "/iocs/entities/indicators/v1", with_body);
      },
      "body");
  // The service class never sends one either.
  falcon::IndicatorDeleteOptions del;
  del.ids = falcon::StringList{"a"};
  expect_no_body(ioc_one([&](const IOC& i) { return i.indicator_delete(del); }));
  expect_no_body(ioc_one([](const IOC& i) { return i.indicator_search(); }));
}

// §9.6: unknown keywords are dropped silently by FalconPy. C++ option structs have compile-time
// fields (an unknown field does not compile); unknown keys in `parameters` are sent, not dropped.
TEST(FalconPyBug, SilentUnknownKeywordLoss) {
  falcon::IndicatorCombinedOptions o;
  o.parameters = json{{"not_in_spec", "v"}, {"another", 2}};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.indicator_combined(o); }).query,
            "another=2&not_in_spec=v");
  falcon::CommandOptions c;
  c.parameters = json{{"not_in_spec", "v"}};
  EXPECT_EQ(
      uber_one([&](const falcon::APIHarness& u) { return u.command("action_query_v1", c); }).query,
      "not_in_spec=v");
}

// §9.6 / §2.2: FalconPy does not split a positional ids string (?ids=a%2Cb) but splits the
// keyword. Ours splits a comma string for an array parameter everywhere it is a string.
TEST(FalconPyBug, IdsStringSplitInconsistently) {
  falcon::ActionGetOptions o;
  o.parameters = json{{"ids", "a,b"}};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.action_get(o); }).query, "ids=a&ids=b");
  falcon::CommandOptions c;
  c.parameters = json{{"ids", "a,b"}};
  EXPECT_EQ(uber_one([&](const falcon::APIHarness& u) { return u.command("action_get", c); }).query,
            "ids=a&ids=b");
}

// §2.2: a bool inside a list goes out as Python's True/False.
TEST(FalconPyBug, BoolInsideListIsPythonRepr) {
  falcon::ActionQueryOptions o;
  o.parameters = json{{"flag", {true, false}}};
  EXPECT_EQ(ioc_one([&](const IOC& i) { return i.action_query(o); }).query, "flag=true&flag=false");
}

// §9.6 / §6: in override mode FalconPy's Uber ignores query keywords; ours sends parameters.
TEST(FalconPyBug, OverrideIgnoresQuery) {
  falcon::CommandOptions c;
  c.parameters = json{{"limit", 3}, {"filter", "type:'md5'"}};
  Sent s = uber_one([&](const falcon::APIHarness& u) {
    return u.override("GET", "/iocs/queries/indicators/v1", c);
  });
  EXPECT_EQ(s.query, "filter=type%3A%27md5%27&limit=3");
}

// §9.8: no validation. indicator_get() with no ids is sent and the API answers 400.
TEST(FalconPyBug, NoValidationSendsKnownBadInput) {
  rejected([](const Wire& w) { return w.ioc().indicator_get(); }, "ids", "ids is required");
}

}  // namespace
