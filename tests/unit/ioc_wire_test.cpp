// Exact wire output of every IOC operation and alias: method, path, percent-encoded query string
// (in the order the SDK sets it) and JSON body, for no options, every option, the body builders
// and the `parameters` / `body` escape hatches. The expectations are literals taken from the
// reference notes and the spec, never from the endpoint table, so a wrong table row fails here.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/ioc.hpp"
#include "falcon/models.hpp"
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

using IocCall = std::function<Response(const IOC&)>;

const std::string kHex32 = "0123456789abcdef0123456789abcdef";
const std::string kHex32b = "fedcba9876543210fedcba9876543210";
const std::string kSha256 = "8a" + std::string(62, 'f');

Sent send_one(const IocCall& call, bool validate = true) {
  return one([&](const Wire& w) { return call(w.ioc()); }, validate);
}

// Calls the PEP 8 method and its alias on two fresh clients; both must send the same request.
Sent both(const IocCall& pep8, const IocCall& alias, bool validate = true) {
  Sent a = send_one(pep8, validate);
  Sent b = send_one(alias, validate);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.query, b.query);
  EXPECT_EQ(a.body, b.body);
  return a;
}

#define BOTH(pep8, alias, opts) \
  both([&](const IOC& i) { return i.pep8(opts); }, [&](const IOC& i) { return i.alias(opts); })
#define BOTH_NOVALIDATE(pep8, alias, opts)                                                      \
  both([&](const IOC& i) { return i.pep8(opts); }, [&](const IOC& i) { return i.alias(opts); }, \
       false)

// ---------------------------------------------------------------------------------------------
// 1. Every operation and alias with no options.

struct NoOptionCase {
  std::string name;  // the member function called
  std::string pep8;  // its PEP 8 name (the table's method_name)
  IocCall call;
  std::string method;
  std::string route;
  const char* body;            // nullptr: no body; otherwise the exact body text
  std::string required_field;  // non-empty: with validation on, this field is reported missing
};

std::ostream& operator<<(std::ostream& os, const NoOptionCase& c) {
  return os << c.name;
}

#define NOOPT(fn, pep8, method, route, body, field)                             \
  NoOptionCase {                                                                \
#fn, #pep8, [](const IOC& i) { return i.fn(); }, method, route, body, field \
  }
#define NOOPT_PAIR(pep8, alias, method, route, body, field) \
  NOOPT(pep8, pep8, method, route, body, field), NOOPT(alias, pep8, method, route, body, field)

std::vector<NoOptionCase> no_option_cases() {
  return {
      NOOPT_PAIR(indicator_aggregate, indicator_aggregate_v1, "POST",
                 "/iocs/aggregates/indicators/v1", "{}", ""),
      NOOPT_PAIR(indicator_combined, indicator_combined_v1, "GET", "/iocs/combined/indicator/v1",
                 nullptr, ""),
      NOOPT_PAIR(action_get, action_get_v1, "GET", "/iocs/entities/actions/v1", nullptr, ""),
      NOOPT_PAIR(get_indicators_report, GetIndicatorsReport, "POST",
                 "/iocs/entities/indicators-reports/v1", "{}", ""),
      NOOPT_PAIR(indicator_get, indicator_get_v1, "GET", "/iocs/entities/indicators/v1", nullptr,
                 "ids"),
      NOOPT_PAIR(indicator_create, indicator_create_v1, "POST", "/iocs/entities/indicators/v1",
                 "{}", "indicators"),
      NOOPT_PAIR(indicator_delete, indicator_delete_v1, "DELETE", "/iocs/entities/indicators/v1",
                 nullptr, "ids"),
      NOOPT_PAIR(indicator_update, indicator_update_v1, "PATCH", "/iocs/entities/indicators/v1",
                 "{}", "indicators"),
      NOOPT_PAIR(action_query, action_query_v1, "GET", "/iocs/queries/actions/v1", nullptr, ""),
      NOOPT_PAIR(indicator_search, indicator_search_v1, "GET", "/iocs/queries/indicators/v1",
                 nullptr, ""),
      NOOPT_PAIR(ioc_type_query, ioc_type_query_v1, "GET", "/iocs/queries/ioc-types/v1", nullptr,
                 ""),
      NOOPT_PAIR(platform_query, platform_query_v1, "GET", "/iocs/queries/platforms/v1", nullptr,
                 ""),
      NOOPT_PAIR(severity_query, severity_query_v1, "GET", "/iocs/queries/severities/v1", nullptr,
                 ""),
      NOOPT_PAIR(devices_count_legacy, DevicesCount, "GET",
                 "/indicators/aggregates/devices-count/v1", nullptr, "type"),
      NOOPT_PAIR(devices_count, indicator_get_device_count_v1, "GET",
                 "/iocs/aggregates/indicators/device-count/v1", nullptr, "type"),
      NOOPT_PAIR(devices_ran_on_legacy, DevicesRanOn, "GET", "/indicators/queries/devices/v1",
                 nullptr, "type"),
      NOOPT_PAIR(devices_ran_on, indicator_get_devices_ran_on_v1, "GET",
                 "/iocs/queries/indicators/devices/v1", nullptr, "type"),
      NOOPT_PAIR(processes_ran_on_legacy, ProcessesRanOn, "GET", "/indicators/queries/processes/v1",
                 nullptr, "type"),
      NOOPT_PAIR(processes_ran_on, indicator_get_processes_ran_on_v1, "GET",
                 "/iocs/queries/indicators/processes/v1", nullptr, "type"),
      // entities_processes has no alias: its name is already the operation id.
      NOOPT(entities_processes, entities_processes, "GET", "/processes/entities/processes/v1",
            nullptr, "ids"),
  };
}

class IocWireNoOptions : public ::testing::TestWithParam<NoOptionCase> {};

void expect_bare_request(const Sent& s, const NoOptionCase& c) {
  EXPECT_EQ(s.method, c.method);
  EXPECT_EQ(s.path, c.route);
  EXPECT_EQ(s.query, "");
  EXPECT_FALSE(s.has_query_mark) << "a '?' with nothing after it";
  if (c.body == nullptr) {
    expect_no_body(s);
  } else {
    ASSERT_TRUE(s.body.has_value());
    EXPECT_EQ(*s.body, c.body);
  }
}

