// Every validation case of validation_test.cpp, sent through the Uber class instead: the same
// input as raw parameters / body to APIHarness::command() is refused with the same field (and
// rule), and nothing reaches the transport, not even the token request (issue 7 §1: one check
// shared by IOC and APIHarness).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/harness.hpp"
#include "ioc_wire_util.hpp"

namespace {

using falcon::CommandOptions;
using falcon_wire::rejected;
using falcon_wire::Wire;
using nlohmann::json;

const std::string kHex32 = "0123456789abcdef0123456789abcdef";
const std::string kSha256(64, 'a');

CommandOptions with_body(json body) {
  CommandOptions c;
  c.body = std::move(body);
  return c;
}

CommandOptions with_params(json params) {
  CommandOptions c;
  c.parameters = std::move(params);
  return c;
}

// The indicator validation_test's good_create() builds.
json good_item() {
  return {{"type", "sha256"},
          {"value", kSha256},
          {"action", "prevent"},
          {"severity", "high"},
          {"platforms", {"windows", "mac"}},
          {"applied_globally", true}};
}

json create_body(const json& item) {
  return {{"indicators", json::array({item})}};
}

// command(op, options) is refused naming `field` (and `rule`), with no request sent.
falcon::Error uber_rejected(const std::string& op, const CommandOptions& options,
                            const std::string& field, const std::string& rule = "") {
  SCOPED_TRACE(op + " " + (options.parameters ? options.parameters->dump() : std::string()) + " " +
               (options.body ? options.body->dump().substr(0, 200) : std::string()));
  return rejected([&](const Wire& w) { return w.uber().command(op, options); }, field, rule);
}

falcon::Error item_rejected(const json& item, const std::string& field,
                            const std::string& rule = "") {
  return uber_rejected("indicator_create_v1", with_body(create_body(item)), field, rule);
}

TEST(HarnessValidation, GoodCreatePasses) {
  Wire w;
  auto r = w.uber().command("indicator_create_v1", with_body(create_body(good_item())));
  EXPECT_FALSE(r.error.has_value()) << r.error->describe();
  EXPECT_EQ(w.sent().size(), 1u);
}

TEST(HarnessValidation, Sha256WrongLengthOrNotHex) {
  auto item = good_item();
  item["value"] = std::string(63, 'a');
  auto e = item_rejected(item, "indicators[0].value", "64 hex");
  EXPECT_NE(e.message.find("got 63"), std::string::npos) << e.message;
  item["value"] = std::string(63, 'a') + "g";
  item_rejected(item, "indicators[0].value", "64 hex");
}

TEST(HarnessValidation, Md5WrongLength) {
  auto item = good_item();
  item["type"] = "md5";
  item["value"] = kHex32 + "0";
  item_rejected(item, "indicators[0].value", "32 hex");
}

TEST(HarnessValidation, InvalidIpv4AndIpv6) {
  auto item = good_item();
  item["type"] = "ipv4";
  for (const char* bad : {"1.2.3.256", "1.2.3", "::1", "1.2.3.4 "}) {
    item["value"] = bad;
    item_rejected(item, "indicators[0].value", "IPv4");
  }
  item["type"] = "ipv6";
  for (const char* bad : {"2001:db8:::1", "1.2.3.4", "gggg::1"}) {
    item["value"] = bad;
    item_rejected(item, "indicators[0].value", "IPv6");
  }
}

TEST(HarnessValidation, InvalidDomain) {
  auto item = good_item();
  item["type"] = "domain";
  item["value"] = "bad domain.example";
  item_rejected(item, "indicators[0].value", "domain");
  item["value"] = "";
  item_rejected(item, "indicators[0].value", "domain");
}

TEST(HarnessValidation, UnknownEnums) {
  auto item = good_item();
  item["type"] = "url";
  auto e = item_rejected(item, "indicators[0].type", "'url' is not one of");
  EXPECT_NE(e.message.find("sha256, md5, domain, ipv4, ipv6"), std::string::npos) << e.message;
  item = good_item();
  item["action"] = "block";
  item_rejected(item, "indicators[0].action", "'block' is not one of");
  item = good_item();
  item["severity"] = "urgent";
  item_rejected(item, "indicators[0].severity", "'urgent' is not one of");
  item = good_item();
  item["platforms"] = {"windows", "solaris"};
  item_rejected(item, "indicators[0].platforms[1]", "'solaris' is not one of");
  item = good_item();
  // No list of mobile actions exists: an unknown one is judged by the action list.
  item["mobile_action"] = "block";
  item_rejected(item, "indicators[0].mobile_action", "is not one of");
}

TEST(HarnessValidation, HostGroupsAndAppliedGlobally) {
  auto item = good_item();
  item["applied_globally"] = false;
  item["host_groups"] = {kHex32, "xyz"};
  item_rejected(item, "indicators[0].host_groups[1]", "32 hex");
  item = good_item();
  item.erase("applied_globally");
  item_rejected(item, "indicators[0].applied_globally", "applied_globally");
  item["applied_globally"] = false;
  item["host_groups"] = json::array();
  item_rejected(item, "indicators[0].applied_globally", "host_groups");
}

TEST(HarnessValidation, BadExpirationAndLongSource) {
  auto item = good_item();
  item["expiration"] = "tomorrow";
  item_rejected(item, "indicators[0].expiration", "RFC 3339");
  item["expiration"] = "2030-01-01T00:00:00";
  item_rejected(item, "indicators[0].expiration", "RFC 3339");
  item["expiration"] = "2030-01-01";
  item["source"] = std::string(257, 's');
  item_rejected(item, "indicators[0].source", "256");
}

TEST(HarnessValidation, ErrorInAListNamesTheIndex) {
  const std::string op = "indicator_create_v1";
  uber_rejected(
      op,
      with_body({{"indicators",
                  {{{"type", "domain"}, {"value", "ok.example"}, {"applied_globally", true}},
                   {{"type", "ipv4"}, {"value", "300.1.1.1"}, {"applied_globally", true}}}}}),
      "indicators[1].value", "IPv4");
  uber_rejected(op, with_body({{"indicators", {{{"type", "domain"}, {"value", "ok.example"}}}}}),
                "indicators[0].applied_globally");
  uber_rejected(op, with_body({{"indicators", {"not an object"}}}), "indicators[0]", "JSON object");
  uber_rejected(op, with_body({{"indicators", {{"type", "domain"}}}}), "indicators",
                "must be a list");
  uber_rejected(
      op, with_body({{"indicators", {{{"type", 5}, {"value", "x"}, {"applied_globally", true}}}}}),
      "indicators[0].type", "must be a string");
}

json many(std::size_t n) {
  json v = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back({{"type", "domain"},
                 {"value", "d" + std::to_string(i) + ".example"},
                 {"applied_globally", true}});
  }
  return v;
}

