// Client-side validation (Config::validate): known-bad input fails with a `validation` error
// naming the field and the rule, and nothing at all is sent (not even the token request). With
// validate=false the same input is sent unchanged.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/ioc.hpp"
#include "ioc_wire_util.hpp"

namespace {

using falcon::IOC;
using falcon::Response;
using falcon_wire::expect_body;
using falcon_wire::one;
using falcon_wire::rejected;
using falcon_wire::Sent;
using falcon_wire::Wire;
using nlohmann::json;

const std::string kHex32 = "0123456789abcdef0123456789abcdef";
const std::string kSha256(64, 'a');

// A create that passes validation; tests break one field of it.
falcon::IndicatorCreateOptions good_create() {
  falcon::IndicatorCreateOptions o;
  o.type = "sha256";
  o.value = kSha256;
  o.action = "prevent";
  o.severity = "high";
  o.platforms = falcon::StringList{"windows", "mac"};
  o.applied_globally = true;
  return o;
}

// `offline`: a known-bad shape, refused without any request (not even a value-list lookup).
falcon::Error create_rejected(const falcon::IndicatorCreateOptions& o, const std::string& field,
                              const std::string& rule = "", bool offline = false) {
  return rejected([&](const Wire& w) { return w.ioc().indicator_create(o); }, field, rule, offline);
}

// With validate=false the same options go out: the request carries exactly the given values.
Sent create_sent_unvalidated(const falcon::IndicatorCreateOptions& o) {
  return one([&](const Wire& w) { return w.ioc().indicator_create(o); }, false);
}

TEST(Validation, GoodCreatePasses) {
  Sent s = one([](const Wire& w) { return w.ioc().indicator_create(good_create()); });
  EXPECT_EQ(s.json()["indicators"][0]["value"], kSha256);
}

TEST(Validation, Sha256WrongLengthOrNotHex) {
  auto o = good_create();
  o.value = std::string(63, 'a');
  auto e = create_rejected(o, "indicators[0].value", "64 hex", true);
  EXPECT_NE(e.message.find("got 63"), std::string::npos) << e.message;
  EXPECT_EQ(create_sent_unvalidated(o).json()["indicators"][0]["value"], std::string(63, 'a'));
  o.value = std::string(63, 'a') + "g";
  create_rejected(o, "indicators[0].value", "64 hex", true);
}

TEST(Validation, Md5WrongLength) {
  auto o = good_create();
  o.type = "md5";
  o.value = kHex32 + "0";
  create_rejected(o, "indicators[0].value", "32 hex", true);
  o.value = kHex32;
  EXPECT_EQ(one([&](const Wire& w) {
              return w.ioc().indicator_create(o);
            }).json()["indicators"][0]["type"],
            "md5");
}

TEST(Validation, InvalidIpv4) {
  auto o = good_create();
  o.type = "ipv4";
  for (const char* bad : {"1.2.3.256", "1.2.3", "::1", "1.2.3.4 "}) {
    SCOPED_TRACE(bad);
    o.value = bad;
    create_rejected(o, "indicators[0].value", "IPv4", true);
  }
}

TEST(Validation, InvalidIpv6) {
  auto o = good_create();
  o.type = "ipv6";
  for (const char* bad : {"2001:db8:::1", "1.2.3.4", "gggg::1"}) {
    SCOPED_TRACE(bad);
    o.value = bad;
    create_rejected(o, "indicators[0].value", "IPv6", true);
  }
  o.value = "2001:db8::1";
  EXPECT_EQ(one([&](const Wire& w) {
              return w.ioc().indicator_create(o);
            }).json()["indicators"][0]["value"],
            "2001:db8::1");
}

TEST(Validation, InvalidDomain) {
  auto o = good_create();
  o.type = "domain";
  o.value = "bad domain.example";
  create_rejected(o, "indicators[0].value", "domain", true);
  o.value = "";
  create_rejected(o, "indicators[0].value", "domain", true);
}

TEST(Validation, UnknownType) {
  auto o = good_create();
  o.type = "url";
  auto e = create_rejected(o, "indicators[0].type", "'url' is not one of");
  EXPECT_NE(e.message.find("sha256, md5, domain, ipv4, ipv6"), std::string::npos) << e.message;
  EXPECT_EQ(create_sent_unvalidated(o).json()["indicators"][0]["type"], "url");
}

TEST(Validation, UnknownAction) {
  auto o = good_create();
  o.action = "block";
  create_rejected(o, "indicators[0].action", "'block' is not one of");
}

TEST(Validation, UnknownSeverity) {
  auto o = good_create();
  o.severity = "urgent";
  create_rejected(o, "indicators[0].severity", "'urgent' is not one of");
}

TEST(Validation, EnumsAreCaseInsensitiveAndSentAsGiven) {
  // FalconPy's samples send severity "LOW"; the API accepts it.
  auto o = good_create();
  o.severity = "LOW";
  o.action = "Detect";
  Sent s = one([&](const Wire& w) { return w.ioc().indicator_create(o); });
  EXPECT_EQ(s.json()["indicators"][0]["severity"], "LOW");
  EXPECT_EQ(s.json()["indicators"][0]["action"], "Detect");
}

TEST(Validation, UnknownPlatform) {
  auto o = good_create();
  o.platforms = falcon::StringList{"windows", "solaris"};
  create_rejected(o, "indicators[0].platforms[1]", "'solaris' is not one of");
}

TEST(Validation, UnknownMobileAction) {
  // The API has no list of mobile actions: an unknown one is judged by the action list, so
  // "prevent_no_ui" (an action) goes to the server and "block" (none) is refused.
  auto o = good_create();
  o.mobile_action = "block";
  create_rejected(o, "indicators[0].mobile_action", "is not one of");
  o.mobile_action = "prevent_no_ui";
  Wire w;
  auto r = w.ioc().indicator_create(o);
  EXPECT_FALSE(r.error.has_value()) << r.error->describe();
  auto sent = w.sent();
  ASSERT_EQ(sent.size(), 2u);  // the action list, then the create
  EXPECT_EQ(sent[0].path, "/iocs/queries/actions/v1");
  EXPECT_EQ(sent[1].json()["indicators"][0]["mobile_action"], "prevent_no_ui");
}

TEST(Validation, HostGroupNot32Hex) {
  auto o = good_create();
  o.applied_globally = false;
  o.host_groups = falcon::StringList{kHex32, "xyz"};
  create_rejected(o, "indicators[0].host_groups[1]", "32 hex", true);
}

TEST(Validation, MissingAppliedGloballyAndHostGroups) {
  auto o = good_create();
  o.applied_globally.reset();
  create_rejected(o, "indicators[0].applied_globally", "applied_globally");
  o.applied_globally = false;
  o.host_groups = falcon::StringList{};
  create_rejected(o, "indicators[0].applied_globally", "host_groups");
  o.host_groups = falcon::StringList{kHex32};
  EXPECT_EQ(one([&](const Wire& w) {
              return w.ioc().indicator_create(o);
            }).json()["indicators"][0]["host_groups"],
            json::array({kHex32}));
}

TEST(Validation, BadExpirationAndLongSource) {
  auto o = good_create();
  o.expiration = "tomorrow";
  create_rejected(o, "indicators[0].expiration", "RFC 3339", true);
  o.expiration = "2030-01-01T00:00:00";  // no zone
  create_rejected(o, "indicators[0].expiration", "RFC 3339", true);
  o.expiration = "2030-01-01";
  o.source = std::string(257, 's');
  create_rejected(o, "indicators[0].source", "256", true);
}

TEST(Validation, ErrorInAListNamesTheIndex) {
  falcon::IndicatorCreateOptions o;
  o.indicators =
      json::array({{{"type", "domain"}, {"value", "ok.example"}, {"applied_globally", true}},
                   {{"type", "ipv4"}, {"value", "300.1.1.1"}, {"applied_globally", true}}});
  create_rejected(o, "indicators[1].value", "IPv4");
  o.indicators = json::array({{{"type", "domain"}, {"value", "ok.example"}}});
  create_rejected(o, "indicators[0].applied_globally");
  o.indicators = json::array({"not an object"});
  create_rejected(o, "indicators[0]", "JSON object");
  o.indicators = json{{"type", "domain"}};
  create_rejected(o, "indicators", "must be a list");
  o.indicators = json::array({{{"type", 5}, {"value", "x"}, {"applied_globally", true}}});
  create_rejected(o, "indicators[0].type", "must be a string");
}

std::vector<json> many(std::size_t n) {
  std::vector<json> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(json{{"type", "domain"},
                     {"value", "d" + std::to_string(i) + ".example"},
                     {"applied_globally", true}});
  }
  return v;
}