TEST_P(IocWireNoOptions, ExactRequestOrValidationError) {
  const NoOptionCase& c = GetParam();
  if (c.required_field.empty()) {
    expect_bare_request(send_one(c.call, true), c);
  } else {
    rejected([&](const Wire& w) { return c.call(w.ioc()); }, c.required_field);
  }
}

TEST_P(IocWireNoOptions, ExactRequestWithValidationOff) {
  const NoOptionCase& c = GetParam();
  expect_bare_request(send_one(c.call, false), c);
}

TEST_P(IocWireNoOptions, NameResolvesToTheSameTableRow) {
  const NoOptionCase& c = GetParam();
  const falcon::Endpoint* by_name = falcon::find_endpoint(c.name);
  const falcon::Endpoint* by_pep8 = falcon::find_endpoint(c.pep8);
  ASSERT_NE(by_name, nullptr) << c.name;
  ASSERT_EQ(by_name, by_pep8) << c.name << " and " << c.pep8 << " are different rows";
  EXPECT_EQ(by_name->method_name, c.pep8);
  EXPECT_EQ(by_name->http_method, c.method);
  EXPECT_EQ(by_name->route, c.route);
}

INSTANTIATE_TEST_SUITE_P(AllOperations, IocWireNoOptions, ::testing::ValuesIn(no_option_cases()),
                         [](const ::testing::TestParamInfo<NoOptionCase>& p) {
                           return p.param.name;
                         });