TEST(HarnessValidation, AtMost2000IndicatorsPerWrite) {
  uber_rejected("indicator_create_v1", with_body({{"indicators", many(2001)}}), "indicators",
                "at most 2000");
  json list = json::array();
  for (int i = 0; i < 2001; ++i) list.push_back({{"id", "id" + std::to_string(i)}});
  uber_rejected("indicator_update_v1", with_body({{"indicators", list}}), "indicators",
                "at most 2000");
}

TEST(HarnessValidation, NothingToCreate) {
  uber_rejected("indicator_create_v1", {}, "indicators", "nothing");
  uber_rejected("indicator_create_v1", with_body({{"comment", "x"}}), "indicators",
                "nothing to create");
  uber_rejected("indicator_create_v1", with_body({{"indicators", json::array()}}), "indicators",
                "empty");
}

TEST(HarnessValidation, UpdateRules) {
  const std::string op = "indicator_update_v1";
  uber_rejected(op, {}, "indicators", "nothing to update");
  uber_rejected(op, with_body({{"indicators", {{{"severity", "high"}}}}}), "indicators[0].id",
                "id is required");
  uber_rejected(op, with_body({{"indicators", {{{"id", "ID1"}, {"severity", "severe"}}}}}),
                "indicators[0].severity");
  uber_rejected(op, with_body({{"bulk_update", {"filter"}}}), "bulk_update", "JSON object");
}