TEST(Validation, AtMost2000IndicatorsPerWrite) {
  falcon::IndicatorCreateOptions o;
  o.indicators = json(many(2001));
  create_rejected(o, "indicators", "at most 2000");
  o.indicators = json(many(2000));
  Sent s = one([&](const Wire& w) { return w.ioc().indicator_create(o); });
  EXPECT_EQ(s.json()["indicators"].size(), 2000u);

  falcon::IndicatorUpdateOptions u;
  json list = json::array();
  for (int i = 0; i < 2001; ++i) list.push_back({{"id", "id" + std::to_string(i)}});
  u.indicators = list;
  rejected([&](const Wire& w) { return w.ioc().indicator_update(u); }, "indicators",
           "at most 2000");
}

TEST(Validation, NothingToCreate) {
  rejected([](const Wire& w) { return w.ioc().indicator_create(); }, "indicators", "nothing");
  falcon::IndicatorCreateOptions comment_only;
  comment_only.comment = "x";
  create_rejected(comment_only, "indicators", "nothing to create");
  falcon::IndicatorCreateOptions empty;
  empty.indicators = json::array();
  create_rejected(empty, "indicators", "empty");
}

TEST(Validation, UpdateRules) {
  falcon::IndicatorUpdateOptions o;
  rejected([&](const Wire& w) { return w.ioc().indicator_update(o); }, "indicators",
           "nothing to update");
  o.severity = "high";  // fields without an id
  rejected([&](const Wire& w) { return w.ioc().indicator_update(o); }, "indicators[0].id",
           "id is required");
  o.id = "ID1";
  o.severity = "severe";
  rejected([&](const Wire& w) { return w.ioc().indicator_update(o); }, "indicators[0].severity");
  falcon::IndicatorUpdateOptions bulk;
  bulk.bulk_update = json::array({"filter"});
  rejected([&](const Wire& w) { return w.ioc().indicator_update(bulk); }, "bulk_update",
           "JSON object");
  bulk.from_parent = true;  // cannot be merged into a non-object either
  rejected([&](const Wire& w) { return w.ioc().indicator_update(bulk); }, "bulk_update",
           "JSON object");
}