TEST(IocWireNoOptionsTable, CoversEveryOperationAndAlias) {
  // 19 operations with a PEP 8 name and an alias, plus entities_processes.
  const auto cases = no_option_cases();
  EXPECT_EQ(cases.size(), 39u);
  for (const auto& ep : falcon::endpoints()) {
    bool pep8 = false;
    bool alias = ep.operation_id == ep.method_name;
    for (const auto& c : cases) {
      pep8 = pep8 || c.name == ep.method_name;
      alias = alias || c.name == ep.operation_id;
    }
    EXPECT_TRUE(pep8) << ep.method_name;
    EXPECT_TRUE(alias) << ep.operation_id;
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Every option of every operation.

const char* const kFqlDomain = "type:'domain'+expired:false";
const char* const kFqlDomainEncoded = "type%3A%27domain%27%2Bexpired%3Afalse";

TEST(IocWireOptions, CombinedEveryOptionWithOffset) {
  falcon::IndicatorCombinedOptions o;
  o.filter = kFqlDomain;
  o.offset = 0;
  o.limit = 100;
  o.sort = "modified_on.desc";
  o.from_parent = false;
  Sent s = BOTH(indicator_combined, indicator_combined_v1, o);
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/combined/indicator/v1");
  EXPECT_EQ(s.query, std::string("filter=") + kFqlDomainEncoded +
                         "&offset=0&limit=100&sort=modified_on.desc&from_parent=false");
  expect_no_body(s);
}

TEST(IocWireOptions, CombinedEveryOptionWithAfter) {
  falcon::IndicatorCombinedOptions o;
  o.filter = "value:'a b'";
  o.limit = 2000;
  o.sort = "created_on|asc";
  o.after = "WzE2Mjc0Mjk2MDEwODRd==";
  o.from_parent = true;
  Sent s = BOTH(indicator_combined, indicator_combined_v1, o);
  EXPECT_EQ(s.path, "/iocs/combined/indicator/v1");
  EXPECT_EQ(s.query,
            "filter=value%3A%27a%20b%27&limit=2000&sort=created_on%7Casc&"
            "after=WzE2Mjc0Mjk2MDEwODRd%3D%3D&from_parent=true");
  expect_no_body(s);
}

TEST(IocWireOptions, CombinedAllSixWithValidationOff) {
  falcon::IndicatorCombinedOptions o;
  o.filter = kFqlDomain;
  o.offset = 5;
  o.limit = 10;
  o.sort = "value";
  o.after = "abc";
  o.from_parent = true;
  Sent s = BOTH_NOVALIDATE(indicator_combined, indicator_combined_v1, o);
  EXPECT_EQ(s.query, std::string("filter=") + kFqlDomainEncoded +
                         "&offset=5&limit=10&sort=value&after=abc&from_parent=true");
}

TEST(IocWireOptions, SearchEveryOptionWithOffset) {
  falcon::IndicatorSearchOptions o;
  o.filter = kFqlDomain;
  o.offset = 9900;
  o.limit = 100;
  o.sort = "metadata.filename.raw.asc";
  o.from_parent = false;
  Sent s = BOTH(indicator_search, indicator_search_v1, o);
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/queries/indicators/v1");
  EXPECT_EQ(s.query, std::string("filter=") + kFqlDomainEncoded +
                         "&offset=9900&limit=100&sort=metadata.filename.raw.asc&from_parent=false");
  expect_no_body(s);
}

TEST(IocWireOptions, SearchEveryOptionWithAfter) {
  falcon::IndicatorSearchOptions o;
  o.filter = "created_on:>='2024-01-01T00:00:00Z'";
  o.limit = 1;
  o.sort = "severity_number.desc";
  o.after = "tok/en+1";
  o.from_parent = true;
  Sent s = BOTH(indicator_search, indicator_search_v1, o);
  EXPECT_EQ(s.path, "/iocs/queries/indicators/v1");
  EXPECT_EQ(s.query,
            "filter=created_on%3A%3E%3D%272024-01-01T00%3A00%3A00Z%27&limit=1&"
            "sort=severity_number.desc&after=tok%2Fen%2B1&from_parent=true");
}

TEST(IocWireOptions, SearchSetMeansSentForEmptyAndZero) {
  falcon::IndicatorSearchOptions o;
  o.filter = "";
  o.offset = 0;
  o.limit = 0;
  o.after = "";
  o.from_parent = false;
  Sent s = BOTH_NOVALIDATE(indicator_search, indicator_search_v1, o);
  EXPECT_EQ(s.query, "filter=&offset=0&limit=0&after=&from_parent=false");
}

TEST(IocWireOptions, ActionGetIdsAreRepeatedKeys) {
  falcon::ActionGetOptions o;
  o.ids = falcon::StringList{"a", "b"};
  Sent s = BOTH(action_get, action_get_v1, o);
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/entities/actions/v1");
  EXPECT_EQ(s.query, "ids=a&ids=b");
  expect_no_body(s);
}

TEST(IocWireOptions, TypedIdsAreSentAsGivenNotSplitOnCommas) {
  // A typed list already says where each id ends; a comma inside an element is data.
  falcon::ActionGetOptions o;
  o.ids = falcon::StringList{"a,b", "c d"};
  Sent s = BOTH(action_get, action_get_v1, o);
  EXPECT_EQ(s.query, "ids=a%2Cb&ids=c%20d");
}

TEST(IocWireOptions, EmptyIdsListHasNoQueryForm) {
  // Repeated keys cannot express an empty list: nothing is sent for it.
  falcon::ActionGetOptions o;
  o.ids = falcon::StringList{};
  Sent s = BOTH(action_get, action_get_v1, o);
  EXPECT_EQ(s.query, "");
  EXPECT_FALSE(s.has_query_mark);
}

TEST(IocWireOptions, IndicatorGetIds) {
  falcon::IndicatorGetOptions o;
  o.ids = falcon::StringList{kSha256, "id-2"};
  Sent s = BOTH(indicator_get, indicator_get_v1, o);
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "ids=" + kSha256 + "&ids=id-2");
  expect_no_body(s);
}

TEST(IocWireOptions, EntitiesProcessesIds) {
  falcon::EntitiesProcessesOptions o;
  o.ids = falcon::StringList{"pid:" + kHex32 + ":123", "pid:" + kHex32 + ":456"};
  Sent s = send_one([&](const IOC& i) { return i.entities_processes(o); });
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/processes/entities/processes/v1");
  EXPECT_EQ(s.query, "ids=pid%3A" + kHex32 + "%3A123&ids=pid%3A" + kHex32 + "%3A456");
  expect_no_body(s);
}

TEST(IocWireOptions, ReportEveryOption) {
  falcon::GetIndicatorsReportOptions o;
  o.filter = "type:'domain'";
  o.query = "evil";
  o.sort = "value.asc";
  o.report_format = "csv";
  o.from_parent = false;
  Sent s = BOTH(get_indicators_report, GetIndicatorsReport, o);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/entities/indicators-reports/v1");
  EXPECT_EQ(s.query, "");
  expect_body(
      s, json{{"search", {{"filter", "type:'domain'"}, {"query", "evil"}, {"sort", "value.asc"}}},
              {"report_format", "csv"},
              {"from_parent", false}});
}

TEST(IocWireOptions, ReportSearchObjectReplacesFilterQuerySortWhole) {
  falcon::GetIndicatorsReportOptions o;
  o.filter = "f";
  o.query = "q";
  o.sort = "s";
  o.search = json{{"filter", "S"}};
  o.report_format = "json";
  Sent s = BOTH(get_indicators_report, GetIndicatorsReport, o);
  expect_body(s, json{{"search", {{"filter", "S"}}}, {"report_format", "json"}});
}

TEST(IocWireOptions, ReportPartialSearchAndNoSearch) {
  falcon::GetIndicatorsReportOptions only_query;
  only_query.query = "";  // set means sent
  expect_body(BOTH(get_indicators_report, GetIndicatorsReport, only_query),
              json{{"search", {{"query", ""}}}});

  falcon::GetIndicatorsReportOptions no_search;
  no_search.report_format = "csv";
  no_search.from_parent = true;
  expect_body(BOTH(get_indicators_report, GetIndicatorsReport, no_search),
              json{{"report_format", "csv"}, {"from_parent", true}});
}

falcon::IndicatorCreateOptions create_all_fields() {
  falcon::IndicatorCreateOptions o;
  o.retrodetects = true;
  o.ignore_warnings = false;
  o.comment = "c1";
  o.action = "detect";
  o.applied_globally = true;
  o.description = "d";
  o.expiration = "2030-01-01T00:00:00Z";
  o.filename = "f.exe";
  o.host_groups = falcon::StringList{kHex32};
  o.metadata = json{{"original_filename", "orig.exe"}};
  o.mobile_action = "no_action";
  o.platforms = falcon::StringList{"linux", "windows"};
  o.severity = "low";
  o.source = "s";
  o.tags = falcon::StringList{"t1", "t2"};
  o.type = "ipv4";
  o.value = "1.2.3.4";
  return o;
}

TEST(IocWireOptions, CreateEveryOption) {
  const auto o = create_all_fields();
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "retrodetects=true&ignore_warnings=false");
  expect_body(s, json{{"comment", "c1"},
                      {"indicators",
                       {{{"action", "detect"},
                         {"applied_globally", true},
                         {"description", "d"},
                         {"expiration", "2030-01-01T00:00:00Z"},
                         {"host_groups", {kHex32}},
                         {"metadata", {{"filename", "f.exe"}, {"original_filename", "orig.exe"}}},
                         {"mobile_action", "no_action"},
                         {"platforms", {"linux", "windows"}},
                         {"severity", "low"},
                         {"source", "s"},
                         {"tags", {"t1", "t2"}},
                         {"type", "ipv4"},
                         {"value", "1.2.3.4"}}}}});
}

TEST(IocWireOptions, CreateSetMeansSentForEmptyValues) {
  falcon::IndicatorCreateOptions o;
  o.retrodetects = false;
  o.comment = "";
  o.type = "domain";
  o.value = "example.com";
  o.applied_globally = true;
  o.description = "";
  o.tags = falcon::StringList{};
  o.platforms = falcon::StringList{};
  o.host_groups = falcon::StringList{};
  o.metadata = json::object();
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  EXPECT_EQ(s.query, "retrodetects=false");
  expect_body(s, json{{"comment", ""},
                      {"indicators",
                       {{{"applied_globally", true},
                         {"description", ""},
                         {"host_groups", json::array()},
                         {"metadata", json::object()},
                         {"platforms", json::array()},
                         {"tags", json::array()},
                         {"type", "domain"},
                         {"value", "example.com"}}}}});
}