TEST(HarnessValidation, OffsetPlusLimitCeiling) {
  for (const char* op : {"indicator_search_v1", "indicator_combined_v1"}) {
    SCOPED_TRACE(op);
    auto e = uber_rejected(op, with_params({{"offset", 9901}}), "offset", "10000");
    EXPECT_NE(e.message.find("10001"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("after"), std::string::npos) << e.message;
    uber_rejected(op, with_params({{"offset", 9000}, {"limit", 1001}}), "offset", "10000");
    uber_rejected(op, with_params({{"offset", -1}}), "offset", "negative");
  }
}

TEST(HarnessValidation, PagingChecksSeeParameters) {
  uber_rejected("indicator_search_v1", with_params({{"offset", 9950}}), "offset", "10050");
  uber_rejected("indicator_combined_v1", with_params({{"limit", 2000}, {"offset", 9000}}), "offset",
                "11000");
  uber_rejected("indicator_search_v1", with_params({{"after", "tok"}, {"offset", 0}}), "after");
  uber_rejected("indicator_search_v1", with_params({{"sort", "bogus.asc"}}), "sort", "bogus.asc");
}

TEST(HarnessValidation, HugeOffsetAndLimitDoNotOverflow) {
  const auto max = std::numeric_limits<std::int64_t>::max();
  uber_rejected("indicator_search_v1", with_params({{"offset", max}, {"limit", max}}), "offset",
                "9223372036854775807 + 9223372036854775807");
  uber_rejected("indicator_search_v1", with_params({{"offset", 1}, {"limit", max}}), "offset",
                "10000 ceiling");
}

TEST(HarnessValidation, OffsetAndAfterTogether) {
  for (const char* op : {"indicator_search_v1", "indicator_combined_v1"}) {
    uber_rejected(op, with_params({{"offset", 0}, {"after", "tok"}}), "after",
                  "cannot be combined");
  }
}

TEST(HarnessValidation, SortField) {
  auto e = uber_rejected("indicator_search_v1", with_params({{"sort", "name.asc"}}), "sort",
                         "not a sort field");
  EXPECT_NE(e.message.find("modified_on"), std::string::npos) << e.message;
  uber_rejected("indicator_combined_v1", with_params({{"sort", "value.sideways"}}), "sort");
}

TEST(HarnessValidation, MissingIds) {
  uber_rejected("indicator_get_v1", {}, "ids", "ids is required");
  uber_rejected("entities_processes", {}, "ids");
  uber_rejected("indicator_get_v1", with_params({{"ids", json::array({""})}}), "ids");
  uber_rejected("entities_processes", with_params({{"ids", json::array()}}), "ids");
}

TEST(HarnessValidation, DeleteNeedsIdsOrFilter) {
  const std::string op = "indicator_delete_v1";
  uber_rejected(op, {}, "ids", "ids or a filter");
  uber_rejected(op, with_params({{"comment", "only a comment"}, {"from_parent", true}}), "ids",
                "unscoped");
  uber_rejected(op, with_params({{"filter", ""}, {"ids", json::array()}}), "ids");
  uber_rejected(op, with_params({{"ids", {"", ""}}}), "ids");
}

TEST(HarnessValidation, DeviceLookupsNeedTypeAndValue) {
  for (const char* op : {"indicator_get_device_count_v1", "DevicesCount"}) {
    SCOPED_TRACE(op);
    uber_rejected(op, {}, "type", "type is required");
    uber_rejected(op, with_params({{"type", "domain"}}), "value", "value is required");
    uber_rejected(op, with_params({{"type", "hostname"}, {"value", "x.example"}}), "type",
                  "is not one of");
    // A read: the value rules of writes do not refuse a lookup the API may answer.
    EXPECT_EQ(falcon_wire::one([&](const Wire& w) {
                return w.uber().command(op, with_params({{"type", "sha256"}, {"value", "x"}}));
              }).query,
              "type=sha256&value=x");
  }
  for (const char* op : {"indicator_get_devices_ran_on_v1", "DevicesRanOn"}) {
    SCOPED_TRACE(op);
    uber_rejected(op, with_params({{"limit", 10}}), "type");
    uber_rejected(op, with_params({{"type", "md5"}}), "value");
  }
}

TEST(HarnessValidation, ProcessesRanOnDeviceId) {
  for (const char* op : {"indicator_get_processes_ran_on_v1", "ProcessesRanOn"}) {
    SCOPED_TRACE(op);
    const json base = {{"type", "domain"}, {"value", "x.example"}};
    uber_rejected(op, with_params(base), "device_id", "device_id is required");
    uber_rejected(op, with_params({{"value", "x.example"}, {"device_id", kHex32}}), "type");
  }
}

TEST(HarnessValidation, ErrorDescribesKindFieldAndRule) {
  auto item = good_item();
  item["value"] = "short";
  auto e = item_rejected(item, "indicators[0].value");
  const std::string d = e.describe();
  EXPECT_NE(d.find("validation"), std::string::npos) << d;
  EXPECT_NE(d.find("indicators[0].value"), std::string::npos) << d;
  EXPECT_NE(d.find("64 hex"), std::string::npos) << d;
  EXPECT_EQ(e.attempts, 0);
}

}  // namespace