// offset + limit > 10000 on search and combined (limit defaults to the API's 100).
TEST(Validation, OffsetPlusLimitCeiling) {
  using Call = std::function<Response(const IOC&, const falcon::IndicatorQueryOptions&)>;
  const std::vector<std::pair<const char*, Call>> ops = {
      {"search",
       [](const IOC& i, const falcon::IndicatorQueryOptions& o) { return i.indicator_search(o); }},
      {"combined", [](const IOC& i, const falcon::IndicatorQueryOptions& o) {
         return i.indicator_combined(o);
       }}};
  for (const auto& op : ops) {
    const Call& call = op.second;  // a named variable: C++17 lambdas cannot capture a binding
    SCOPED_TRACE(op.first);
    falcon::IndicatorQueryOptions o;
    o.offset = 9901;
    auto e = rejected([&](const Wire& w) { return call(w.ioc(), o); }, "offset", "10000");
    EXPECT_NE(e.message.find("10001"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("after"), std::string::npos) << "should suggest after: " << e.message;
    o.offset = 9000;
    o.limit = 1001;
    rejected([&](const Wire& w) { return call(w.ioc(), o); }, "offset", "10000");
    o.limit = 1000;  // exactly 10000 is allowed
    EXPECT_EQ(one([&](const Wire& w) { return call(w.ioc(), o); }).query, "offset=9000&limit=1000");
    o.offset = 9900;
    o.limit.reset();
    EXPECT_EQ(one([&](const Wire& w) { return call(w.ioc(), o); }).query, "offset=9900");
    o.offset = 20000;
    o.limit = 1;
    EXPECT_EQ(one([&](const Wire& w) { return call(w.ioc(), o); }, false).query,
              "offset=20000&limit=1");
    o.offset = -1;
    rejected([&](const Wire& w) { return call(w.ioc(), o); }, "offset", "negative");
  }
}

// The checks read the query as it will be sent: values from `parameters` count too.
TEST(Validation, PagingChecksSeeParameters) {
  falcon::IndicatorSearchOptions o;
  o.parameters = json{{"offset", 9950}};
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "offset", "10050");
  o.parameters = json{{"limit", 2000}};
  o.offset = 9000;
  rejected([&](const Wire& w) { return w.ioc().indicator_combined(o); }, "offset", "11000");
  o.parameters = json{{"after", "tok"}};
  o.offset = 0;
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "after");
  o = falcon::IndicatorSearchOptions{};
  o.parameters = json{{"sort", "bogus.asc"}};
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "sort", "bogus.asc");
  // A typed field replaces the parameter before the check.
  o.sort = "value.asc";
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(o); }).query,
            "sort=value.asc");
  // Not a decimal number: left to the server.
  o = falcon::IndicatorSearchOptions{};
  o.parameters = json{{"offset", "abc"}, {"limit", "9999999"}};
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(o); }).query,
            "limit=9999999&offset=abc");
}