falcon::IndicatorUpdateOptions update_all_fields() {
  falcon::IndicatorUpdateOptions o;
  o.retrodetects = false;
  o.ignore_warnings = true;
  o.comment = "upd";
  o.bulk_update = json{{"filter", "type:'ipv4'"}, {"severity", "low"}};
  o.from_parent = true;
  o.id = "ID1";
  o.action = "prevent";
  o.applied_globally = false;
  o.description = "";
  o.expiration = "2031-06-30T12:00:00Z";
  o.filename = "x.exe";
  o.host_groups = falcon::StringList{kHex32, kHex32b};
  o.metadata = json{{"filename", "replaced.exe"}};
  o.mobile_action = "detect";
  o.platforms = falcon::StringList{"mac"};
  o.severity = "high";
  o.source = "feed";
  o.tags = falcon::StringList{};
  o.type = "sha256";
  o.value = kSha256;
  return o;
}

TEST(IocWireOptions, UpdateEveryOption) {
  const auto o = update_all_fields();
  Sent s = BOTH(indicator_update, indicator_update_v1, o);
  EXPECT_EQ(s.method, "PATCH");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query, "retrodetects=false&ignore_warnings=true");
  expect_body(s, json{{"bulk_update",
                       {{"filter", "type:'ipv4'"}, {"from_parent", true}, {"severity", "low"}}},
                      {"comment", "upd"},
                      {"indicators",
                       {{{"action", "prevent"},
                         {"applied_globally", false},
                         {"description", ""},
                         {"expiration", "2031-06-30T12:00:00Z"},
                         {"host_groups", {kHex32, kHex32b}},
                         {"id", "ID1"},
                         {"metadata", {{"filename", "x.exe"}}},
                         {"mobile_action", "detect"},
                         {"platforms", {"mac"}},
                         {"severity", "high"},
                         {"source", "feed"},
                         {"tags", json::array()},
                         {"type", "sha256"},
                         {"value", kSha256}}}}});
}

TEST(IocWireOptions, DeleteEveryOption) {
  falcon::IndicatorDeleteOptions o;
  o.filter = "type:'ipv4'+value:'1.2.3.4'";
  o.ids = falcon::StringList{"a", "b"};
  o.comment = "clean up";
  o.from_parent = false;
  Sent s = BOTH(indicator_delete, indicator_delete_v1, o);
  EXPECT_EQ(s.method, "DELETE");
  EXPECT_EQ(s.path, "/iocs/entities/indicators/v1");
  EXPECT_EQ(s.query,
            "filter=type%3A%27ipv4%27%2Bvalue%3A%271.2.3.4%27&ids=a&ids=b&comment=clean%20up&"
            "from_parent=false");
  expect_no_body(s);
}

TEST(IocWireOptions, DeleteCommentIsAQueryParameter) {
  falcon::IndicatorDeleteOptions o;
  o.ids = falcon::StringList{"x"};
  o.comment = "";
  Sent s = BOTH(indicator_delete, indicator_delete_v1, o);
  EXPECT_EQ(s.query, "ids=x&comment=");
  expect_no_body(s);
}

TEST(IocWireOptions, ValueQueriesEveryOption) {
  falcon::ValueQueryOptions o;
  o.offset = "5";
  o.limit = 10;
  falcon::ValueQueryOptions zero;
  zero.offset = "";
  zero.limit = 0;
  const std::vector<std::pair<std::string, std::pair<IocCall, IocCall>>> ops = {
      {"/iocs/queries/actions/v1",
       {[&](const IOC& i) { return i.action_query(o); },
        [&](const IOC& i) { return i.action_query_v1(o); }}},
      {"/iocs/queries/ioc-types/v1",
       {[&](const IOC& i) { return i.ioc_type_query(o); },
        [&](const IOC& i) { return i.ioc_type_query_v1(o); }}},
      {"/iocs/queries/platforms/v1",
       {[&](const IOC& i) { return i.platform_query(o); },
        [&](const IOC& i) { return i.platform_query_v1(o); }}},
      {"/iocs/queries/severities/v1",
       {[&](const IOC& i) { return i.severity_query(o); },
        [&](const IOC& i) { return i.severity_query_v1(o); }}},
  };
  for (const auto& [route, calls] : ops) {
    SCOPED_TRACE(route);
    o = falcon::ValueQueryOptions{};
    o.offset = "5";
    o.limit = 10;
    Sent s = both(calls.first, calls.second);
    EXPECT_EQ(s.method, "GET");
    EXPECT_EQ(s.path, route);
    EXPECT_EQ(s.query, "offset=5&limit=10");
    expect_no_body(s);
    o = zero;  // set means sent: "" and 0 go out
    Sent z = both(calls.first, calls.second);
    EXPECT_EQ(z.query, "offset=&limit=0");
  }
}

TEST(IocWireOptions, DevicesCountBothRoutesEveryOption) {
  falcon::DevicesCountOptions o;
  o.type = "domain";
  o.value = "evil.example.com";
  Sent current = BOTH(devices_count, indicator_get_device_count_v1, o);
  EXPECT_EQ(current.method, "GET");
  EXPECT_EQ(current.path, "/iocs/aggregates/indicators/device-count/v1");
  EXPECT_EQ(current.query, "type=domain&value=evil.example.com");
  expect_no_body(current);
  Sent legacy = BOTH(devices_count_legacy, DevicesCount, o);
  EXPECT_EQ(legacy.path, "/indicators/aggregates/devices-count/v1");
  EXPECT_EQ(legacy.query, "type=domain&value=evil.example.com");
  expect_no_body(legacy);
}

TEST(IocWireOptions, DevicesRanOnBothRoutesEveryOption) {
  falcon::DevicesRanOnOptions o;
  o.type = "ipv6";
  o.value = "2001:db8::1";
  o.limit = 100;
  o.offset = "0";
  Sent current = BOTH(devices_ran_on, indicator_get_devices_ran_on_v1, o);
  EXPECT_EQ(current.method, "GET");
  EXPECT_EQ(current.path, "/iocs/queries/indicators/devices/v1");
  EXPECT_EQ(current.query, "type=ipv6&value=2001%3Adb8%3A%3A1&limit=100&offset=0");
  expect_no_body(current);
  Sent legacy = BOTH(devices_ran_on_legacy, DevicesRanOn, o);
  EXPECT_EQ(legacy.path, "/indicators/queries/devices/v1");
  EXPECT_EQ(legacy.query, current.query);
}

