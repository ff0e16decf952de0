// Value lists, action_get, device/process lookups, aggregate and report over HTTP.
#include "emulator_test_support.hpp"
#include "util.hpp"

namespace falcon::emulator::testing {
namespace {

using LookupsTest = EmulatorTest;

TEST_F(LookupsTest, ValueListsPage) {
  json r = call_json("GET", "/iocs/queries/actions/v1", 200);
  EXPECT_EQ(r["resources"], json({"no_action", "allow", "prevent_no_ui", "prevent", "detect"}));
  EXPECT_EQ(r["meta"]["pagination"]["total"], 5);
  r = call_json("GET", "/iocs/queries/ioc-types/v1?limit=2&offset=3", 200);
  EXPECT_EQ(r["resources"], json({"ipv4", "ipv6"}));
  EXPECT_EQ(r["meta"]["pagination"]["offset"], 5);
  r = call_json("GET", "/iocs/queries/platforms/v1", 200);
  EXPECT_EQ(r["resources"], json({"windows", "mac", "linux", "ios", "android"}));
  r = call_json("GET", "/iocs/queries/severities/v1", 200);
  EXPECT_EQ(r["resources"], json({"informational", "low", "medium", "high", "critical"}));
  call_json("GET", "/iocs/queries/severities/v1?offset=x", 400);
}

TEST_F(LookupsTest, ActionGet) {
  json r = call_json("GET", "/iocs/entities/actions/v1?ids=detect&ids=prevent,nope", 200);
  ASSERT_EQ(r["resources"].size(), 2u);
  EXPECT_EQ(r["resources"][0]["id"], "detect");
  EXPECT_TRUE(r["resources"][0]["platforms_by_type"].contains("domain"));
  EXPECT_FALSE(r["resources"][1]["platforms_by_type"].contains("domain"));
  EXPECT_EQ(r["errors"][0]["code"], 404);
  call_json("GET", "/iocs/entities/actions/v1?ids=nope", 404);
}

TEST_F(LookupsTest, DevicesAndProcessesAreDeterministic) {
  // Find a value that some devices ran.
  std::string value;
  json count;
  for (int i = 0; i < 50 && value.empty(); ++i) {
    const std::string v = "host" + std::to_string(i) + ".example.com";
    count =
        call_json("GET", "/iocs/aggregates/indicators/device-count/v1?type=domain&value=" + v, 200);
    if (count["resources"][0]["device_count"].get<int>() > 0) value = v;
  }
  ASSERT_FALSE(value.empty());
  const int n = count["resources"][0]["device_count"];
  EXPECT_EQ(count["resources"][0]["type"], "domain");
  EXPECT_EQ(count["resources"][0]["limit_exceeded"], false);

  json legacy =
      call_json("GET", "/indicators/aggregates/devices-count/v1?type=domain&value=" + value, 200);
  EXPECT_EQ(legacy["resources"][0]["device_count"], n);
  EXPECT_TRUE(legacy["resources"][0].contains("id"));

  // Page through devices 1 at a time with the new route (string offset, no total).
  std::vector<std::string> devices;
  std::string offset = "0";
  for (int guard = 0; guard < 200; ++guard) {
    json page = call_json("GET",
                          "/iocs/queries/indicators/devices/v1?type=domain&limit=1&value=" + value +
                              "&offset=" + offset,
                          200);
    EXPECT_FALSE(page["meta"]["pagination"].contains("total"));
    if (page["resources"].empty()) break;
    devices.push_back(page["resources"][0]);
    offset = page["meta"]["pagination"]["offset"].get<std::string>();
  }
  EXPECT_EQ(static_cast<int>(devices.size()), n);
  json old = call_json("GET", "/indicators/queries/devices/v1?type=domain&value=" + value, 200);
  EXPECT_EQ(old["meta"]["pagination"]["total"], n);
  EXPECT_EQ(old["resources"][0], devices[0]);
  call_json("GET", "/indicators/queries/devices/v1?type=domain&limit=101&value=" + value, 400);

  const std::string q = "type=domain&value=" + value + "&device_id=" + devices[0];
  json procs = call_json("GET", "/iocs/queries/indicators/processes/v1?" + q, 200);
  ASSERT_FALSE(procs["resources"].empty());
  EXPECT_EQ(call_json("GET", "/indicators/queries/processes/v1?" + q, 200)["resources"],
            procs["resources"]);
  call_json("GET", "/iocs/queries/indicators/processes/v1?type=domain&value=" + value, 400);

  const std::string pid = procs["resources"][0];
  json detail = call_json("GET", "/processes/entities/processes/v1?ids=" + url_encode(pid), 200);
  ASSERT_EQ(detail["resources"].size(), 1u);
  EXPECT_EQ(detail["resources"][0]["device_id"], devices[0]);
  for (const char* f :
       {"command_line", "file_name", "process_id", "process_id_local", "start_timestamp",
        "start_timestamp_raw", "stop_timestamp", "stop_timestamp_raw"}) {
    EXPECT_TRUE(detail["resources"][0][f].is_string()) << f;
  }
  // Same input, same answer.
  EXPECT_EQ(
      call_json("GET", "/processes/entities/processes/v1?ids=" + url_encode(pid), 200)["resources"],
      detail["resources"]);
  call_json("GET", "/processes/entities/processes/v1", 400);
  call_json("GET", "/iocs/aggregates/indicators/device-count/v1?type=sha256&value=abc", 400);
}

TEST_F(LookupsTest, AggregateTermsAndFilters) {
  create({domain_item("a.example.com"), domain_item("b.example.com"), hash_item(1)});
  json r = call_json("POST", "/iocs/aggregates/indicators/v1", 200,
                     R"({"type":"terms","field":"type","name":"by_type","size":10})");
  ASSERT_EQ(r["resources"].size(), 1u);
  EXPECT_EQ(r["resources"][0]["name"], "by_type");
  std::map<std::string, int> counts;
  for (const auto& b : r["resources"][0]["buckets"]) {
    counts[b["label"].is_string() ? b["label"].get<std::string>() : b.value("key_as_string", "")] =
        b["count"];
  }
  EXPECT_EQ(counts["domain"], 2);
  EXPECT_EQ(counts["sha256"], 1);
  // The query filter narrows; an array body gets one result per request.
  r = call_json(
      "POST", "/iocs/aggregates/indicators/v1?filter=" + url_encode("type:'domain'"), 200,
      R"([{"type":"terms","field":"type","name":"a"},{"type":"terms","field":"action","name":"b"}])");
  ASSERT_EQ(r["resources"].size(), 2u);
  EXPECT_EQ(r["resources"][0]["buckets"].size(), 1u);
}

TEST_F(LookupsTest, Report) {
  json r = call_json(
      "POST", "/iocs/entities/indicators-reports/v1", 200,
      R"({"report_format":"csv","search":{"filter":"type:'domain'","query":"","sort":"value.asc"}})");
  ASSERT_EQ(r["resources"].size(), 1u);
  EXPECT_TRUE(r["resources"][0].is_string());
  call_json("POST", "/iocs/entities/indicators-reports/v1", 400,
            R"({"search":{"filter":"type:'","query":"","sort":""}})");
  call_json("POST", "/iocs/entities/indicators-reports/v1", 400,
            R"({"search":{"filter":"","sort":"colour"}})");
}

}  // namespace
}  // namespace falcon::emulator::testing