TEST(Validation, HugeOffsetAndLimitDoNotOverflow) {
  falcon::IndicatorSearchOptions o;
  o.offset = std::numeric_limits<std::int64_t>::max();
  o.limit = std::numeric_limits<std::int64_t>::max();
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "offset",
           "9223372036854775807 + 9223372036854775807");
  o.offset = 1;
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "offset", "10000 ceiling");
  o.offset = 0;
  o.limit = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(o); }).query,
            "offset=0&limit=-9223372036854775808");
}

TEST(Validation, OffsetAndAfterTogether) {
  falcon::IndicatorSearchOptions o;
  o.offset = 0;
  o.after = "tok";
  rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "after",
           "cannot be combined");
  rejected([&](const Wire& w) { return w.ioc().indicator_combined(o); }, "after",
           "cannot be combined");
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(o); }, false).query,
            "offset=0&after=tok");
}

TEST(Validation, SortField) {
  falcon::IndicatorSearchOptions o;
  o.sort = "name.asc";
  auto e = rejected([&](const Wire& w) { return w.ioc().indicator_search(o); }, "sort",
                    "not a sort field");
  EXPECT_NE(e.message.find("modified_on"), std::string::npos) << "lists the fields: " << e.message;
  o.sort = "value.sideways";
  rejected([&](const Wire& w) { return w.ioc().indicator_combined(o); }, "sort");
  for (const char* good :
       {"action", "applied_globally.asc", "created_by|desc", "created_on.DESC", "expiration",
        "expired", "metadata.av_hits", "metadata.company_name.raw", "metadata.filename.raw",
        "metadata.original_filename.raw", "metadata.product_name.raw", "metadata.product_version",
        "modified_by", "modified_on", "severity_number", "source", "type", "value|asc"}) {
    SCOPED_TRACE(good);
    o.sort = good;
    std::string encoded = good;
    if (auto bar = encoded.find('|'); bar != std::string::npos) encoded.replace(bar, 1, "%7C");
    EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(o); }).query,
              "sort=" + encoded);
  }
}

TEST(Validation, MissingIds) {
  rejected([](const Wire& w) { return w.ioc().indicator_get(); }, "ids", "ids is required");
  rejected([](const Wire& w) { return w.ioc().indicator_get_v1(); }, "ids", "indicator_get_v1");
  rejected([](const Wire& w) { return w.ioc().entities_processes(); }, "ids", "entities_processes");
  falcon::IdsOptions blank;
  blank.ids = falcon::StringList{""};
  rejected([&](const Wire& w) { return w.ioc().indicator_get(blank); }, "ids");
  blank.ids = falcon::StringList{};
  rejected([&](const Wire& w) { return w.ioc().entities_processes(blank); }, "ids");
  // action_get does not require ids.
  EXPECT_EQ(one([](const Wire& w) { return w.ioc().action_get(); }).query, "");
}

TEST(Validation, DeleteNeedsIdsOrFilter) {
  rejected([](const Wire& w) { return w.ioc().indicator_delete(); }, "ids", "ids or a filter");
  falcon::IndicatorDeleteOptions o;
  o.comment = "only a comment";
  o.from_parent = true;
  rejected([&](const Wire& w) { return w.ioc().indicator_delete(o); }, "ids", "unscoped");
  o.filter = "";
  o.ids = falcon::StringList{};
  rejected([&](const Wire& w) { return w.ioc().indicator_delete(o); }, "ids");
  o.ids = falcon::StringList{"", ""};
  rejected([&](const Wire& w) { return w.ioc().indicator_delete(o); }, "ids");
  o.ids = falcon::StringList{"", "x"};  // any non-empty id scopes the delete
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_delete(o); }).query,
            "filter=&ids=&ids=x&comment=only%20a%20comment&from_parent=true");
  o.ids = falcon::StringList{};
  o.filter = "expired:true";
  // ids=[] has no query form (repeated keys), so only the filter scopes this delete.
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_delete(o); }).query,
            "filter=expired%3Atrue&comment=only%20a%20comment&from_parent=true");
}