TEST(IocWireOptions, ProcessesRanOnBothRoutesEveryOption) {
  falcon::ProcessesRanOnOptions o;
  o.type = "md5";
  o.value = kHex32b;
  o.device_id = kHex32;
  o.limit = 10;
  o.offset = "20";
  const std::string q =
      "type=md5&value=" + kHex32b + "&device_id=" + kHex32 + "&limit=10&offset=20";
  Sent current = BOTH(processes_ran_on, indicator_get_processes_ran_on_v1, o);
  EXPECT_EQ(current.method, "GET");
  EXPECT_EQ(current.path, "/iocs/queries/indicators/processes/v1");
  EXPECT_EQ(current.query, q);
  expect_no_body(current);
  Sent legacy = BOTH(processes_ran_on_legacy, ProcessesRanOn, o);
  EXPECT_EQ(legacy.path, "/indicators/queries/processes/v1");
  EXPECT_EQ(legacy.query, q);
}

falcon::IndicatorAggregateOptions aggregate_all_fields() {
  falcon::IndicatorAggregateOptions o;
  o.date_ranges = json::array({{{"from", "now-7d"}, {"to", "now"}}});
  o.exclude = "x*";
  o.extended_bounds = json{{"min", "now-30d"}, {"max", "now"}};
  o.field = "type";
  o.filter = "expired:false";
  o.filters_spec = json{{"filters", {{"bad", "severity:'high'"}}},
                        {"other_bucket", true},
                        {"other_bucket_key", "rest"}};
  o.from = 0;
  o.include = "a*";
  o.interval = "day";
  o.max_doc_count = 1000;
  o.min_doc_count = 0;
  o.missing = "none";
  o.name = "by_type";
  o.percents = std::vector<double>{50.0, 99.5};
  o.q = "evil";
  o.ranges = json::array({falcon::AggregateRange{0, 10}, falcon::AggregateRange{10, 100.5}});
  o.size = 0;
  o.sort = "_count|desc";
  o.sub_aggregates = json::array({{{"field", "severity"}, {"type", "terms"}, {"name", "sev"}}});
  o.time_zone = "UTC";
  o.type = "terms";
  o.from_parent = true;
  return o;
}

TEST(IocWireOptions, AggregateEveryOption) {
  const auto o = aggregate_all_fields();
  Sent s = BOTH(indicator_aggregate, indicator_aggregate_v1, o);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/iocs/aggregates/indicators/v1");
  EXPECT_EQ(s.query, "from_parent=true");  // from_parent is a query parameter
  json expected = {
      {"date_ranges", {{{"from", "now-7d"}, {"to", "now"}}}},
      {"exclude", "x*"},
      {"extended_bounds", {{"max", "now"}, {"min", "now-30d"}}},
      {"field", "type"},
      {"filter", "expired:false"},  // body filter, as FalconPy sends the keyword
      {"filters_spec",
       {{"filters", {{"bad", "severity:'high'"}}},
        {"other_bucket", true},
        {"other_bucket_key", "rest"}}},
      {"from", 0},
      {"include", "a*"},
      {"interval", "day"},
      {"max_doc_count", 1000},
      {"min_doc_count", 0},
      {"missing", "none"},
      {"name", "by_type"},
      {"percents", {50.0, 99.5}},
      {"q", "evil"},
      {"ranges", {{{"From", 0.0}, {"To", 10.0}}, {{"From", 10.0}, {"To", 100.5}}}},
      {"size", 0},
      {"sort", "_count|desc"},
      {"sub_aggregates", {{{"field", "severity"}, {"name", "sev"}, {"type", "terms"}}}},
      {"time_zone", "UTC"},
      {"type", "terms"}};
  expect_body(s, expected);
  json body = s.json();  // non-const: operator[] on a missing key must not abort
  EXPECT_TRUE(body["from"].is_number_integer()) << "from must be a JSON number";
  EXPECT_TRUE(body["ranges"][0].contains("From"));
  EXPECT_TRUE(body["ranges"][0].contains("To"));
  EXPECT_FALSE(body["ranges"][0].contains("from"));
}

// ---------------------------------------------------------------------------------------------
// 3. Body builders.

TEST(IocWireCreateBody, IndicatorsListIsSentVerbatimAndFieldsAreIgnored) {
  falcon::IndicatorCreateOptions o;
  o.comment = "bulk";
  o.retrodetects = true;
  const json list = json::array(
      {{{"type", "domain"}, {"value", "a.example"}, {"applied_globally", true}, {"tags", {"x"}}},
       {{"type", "md5"}, {"value", kHex32}, {"host_groups", {kHex32b}}, {"action", "detect"}}});
  o.indicators = list;
  o.type = "ipv4";  // ignored: indicators wins
  o.value = "9.9.9.9";
  o.action = "prevent";
  o.filename = "ignored.exe";
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  EXPECT_EQ(s.query, "retrodetects=true");
  expect_body(s, json{{"comment", "bulk"}, {"indicators", list}});
}

TEST(IocWireCreateBody, FilenameMergesIntoMetadata) {
  falcon::IndicatorCreateOptions o;
  o.type = "sha256";
  o.value = kSha256;
  o.applied_globally = true;
  o.metadata = json{{"original_filename", "o.exe"}, {"filename", "old.exe"}};
  o.filename = "new.exe";
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  expect_body(s, json{{"indicators",
                       {{{"applied_globally", true},
                         {"metadata", {{"filename", "new.exe"}, {"original_filename", "o.exe"}}},
                         {"type", "sha256"},
                         {"value", kSha256}}}}});
}

TEST(IocWireCreateBody, FilenameAloneMakesMetadata) {
  falcon::IndicatorCreateOptions o;
  o.type = "sha256";
  o.value = kSha256;
  o.host_groups = falcon::StringList{kHex32};
  o.filename = "";  // set means sent
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  expect_body(s, json{{"indicators",
                       {{{"host_groups", {kHex32}},
                         {"metadata", {{"filename", ""}}},
                         {"type", "sha256"},
                         {"value", kSha256}}}}});
}

TEST(IocWireCreateBody, IndicatorSpecConvertsToTheIndicatorObject) {
  falcon::IndicatorSpec spec;
  spec.type = "domain";
  spec.value = "c2.example";
  spec.applied_globally = true;
  spec.platforms = std::vector<std::string>{"windows"};
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({json(spec)});
  Sent s = BOTH(indicator_create, indicator_create_v1, o);
  expect_body(s, json{{"indicators",
                       {{{"applied_globally", true},
                         {"platforms", {"windows"}},
                         {"type", "domain"},
                         {"value", "c2.example"}}}}});
}

TEST(IocWireUpdateBody, IdAndFields) {
  falcon::IndicatorUpdateOptions o;
  o.id = "ID1";
  o.severity = "critical";
  o.expiration = "2030-01-01";
  Sent s = BOTH(indicator_update, indicator_update_v1, o);
  EXPECT_EQ(s.query, "");
  expect_body(s, json{{"indicators",
                       {{{"expiration", "2030-01-01"}, {"id", "ID1"}, {"severity", "critical"}}}}});
}

TEST(IocWireUpdateBody, BulkUpdateVerbatimWithoutAnEmptyIndicator) {
  falcon::IndicatorUpdateOptions o;
  o.comment = "bulk";
  const json bulk = {{"filter", "tags:'old'"}, {"tags", {"new"}}, {"action", "detect"}};
  o.bulk_update = bulk;
  Sent s = BOTH(indicator_update, indicator_update_v1, o);
  expect_body(s, json{{"bulk_update", bulk}, {"comment", "bulk"}});
  EXPECT_FALSE(s.json().contains("indicators"));
}

TEST(IocWireUpdateBody, FromParentGoesIntoBulkUpdate) {
  falcon::IndicatorUpdateOptions with_bulk;
  with_bulk.bulk_update = json{{"filter", "value:'x'"}};
  with_bulk.from_parent = false;
  expect_body(BOTH(indicator_update, indicator_update_v1, with_bulk),
              json{{"bulk_update", {{"filter", "value:'x'"}, {"from_parent", false}}}});

  falcon::IndicatorUpdateOptions with_id;
  with_id.id = "ID9";
  with_id.from_parent = true;
  Sent s = BOTH(indicator_update, indicator_update_v1, with_id);
  EXPECT_EQ(s.query, "") << "from_parent is not a query parameter of update";
  expect_body(s, json{{"bulk_update", {{"from_parent", true}}}, {"indicators", {{{"id", "ID9"}}}}});
}

TEST(IocWireUpdateBody, FromParentOverridesTheSameKeyInBulkUpdate) {
  falcon::IndicatorUpdateOptions o;
  o.bulk_update = json{{"filter", "f"}, {"from_parent", false}};
  o.from_parent = true;
  expect_body(BOTH(indicator_update, indicator_update_v1, o),
              json{{"bulk_update", {{"filter", "f"}, {"from_parent", true}}}});
}

TEST(IocWireUpdateBody, IndicatorsListVerbatimWithNullResets) {
  falcon::IndicatorUpdateOptions o;
  const json list = json::array({{{"id", "ID1"}, {"expiration", nullptr}, {"description", nullptr}},
                                 {{"id", "ID2"}, {"severity", "low"}}});
  o.indicators = list;
  o.id = "ignored";
  o.action = "prevent";
  o.ignore_warnings = false;
  Sent s = BOTH(indicator_update, indicator_update_v1, o);
  EXPECT_EQ(s.query, "ignore_warnings=false");
  expect_body(s, json{{"indicators", list}});
  EXPECT_NE(s.body->find("\"expiration\":null"), std::string::npos);
}

TEST(IocWireAggregateBody, FilterGoesToTheBodyAndQueryFilterViaParameters) {
  falcon::IndicatorAggregateOptions o;
  o.filter = "body-filter";
  o.field = "type";
  o.type = "terms";
  o.parameters = json{{"filter", "type:'domain'"}};
  Sent s = BOTH(indicator_aggregate, indicator_aggregate_v1, o);
  EXPECT_EQ(s.query, "filter=type%3A%27domain%27");
  expect_body(s, json{{"field", "type"}, {"filter", "body-filter"}, {"type", "terms"}});
}

TEST(IocWireAggregateBody, FromParentFalseGoesToTheQuery) {
  falcon::IndicatorAggregateOptions o;
  o.from_parent = false;
  o.field = "severity";
  Sent s = BOTH(indicator_aggregate, indicator_aggregate_v1, o);
  EXPECT_EQ(s.query, "from_parent=false");
  expect_body(s, json{{"field", "severity"}});
}

TEST(IocWireAggregateBody, ExtendedBoundsAndFiltersSpecAlone) {
  falcon::IndicatorAggregateOptions o;
  o.extended_bounds = json{{"min", "2024-01-01"}, {"max", "2024-12-31"}};
  o.filters_spec = json{{"filters", {{"a", "type:'md5'"}}}};
  Sent s = BOTH(indicator_aggregate, indicator_aggregate_v1, o);
  expect_body(s, json{{"extended_bounds", {{"max", "2024-12-31"}, {"min", "2024-01-01"}}},
                      {"filters_spec", {{"filters", {{"a", "type:'md5'"}}}}}});
}

TEST(IocWireAggregateBody, AggregateRangeHasCapitalisedKeys) {
  const json r = falcon::AggregateRange{1.5, 2};
  EXPECT_EQ(r, (json{{"From", 1.5}, {"To", 2.0}}));
  EXPECT_EQ(r.dump(), R"({"From":1.5,"To":2.0})");
}

// ---------------------------------------------------------------------------------------------
// 4. Escape hatches.

TEST(IocWireParameters, UnknownKeysArraysBooleansNumbersAndNull) {
  falcon::ActionQueryOptions o;
  o.parameters = json{{"zeta", "z"},    {"alpha", {1, "two", true}},
                      {"flag", false},  {"num", 42},
                      {"neg", -7},      {"real", 1.5},
                      {"gone", nullptr}};
  Sent s = BOTH(action_query, action_query_v1, o);
  // A JSON object iterates in key order; unknown names go out as given.
  EXPECT_EQ(s.query, "alpha=1&alpha=two&alpha=true&flag=false&neg=-7&num=42&real=1.5&zeta=z");
}