TEST(Validation, DeviceLookupsNeedTypeAndValue) {
  using Count = falcon::Response (IOC::*)(const falcon::DevicesCountOptions&,
                                          const falcon::CallOptions&) const;
  using RanOn = falcon::Response (IOC::*)(const falcon::DevicesRanOnOptions&,
                                          const falcon::CallOptions&) const;
  for (Count fn :
       {static_cast<Count>(&IOC::devices_count), static_cast<Count>(&IOC::devices_count_legacy)}) {
    falcon::DevicesCountOptions o;
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "type", "type is required");
    o.type = "domain";
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "value", "value is required");
    o.value = "x.example";
    o.type = "hostname";
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "type", "is not one of");
    // A read: the value rules of writes do not refuse a lookup the API may answer.
    o.type = "sha256";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }).query,
              "type=sha256&value=x.example");
    o.type = "domain";
    o.value = "under_score..example";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }).query,
              "type=domain&value=under_score..example");
    o.type = "ipv4";
    o.value = "1.2.3.4";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }).query,
              "type=ipv4&value=1.2.3.4");
  }
  for (RanOn fn : {static_cast<RanOn>(&IOC::devices_ran_on),
                   static_cast<RanOn>(&IOC::devices_ran_on_legacy)}) {
    falcon::DevicesRanOnOptions o;
    o.limit = 10;
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "type");
    o.type = "md5";
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "value");
    o.value = "abc";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }).query,
              "type=md5&value=abc&limit=10");
  }
}

TEST(Validation, ProcessesRanOnDeviceId) {
  using Procs = falcon::Response (IOC::*)(const falcon::ProcessesRanOnOptions&,
                                          const falcon::CallOptions&) const;
  for (Procs fn : {static_cast<Procs>(&IOC::processes_ran_on),
                   static_cast<Procs>(&IOC::processes_ran_on_legacy)}) {
    falcon::ProcessesRanOnOptions o;
    o.type = "domain";
    o.value = "x.example";
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "device_id",
             "device_id is required");
    // A read: a device id of another shape goes out for the API to judge.
    o.device_id = "abc";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }).query,
              "type=domain&value=x.example&device_id=abc");
    o.device_id = kHex32 + "0";
    EXPECT_EQ(one([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, false).query,
              "type=domain&value=x.example&device_id=" + kHex32 + "0");
    o.device_id = kHex32;
    o.type.reset();
    rejected([&](const Wire& w) { return (w.ioc().*fn)(o, {}); }, "type");
  }
}

// validate=false: every rejected input above goes out exactly as given.
TEST(Validation, OffSendsTheSameInputUnchanged) {
  auto o = good_create();
  o.type = "url";
  o.value = "http://x";
  o.action = "block";
  o.severity = "urgent";
  o.platforms = falcon::StringList{"solaris"};
  o.mobile_action = "nope";
  o.host_groups = falcon::StringList{"xyz"};
  o.applied_globally.reset();
  o.expiration = "tomorrow";
  Sent s = create_sent_unvalidated(o);
  expect_body(s, json{{"indicators",
                       {{{"action", "block"},
                         {"expiration", "tomorrow"},
                         {"host_groups", {"xyz"}},
                         {"mobile_action", "nope"},
                         {"platforms", {"solaris"}},
                         {"severity", "urgent"},
                         {"type", "url"},
                         {"value", "http://x"}}}}});

  falcon::IndicatorSearchOptions q;
  q.offset = 9999;
  q.limit = 500;
  q.sort = "name";
  q.after = "a";
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_search(q); }, false).query,
            "offset=9999&limit=500&sort=name&after=a");

  EXPECT_EQ(one([](const Wire& w) { return w.ioc().indicator_get(); }, false).query, "");
  EXPECT_EQ(one([](const Wire& w) { return w.ioc().indicator_delete(); }, false).query, "");

  falcon::IndicatorUpdateOptions u;
  u.severity = "severe";
  expect_body(one([&](const Wire& w) { return w.ioc().indicator_update(u); }, false),
              json{{"indicators", {{{"severity", "severe"}}}}});

  falcon::IndicatorCreateOptions huge;
  huge.indicators = json(many(2001));
  EXPECT_EQ(one([&](const Wire& w) { return w.ioc().indicator_create(huge); }, false)
                .json()["indicators"]
                .size(),
            2001u);
}

TEST(Validation, ErrorDescribesKindFieldAndRule) {
  auto o = good_create();
  o.value = "short";
  auto e = create_rejected(o, "indicators[0].value");
  const std::string d = e.describe();
  EXPECT_NE(d.find("validation"), std::string::npos) << d;
  EXPECT_NE(d.find("indicators[0].value"), std::string::npos) << d;
  EXPECT_NE(d.find("64 hex"), std::string::npos) << d;
  EXPECT_EQ(e.attempts, 0);
}

}  // namespace