TEST(IocWireParameters, CommaStringIsSplitForArrayParametersOnly) {
  falcon::IndicatorGetOptions get;
  get.parameters = json{{"ids", "a,b, c"}};
  EXPECT_EQ(BOTH(indicator_get, indicator_get_v1, get).query, "ids=a&ids=b&ids=c");

  falcon::IndicatorDeleteOptions del;
  del.parameters = json{{"ids", "x,y"}, {"comment", "a,b"}};
  EXPECT_EQ(BOTH(indicator_delete, indicator_delete_v1, del).query, "comment=a%2Cb&ids=x&ids=y");

  falcon::IndicatorSearchOptions search;
  search.parameters = json{{"filter", "value:'a,b'"}};
  EXPECT_EQ(BOTH(indicator_search, indicator_search_v1, search).query,
            "filter=value%3A%27a%2Cb%27");

  falcon::EntitiesProcessesOptions procs;
  procs.parameters = json{{"ids", json::array({"p1", "p,2"})}};  // a list is never split
  EXPECT_EQ(send_one([&](const IOC& i) { return i.entities_processes(procs); }).query,
            "ids=p1&ids=p%2C2");
}

TEST(IocWireParameters, TypedFieldWinsAndKeepsThePositionOfTheKey) {
  falcon::IndicatorSearchOptions o;
  o.parameters = json{{"after", "p"}, {"limit", 5}, {"zz", "last"}};
  o.limit = 10;
  o.filter = "f";
  Sent s = BOTH(indicator_search, indicator_search_v1, o);
  EXPECT_EQ(s.query, "after=p&limit=10&zz=last&filter=f");
}

TEST(IocWireParameters, TypedIdsReplaceParameterIds) {
  falcon::IndicatorGetOptions o;
  o.parameters = json{{"ids", "a,b"}, {"x", 1}};
  o.ids = falcon::StringList{"c"};
  EXPECT_EQ(BOTH(indicator_get, indicator_get_v1, o).query, "ids=c&x=1");
}

TEST(IocWireParameters, AcceptedByEveryOperation) {
  const json p = {{"extra", "1"}};
  auto q = [&](const IocCall& c) { return send_one(c, false).query; };
  falcon::IndicatorAggregateOptions agg;
  agg.parameters = p;
  falcon::IndicatorQueryOptions query;
  query.parameters = p;
  falcon::IdsOptions ids;
  ids.parameters = p;
  falcon::IndicatorReportOptions report;
  report.parameters = p;
  falcon::IndicatorCreateOptions create;
  create.parameters = p;
  falcon::IndicatorUpdateOptions update;
  update.parameters = p;
  falcon::IndicatorDeleteOptions del;
  del.parameters = p;
  falcon::ValueQueryOptions value;
  value.parameters = p;
  falcon::DevicesCountOptions count;
  count.parameters = p;
  falcon::DevicesRanOnOptions devices;
  devices.parameters = p;
  falcon::ProcessesRanOnOptions procs;
  procs.parameters = p;
  const std::vector<IocCall> calls = {
      [&](const IOC& i) { return i.indicator_aggregate(agg); },
      [&](const IOC& i) { return i.indicator_combined(query); },
      [&](const IOC& i) { return i.action_get(ids); },
      [&](const IOC& i) { return i.get_indicators_report(report); },
      [&](const IOC& i) { return i.indicator_get(ids); },
      [&](const IOC& i) { return i.indicator_create(create); },
      [&](const IOC& i) { return i.indicator_delete(del); },
      [&](const IOC& i) { return i.indicator_update(update); },
      [&](const IOC& i) { return i.action_query(value); },
      [&](const IOC& i) { return i.indicator_search(query); },
      [&](const IOC& i) { return i.ioc_type_query(value); },
      [&](const IOC& i) { return i.platform_query(value); },
      [&](const IOC& i) { return i.severity_query(value); },
      [&](const IOC& i) { return i.devices_count_legacy(count); },
      [&](const IOC& i) { return i.devices_count(count); },
      [&](const IOC& i) { return i.devices_ran_on_legacy(devices); },
      [&](const IOC& i) { return i.devices_ran_on(devices); },
      [&](const IOC& i) { return i.processes_ran_on_legacy(procs); },
      [&](const IOC& i) { return i.processes_ran_on(procs); },
      [&](const IOC& i) { return i.entities_processes(ids); },
  };
  ASSERT_EQ(calls.size(), falcon::endpoints().size());
  for (std::size_t k = 0; k < calls.size(); ++k) {
    SCOPED_TRACE(falcon::endpoints()[k].method_name);
    EXPECT_EQ(q(calls[k]), "extra=1");
  }
}

TEST(IocWireParameters, RequiredParameterMayComeFromParameters) {
  falcon::DevicesCountOptions o;
  o.parameters = json{{"type", "domain"}, {"value", "x.example"}};
  Sent s = BOTH(devices_count, indicator_get_device_count_v1, o);
  EXPECT_EQ(s.query, "type=domain&value=x.example");
}

TEST(IocWireParameters, NestedObjectIsRefusedEvenWithoutValidation) {
  falcon::IndicatorSearchOptions o;
  o.parameters = json{{"filter", {{"nested", 1}}}};
  Wire w(false);
  Response r = w.ioc().indicator_search(o);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation);
  EXPECT_EQ(r.error->field, "parameters.filter");
  EXPECT_TRUE(w.all().empty());

  falcon::IndicatorSearchOptions not_object;
  not_object.parameters = json::array({"filter"});
  Response r2 = w.ioc().indicator_search(not_object);
  ASSERT_TRUE(r2.error.has_value());
  EXPECT_EQ(r2.error->field, "parameters");
  EXPECT_TRUE(w.all().empty());
}

TEST(IocWireParameters, NullParametersMeanNone) {
  falcon::ActionQueryOptions o;
  o.parameters = json();
  o.limit = 3;
  EXPECT_EQ(BOTH(action_query, action_query_v1, o).query, "limit=3");
}

TEST(IocWireBody, CreateBodyVerbatimQueryFieldsStillApply) {
  falcon::IndicatorCreateOptions o;
  const json raw = {{"indicators", {{{"type", "ipv4"}, {"value", "not-checked"}}}}, {"z", 1}};
  o.body = raw;
  o.type = "ipv4";
  o.comment = "ignored";
  o.retrodetects = false;
  o.parameters = json{{"ignore_warnings", true}};
  // validate=false: with it on, a raw body is checked like a built one (one check for IOC and
  // the Uber class), and this one is invalid on purpose.
  Sent s = BOTH_NOVALIDATE(indicator_create, indicator_create_v1, o);
  EXPECT_EQ(s.query, "ignore_warnings=true&retrodetects=false");
  expect_body(s, raw);
}

TEST(IocWireBody, UpdateBodyVerbatim) {
  falcon::IndicatorUpdateOptions o;
  const json raw = {{"bulk_update", {{"filter", "x"}}},
                    {"indicators", json::array({json::object()})}};
  o.body = raw;
  o.id = "ignored";
  o.from_parent = true;  // a body field: ignored with body
  o.ignore_warnings = true;
  Sent s = BOTH_NOVALIDATE(indicator_update, indicator_update_v1, o);
  EXPECT_EQ(s.query, "ignore_warnings=true");
  expect_body(s, raw);
}

TEST(IocWireBody, AggregateBodyVerbatimFromParentStillInQuery) {
  falcon::IndicatorAggregateOptions o;
  const json raw = {{"field", "type"}, {"type", "terms"}, {"size", 3}};
  o.body = raw;
  o.field = "ignored";
  o.from_parent = true;
  Sent s = BOTH(indicator_aggregate, indicator_aggregate_v1, o);
  EXPECT_EQ(s.query, "from_parent=true");
  expect_body(s, raw);
}

TEST(IocWireBody, ReportBodyVerbatim) {
  falcon::IndicatorReportOptions o;
  const json raw = {{"report_format", "csv"},
                    {"search", {{"filter", ""}, {"query", ""}, {"sort", ""}}}};
  o.body = raw;
  o.filter = "ignored";
  o.from_parent = true;
  Sent s = BOTH(get_indicators_report, GetIndicatorsReport, o);
  EXPECT_EQ(s.query, "");
  expect_body(s, raw);
}

TEST(IocWireBody, EmptyObjectBodyIsSentAsIs) {
  falcon::IndicatorUpdateOptions o;
  o.body = json::object();
  o.id = "ignored";
  expect_body(BOTH_NOVALIDATE(indicator_update, indicator_update_v1, o), json::object());
}

TEST(IocWireBody, RawBodiesAreCheckedLikeBuiltOnesWhenValidating) {
  falcon::IndicatorCreateOptions c;
  c.body =
      json{{"indicators", {{{"type", "sha256"}, {"value", "abc"}, {"applied_globally", true}}}}};
  falcon_wire::rejected([&](const falcon_wire::Wire& w) { return w.ioc().indicator_create(c); },
                        "indicators[0].value", "64 hex");
  falcon::IndicatorUpdateOptions u;
  u.body = json::object();
  falcon_wire::rejected([&](const falcon_wire::Wire& w) { return w.ioc().indicator_update(u); },
                        "indicators", "nothing to update");
}

TEST(IocWireBody, CallerDataIsNotModified) {
  const json params = {{"limit", 5}, {"ids", "a,b"}, {"from_parent", nullptr}};
  const json bulk = {{"filter", "x"}};
  const json indicators =
      json::array({{{"type", "domain"}, {"value", "a.example"}, {"applied_globally", true}}});
  const json metadata = {{"original_filename", "o"}};

  falcon::IndicatorSearchOptions search;
  search.parameters = params;
  search.limit = 10;
  search.from_parent = true;
  falcon::IndicatorUpdateOptions update;
  update.parameters = params;
  update.bulk_update = bulk;
  update.from_parent = true;
  update.retrodetects = true;
  falcon::IndicatorCreateOptions create;
  create.parameters = params;
  create.indicators = indicators;
  create.retrodetects = true;
  falcon::IndicatorCreateOptions create_md;
  create_md.type = "domain";
  create_md.value = "b.example";
  create_md.applied_globally = true;
  create_md.metadata = metadata;
  create_md.filename = "f";

  Wire w;
  EXPECT_FALSE(w.ioc().indicator_search(search).error);
  EXPECT_FALSE(w.ioc().indicator_update(update).error);
  EXPECT_FALSE(w.ioc().indicator_create(create).error);
  EXPECT_FALSE(w.ioc().indicator_create(create_md).error);
  EXPECT_EQ(*search.parameters, params);
  EXPECT_EQ(*search.limit, 10);
  EXPECT_EQ(*update.parameters, params);
  EXPECT_EQ(*update.bulk_update, bulk);
  EXPECT_EQ(*create.parameters, params);
  EXPECT_EQ(*create.indicators, indicators);
  EXPECT_EQ(*create_md.metadata, metadata);
  ASSERT_EQ(w.sent().size(), 4u);
  // ids is not a parameter of search or update, so its comma string is not split there.
  EXPECT_EQ(w.sent()[0].query, "ids=a%2Cb&limit=10&from_parent=true");
  EXPECT_EQ(w.sent()[1].query, "ids=a%2Cb&limit=5&retrodetects=true");
}

// ---------------------------------------------------------------------------------------------
// Headers and encoding details shared by every operation.

TEST(IocWireHeaders, GetHasNoContentTypeAndPostHasJson) {
  Wire w;
  falcon::ActionQueryOptions q;
  EXPECT_FALSE(w.ioc().action_query(q).error);
  EXPECT_FALSE(w.ioc().indicator_aggregate().error);
  const auto sent = w.sent();
  ASSERT_EQ(sent.size(), 2u);
  falcon_wire::expect_headers(sent[0]);
  falcon_wire::expect_headers(sent[1]);
  EXPECT_EQ(sent[0].headers.count("Content-Type"), 0u);
  EXPECT_EQ(falcon::header_value(sent[1].headers, "Content-Type").value_or(""), "application/json");
  // One token call for both API calls.
  EXPECT_EQ(w.all().size(), 3u);
}

TEST(IocWireEncoding, ReservedAndNonAsciiBytesArePercentEncoded) {
  falcon::IndicatorSearchOptions o;
  o.filter = "value:'ä/b?c=d&e#f%3A'~-._";
  Sent s = send_one([&](const IOC& i) { return i.indicator_search(o); });
  EXPECT_EQ(s.query, "filter=value%3A%27%C3%A4%2Fb%3Fc%3Dd%26e%23f%253A%27~-._");
}

TEST(IocWireEncoding, ParameterKeysArePercentEncodedToo) {
  falcon::ActionQueryOptions o;
  o.parameters = json{{"a b&c", "v"}, {"from.expiration_timestamp", "x"}};
  EXPECT_EQ(send_one([&](const IOC& i) { return i.action_query(o); }).query,
            "a%20b%26c=v&from.expiration_timestamp=x");
}

}  // namespace
