// The SDK over real loopback HTTP (CurlTransport) against the emulator started in-process:
// every operation, round trips, row-level errors, auth, rate limits, validation and
// connection reuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixture.hpp"

namespace {

using falcon::ErrorKind;
using falcon::Response;
using falcon_it::domain_item;
using falcon_it::hash_item;
using falcon_it::kClientId;
using nlohmann::json;

bool is_hex(const std::string& s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_rfc3339(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$)");
  return std::regex_match(s, re);
}

std::vector<std::string> strings(const json& array) {
  std::vector<std::string> out;
  for (const auto& v : array) out.push_back(v.get<std::string>());
  return out;
}

std::set<std::string> string_set(const json& array) {
  const auto v = strings(array);
  return {v.begin(), v.end()};
}

std::set<std::string> id_set(const Response& r) {
  std::set<std::string> out;
  for (const auto& rec : r.resources()) out.insert(rec.at("id").get<std::string>());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string header(const Response& r, const char* name) {
  auto v = falcon::header_value(r.headers, name);
  return v ? std::string(*v) : std::string();
}

std::vector<std::string> ids_of(const Response& created) {
  std::vector<std::string> out;
  for (const auto& rec : created.resources()) out.push_back(rec.at("id").get<std::string>());
  return out;
}

// Passes requests to a real CurlTransport and remembers the last bearer token sent.
class BearerRecorder : public falcon::HttpTransport {
 public:
  falcon::TransportResult send(const falcon::HttpRequest& request) override {
    if (auto auth = falcon::header_value(request.headers, "Authorization")) {
      const std::string v(*auth);
      if (v.rfind("Bearer ", 0) == 0) {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = v.substr(7);
      }
    }
    return inner_.send(request);
  }
  std::string last_bearer() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  falcon::CurlTransport inner_;
  mutable std::mutex mu_;
  std::string last_;
};

class IocIntegration : public falcon_it::EmulatorTest {
 protected:
  // Creates through the SDK and insists on 201.
  std::vector<std::string> create(const falcon::IOC& ioc, const json& items) {
    falcon::IndicatorCreateOptions o;
    o.indicators = items;
    const Response r = ioc.indicator_create(o);
    EXPECT_EQ(r.status_code, 201) << r.body().dump();
    EXPECT_FALSE(r.error) << r.error->describe();
    return ids_of(r);
  }

  std::set<std::string> search(const falcon::IOC& ioc, const std::string& filter) {
    falcon::IndicatorSearchOptions o;
    o.filter = filter;
    o.limit = 500;
    const Response r = ioc.indicator_search(o);
    EXPECT_EQ(r.status_code, 200) << filter << ": " << r.body().dump();
    EXPECT_EQ(r.pagination().total.value_or(-1), static_cast<std::int64_t>(r.resources().size()))
        << filter;
    return string_set(r.resources());
  }

  // A domain the emulator's synthetic telemetry says ran on at least one host.
  std::string domain_with_devices(const falcon::IOC& ioc) {
    for (int i = 0; i < 50; ++i) {
      const std::string v = "lookup-" + std::to_string(i) + ".example.com";
      falcon::DevicesCountOptions o;
      o.type = "domain";
      o.value = v;
      const Response r = ioc.devices_count(o);
      EXPECT_EQ(r.status_code, 200) << r.body().dump();
      if (!r.ok()) break;
      if (r.resources_as<falcon::DeviceCount>().at(0).device_count > 0) return v;
    }
    ADD_FAILURE() << "no domain with devices among 50 candidates";
    return "lookup-0.example.com";
  }
};

// ---- 1. every operation ------------------------------------------------------------------

TEST_F(IocIntegration, AllTwentyOperationsAreServedOverHttp) {
  const falcon::IOC ioc = this->ioc();
  std::map<std::string, Response> replies;
  {
    falcon::IndicatorCreateOptions o;
    o.indicators = json::array({domain_item("all-ops.example.com"), hash_item(1)});
    replies["indicator_create"] = ioc.indicator_create(o);
  }
  const auto ids = ids_of(replies["indicator_create"]);
  ASSERT_EQ(ids.size(), 2U) << replies["indicator_create"].body().dump();
  {
    falcon::IndicatorAggregateOptions o;
    o.field = "type";
    o.type = "terms";
    o.name = "by_type";
    replies["indicator_aggregate"] = ioc.indicator_aggregate(o);
  }
  {
    falcon::IndicatorCombinedOptions o;
    o.filter = "type:'domain'";
    replies["indicator_combined"] = ioc.indicator_combined(o);
  }
  {
    falcon::ActionGetOptions o;
    o.ids = falcon::StringList{"detect"};
    replies["action_get"] = ioc.action_get(o);
  }
  {
    falcon::GetIndicatorsReportOptions o;
    o.filter = "type:'domain'";
    o.report_format = "csv";
    replies["get_indicators_report"] = ioc.get_indicators_report(o);
  }
  {
    falcon::IndicatorGetOptions o;
    o.ids = ids;
    replies["indicator_get"] = ioc.indicator_get(o);
  }
  {
    falcon::IndicatorUpdateOptions o;
    o.id = ids[0];
    o.severity = "critical";
    replies["indicator_update"] = ioc.indicator_update(o);
  }
  {
    falcon::IndicatorSearchOptions o;
    o.filter = "severity:'critical'";
    const Response r = ioc.indicator_search(o);
    replies["indicator_search"] = r;
    EXPECT_EQ(strings(r.resources()), std::vector<std::string>{ids[0]});
  }
  replies["action_query"] = ioc.action_query();
  replies["ioc_type_query"] = ioc.ioc_type_query();
  replies["platform_query"] = ioc.platform_query();
  replies["severity_query"] = ioc.severity_query();

  const std::string value = domain_with_devices(ioc);
  {
    falcon::DevicesCountOptions o;
    o.type = "domain";
    o.value = value;
    replies["devices_count"] = ioc.devices_count(o);
    replies["devices_count_legacy"] = ioc.devices_count_legacy(o);
  }
  std::string device;
  {
    falcon::DevicesRanOnOptions o;
    o.type = "domain";
    o.value = value;
    const Response r = ioc.devices_ran_on(o);
    replies["devices_ran_on"] = r;
    ASSERT_FALSE(r.resources().empty()) << r.body().dump();
    device = r.resources()[0].get<std::string>();
    replies["devices_ran_on_legacy"] = ioc.devices_ran_on_legacy(o);
  }
  std::string pid;
  {
    falcon::ProcessesRanOnOptions o;
    o.type = "domain";
    o.value = value;
    o.device_id = device;
    const Response r = ioc.processes_ran_on(o);
    replies["processes_ran_on"] = r;
    ASSERT_FALSE(r.resources().empty()) << r.body().dump();
    pid = r.resources()[0].get<std::string>();
    replies["processes_ran_on_legacy"] = ioc.processes_ran_on_legacy(o);
  }
  {
    falcon::EntitiesProcessesOptions o;
    o.ids = falcon::StringList{pid};
    replies["entities_processes"] = ioc.entities_processes(o);
  }
  {
    falcon::IndicatorDeleteOptions o;
    o.ids = falcon::StringList{ids[1]};
    replies["indicator_delete"] = ioc.indicator_delete(o);
  }

  ASSERT_EQ(replies.size(), 20U);
  std::set<std::string> traces;
  for (const auto& [op, r] : replies) {
    SCOPED_TRACE(op);
    EXPECT_EQ(r.status_code, op == "indicator_create" ? 201 : 200) << r.body().dump();
    EXPECT_TRUE(r.ok());
    // The envelope and the headers every reply carries.
    EXPECT_TRUE(r.body().contains("meta") && r.body().contains("errors") &&
                r.body().contains("resources"))
        << r.body().dump();
    EXPECT_FALSE(r.meta().value("trace_id", "").empty());
    EXPECT_EQ(header(r, "X-CS-TRACEID"), r.trace_id());
    EXPECT_FALSE(r.trace_id().empty());
    traces.insert(r.trace_id());
    EXPECT_TRUE(r.rate_limit().limit.has_value());
    EXPECT_TRUE(r.rate_limit().remaining.has_value());
    EXPECT_EQ(r.attempts, 1);
  }
  EXPECT_EQ(traces.size(), replies.size());
  // Each of the 20 operations reached its own METHOD + route on the emulator.
  std::set<std::string> api_routes;
  for (const auto& [route, n] : emu().counters().requests_per_route) {
    if (route.find("/oauth2/") == std::string::npos && n > 0) api_routes.insert(route);
  }
  EXPECT_EQ(api_routes.size(), 20U) << json(api_routes).dump();
}

TEST_F(IocIntegration, CreateAnswers201WithServerFilledRecords) {
  const falcon::IOC ioc = this->ioc();
  falcon::IndicatorCreateOptions built;  // one indicator built from the fields
  built.type = "domain";
  built.value = "built.example.com";
  built.action = "detect";
  built.severity = "high";
  built.platforms = falcon::StringList{"windows", "linux"};
  built.applied_globally = true;
  built.source = "built";
  built.tags = falcon::StringList{"t1"};
  built.comment = "created by the integration suite";
  const Response one = ioc.indicator_create(built);
  ASSERT_EQ(one.status_code, 201) << one.body().dump();

  falcon::IndicatorCreateOptions listed;  // via the operation-id alias and `indicators`
  listed.indicators = json::array({domain_item("listed.example.com"), hash_item(7)});
  const Response two = ioc.indicator_create_v1(listed);
  ASSERT_EQ(two.status_code, 201) << two.body().dump();
  EXPECT_EQ(two.meta()["writes"]["resources_affected"], 2);
  EXPECT_TRUE(two.ok());
  EXPECT_TRUE(two.api_errors().empty());

  auto records = one.resources_as<falcon::Indicator>();
  const auto more = two.resources_as<falcon::Indicator>();
  records.insert(records.end(), more.begin(), more.end());
  ASSERT_EQ(records.size(), 3U);
  std::set<std::string> seen;
  for (const auto& rec : records) {
    SCOPED_TRACE(rec.value);
    EXPECT_TRUE(is_hex(rec.id, 64)) << rec.id;
    EXPECT_TRUE(seen.insert(rec.id).second);
    ASSERT_TRUE(rec.created_on && rec.modified_on);
    EXPECT_TRUE(is_rfc3339(*rec.created_on)) << *rec.created_on;
    EXPECT_TRUE(is_rfc3339(*rec.modified_on)) << *rec.modified_on;
    EXPECT_EQ(rec.created_by.value_or(""), kClientId);
    EXPECT_EQ(rec.modified_by.value_or(""), kClientId);
    EXPECT_EQ(rec.deleted, std::optional<bool>(false));
    EXPECT_EQ(rec.expired, std::optional<bool>(false));
    EXPECT_EQ(rec.applied_globally, std::optional<bool>(true));
    EXPECT_FALSE(emu().indicator(rec.id).is_null());
  }
  EXPECT_EQ(records[0].type, "domain");
  EXPECT_EQ(records[0].value, "built.example.com");
  EXPECT_EQ(records[0].severity.value_or(""), "high");
  EXPECT_EQ(records[0].platforms, (std::vector<std::string>{"windows", "linux"}));
  EXPECT_EQ(records[0].tags, std::vector<std::string>{"t1"});
  EXPECT_EQ(records[2].type, "sha256");
  EXPECT_EQ(records[2].value, falcon_it::sha256_of(7));
  ASSERT_TRUE(records[2].metadata);
  EXPECT_EQ(records[2].metadata->filename.value_or(""), "f7.exe");
  EXPECT_EQ(emu().counters().indicators_created, 3U);
  // The comment reached the audit log of the write.
  const json audit = emu().audit_log();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0]["comment"], "created by the integration suite");
}

TEST_F(IocIntegration, GetCombinedAndSearchReturnRecordsAndIds) {
  const falcon::IOC ioc = this->ioc();
  auto ids = create(ioc, json::array({domain_item("one.gcs.example.com", "gcs"),
                                      domain_item("two.gcs.example.com", "gcs"),
                                      hash_item(3, "gcs"), domain_item("other.example.com")}));
  ASSERT_EQ(ids.size(), 4U);
  const std::set<std::string> gcs(ids.begin(), ids.begin() + 3);

  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList(ids.begin(), ids.begin() + 3);
  const Response got = ioc.indicator_get(get);
  ASSERT_EQ(got.status_code, 200) << got.body().dump();
  EXPECT_EQ(id_set(got), gcs);
  const Response got_alias = ioc.indicator_get_v1(get);
  EXPECT_EQ(got_alias.status_code, 200);
  EXPECT_EQ(got_alias.resources(), got.resources());

  falcon::IndicatorGetOptions missing;
  missing.ids = falcon::StringList{std::string(64, 'e')};
  const Response not_found = ioc.indicator_get(missing);
  EXPECT_EQ(not_found.status_code, 404);
  ASSERT_FALSE(not_found.api_errors().empty());
  EXPECT_EQ(not_found.api_errors()[0].code, 404);

  falcon::IndicatorCombinedOptions q;
  q.filter = "source:'gcs'";
  q.sort = "value.asc";
  const Response combined = ioc.indicator_combined(q);
  ASSERT_EQ(combined.status_code, 200) << combined.body().dump();
  EXPECT_EQ(combined.pagination().total, std::optional<std::int64_t>(3));
  const auto recs = combined.resources_as<falcon::Indicator>();
  ASSERT_EQ(recs.size(), 3U);
  EXPECT_EQ(recs[0].value, falcon_it::sha256_of(3));  // "c..." < "o..." < "t..."
  EXPECT_EQ(recs[1].value, "one.gcs.example.com");
  EXPECT_EQ(recs[2].value, "two.gcs.example.com");
  for (const auto& r : recs) EXPECT_EQ(r.source.value_or(""), "gcs");
  EXPECT_EQ(ioc.indicator_combined_v1(q).resources(), combined.resources());

  const Response searched = ioc.indicator_search(q);
  ASSERT_EQ(searched.status_code, 200);
  std::vector<std::string> expected_order;
  for (const auto& r : recs) expected_order.push_back(r.id);
  EXPECT_EQ(strings(searched.resources()), expected_order);  // ids, same order
  EXPECT_EQ(strings(ioc.indicator_search_v1(q).resources()), expected_order);
  EXPECT_FALSE(searched.trace_id().empty());
}

TEST_F(IocIntegration, AggregateAnswersTermsBuckets) {
  const falcon::IOC ioc = this->ioc();
  create(ioc, json::array({domain_item("a.agg.example.com", "agg"),
                           domain_item("b.agg.example.com", "agg"),
                           domain_item("c.agg.example.com", "agg"), hash_item(1, "agg"),
                           hash_item(2, "agg"), domain_item("elsewhere.example.com", "other")}));
  falcon::IndicatorAggregateOptions o;
  o.field = "type";
  o.type = "terms";
  o.name = "by_type";
  o.filter = "source:'agg'";
  o.size = 10;
  const Response r = ioc.indicator_aggregate(o);
  ASSERT_EQ(r.status_code, 200) << r.body().dump();
  ASSERT_EQ(r.resources().size(), 1U);
  const json& result = r.resources()[0];
  EXPECT_EQ(result["name"], "by_type");
  std::map<std::string, std::int64_t> buckets;
  for (const auto& b : result["buckets"]) {
    buckets[b["label"].get<std::string>()] = b["count"].get<std::int64_t>();
  }
  EXPECT_EQ(buckets, (std::map<std::string, std::int64_t>{{"domain", 3}, {"sha256", 2}}));

  const Response alias = ioc.indicator_aggregate_v1(o);
  EXPECT_EQ(alias.status_code, 200);
  EXPECT_EQ(alias.resources(), r.resources());
}

TEST_F(IocIntegration, ReportAnswersAReportId) {
  const falcon::IOC ioc = this->ioc();
  falcon::GetIndicatorsReportOptions o;
  o.filter = "type:'domain'";
  o.sort = "created_on.desc";
  o.report_format = "csv";
  const Response r = ioc.get_indicators_report(o);
  ASSERT_EQ(r.status_code, 200) << r.body().dump();
  ASSERT_EQ(r.resources().size(), 1U);
  ASSERT_TRUE(r.resources()[0].is_string());
  const std::string id = r.resources()[0].get<std::string>();
  EXPECT_FALSE(id.empty());

  const Response again = ioc.GetIndicatorsReport(o);
  ASSERT_EQ(again.status_code, 200);
  ASSERT_EQ(again.resources().size(), 1U);
  EXPECT_NE(again.resources()[0].get<std::string>(), id);  // a new report each time
}

TEST_F(IocIntegration, ValueListsCarryTheRealValues) {
  const falcon::IOC ioc = this->ioc();
  const auto check = [](const Response& r, std::vector<std::string> expected) {
    EXPECT_EQ(r.status_code, 200) << r.body().dump();
    EXPECT_EQ(sorted(strings(r.resources())), sorted(std::move(expected)));
    EXPECT_EQ(r.pagination().total, std::optional<std::int64_t>(r.resources().size()));
  };
  check(ioc.action_query(), {"no_action", "allow", "prevent_no_ui", "prevent", "detect"});
  check(ioc.ioc_type_query_v1(), {"sha256", "md5", "domain", "ipv4", "ipv6"});
  check(ioc.platform_query(), {"windows", "mac", "linux", "ios", "android"});
  check(ioc.severity_query_v1(), {"informational", "low", "medium", "high", "critical"});

  falcon::ActionQueryOptions page;
  page.limit = 2;
  page.offset = "1";
  const Response r = ioc.action_query_v1(page);
  ASSERT_EQ(r.status_code, 200);
  EXPECT_EQ(r.resources().size(), 2U);
  EXPECT_EQ(r.pagination().total, std::optional<std::int64_t>(5));
  EXPECT_EQ(r.pagination().offset, std::optional<std::int64_t>(3));  // the next offset
  const auto all = strings(ioc.action_query().resources());
  EXPECT_EQ(strings(r.resources()), (std::vector<std::string>{all.at(1), all.at(2)}));
}

TEST_F(IocIntegration, ActionGetReportsPlatformsByType) {
  const falcon::IOC ioc = this->ioc();
  falcon::ActionGetOptions o;
  o.ids = falcon::StringList{"prevent", "detect"};
  const Response r = ioc.action_get(o);
  ASSERT_EQ(r.status_code, 200) << r.body().dump();
  const auto actions = r.resources_as<falcon::Action>();
  ASSERT_EQ(actions.size(), 2U);
  std::map<std::string, falcon::Action> by_id;
  for (const auto& a : actions) by_id[a.id] = a;
  ASSERT_EQ(by_id.count("prevent"), 1U);
  ASSERT_EQ(by_id.count("detect"), 1U);

  const json& prevent = by_id["prevent"].platforms_by_type;
  std::set<std::string> prevent_types;
  for (const auto& [type, platforms] : prevent.items()) {
    prevent_types.insert(type);
    EXPECT_EQ(string_set(platforms), (std::set<std::string>{"windows", "mac", "linux"})) << type;
  }
  EXPECT_EQ(prevent_types, (std::set<std::string>{"md5", "sha256"}));  // hashes only

  std::set<std::string> detect_types;
  for (const auto& item : by_id["detect"].platforms_by_type.items())
    detect_types.insert(item.key());
  EXPECT_EQ(detect_types, (std::set<std::string>{"sha256", "md5", "domain", "ipv4", "ipv6"}));
  EXPECT_EQ(string_set(json(by_id["detect"].severities)),
            (std::set<std::string>{"informational", "low", "medium", "high", "critical"}));

  falcon::ActionGetOptions unknown;
  unknown.ids = falcon::StringList{"explode"};
  EXPECT_EQ(ioc.action_get_v1(unknown).status_code, 404);
}

TEST_F(IocIntegration, DeviceAndProcessLookupsAreDeterministic) {
  const falcon::IOC ioc = this->ioc();
  const std::string value = domain_with_devices(ioc);

  falcon::DevicesCountOptions count;
  count.type = "domain";
  count.value = value;
  const Response c1 = ioc.devices_count(count);
  const Response c2 = ioc.indicator_get_device_count_v1(count);
  ASSERT_EQ(c1.status_code, 200) << c1.body().dump();
  EXPECT_EQ(c1.resources(), c2.resources());
  const auto dc = c1.resources_as<falcon::DeviceCount>();
  ASSERT_EQ(dc.size(), 1U);
  EXPECT_EQ(dc[0].type, "domain");
  EXPECT_EQ(dc[0].value, value);
  const std::int64_t n = dc[0].device_count;
  ASSERT_GT(n, 0);
  const Response legacy = ioc.DevicesCount(count);
  ASSERT_EQ(legacy.status_code, 200) << legacy.body().dump();
  EXPECT_EQ(legacy.resources_as<falcon::DeviceCount>().at(0).device_count, n);
  EXPECT_EQ(ioc.devices_count_legacy(count).resources(), legacy.resources());

  falcon::DevicesRanOnOptions ran;
  ran.type = "domain";
  ran.value = value;
  ran.limit = 100;
  const Response d1 = ioc.devices_ran_on(ran);
  const Response d2 = ioc.indicator_get_devices_ran_on_v1(ran);
  ASSERT_EQ(d1.status_code, 200) << d1.body().dump();
  EXPECT_EQ(d1.resources(), d2.resources());
  EXPECT_EQ(static_cast<std::int64_t>(d1.resources().size()), std::min<std::int64_t>(n, 100));
  // api.DetectsQueryPaging: the next offset as a string, no total.
  EXPECT_EQ(d1.pagination().offset, std::optional<std::int64_t>(std::min<std::int64_t>(n, 100)));
  EXPECT_EQ(d1.pagination().offset_text,
            std::optional<std::string>(std::to_string(std::min<std::int64_t>(n, 100))));
  EXPECT_FALSE(d1.pagination().total.has_value());
  const Response d_legacy = ioc.DevicesRanOn(ran);
  ASSERT_EQ(d_legacy.status_code, 200) << d_legacy.body().dump();
  EXPECT_EQ(d_legacy.resources(), d1.resources());  // same hosts on the legacy route
  EXPECT_EQ(d_legacy.pagination().total, std::optional<std::int64_t>(n));  // legacy has total
  EXPECT_EQ(ioc.devices_ran_on_legacy(ran).resources(), d1.resources());

  std::vector<std::string> devices;
  falcon::DevicesRanOnOptions paged = ran;
  paged.limit = 7;
  const Response last = falcon::devices_ran_on_all(ioc, paged, [&](Response& page) {
    for (const auto& d : page.resources()) devices.push_back(d.get<std::string>());
    return true;
  });
  ASSERT_TRUE(last.ok()) << last.body().dump();
  EXPECT_EQ(static_cast<std::int64_t>(devices.size()), n);
  EXPECT_EQ(std::set<std::string>(devices.begin(), devices.end()).size(), devices.size());
  for (const auto& d : devices) EXPECT_TRUE(is_hex(d, 32)) << d;

  falcon::ProcessesRanOnOptions procs;
  procs.type = "domain";
  procs.value = value;
  procs.device_id = devices[0];
  const Response p1 = ioc.processes_ran_on(procs);
  const Response p2 = ioc.indicator_get_processes_ran_on_v1(procs);
  ASSERT_EQ(p1.status_code, 200) << p1.body().dump();
  ASSERT_FALSE(p1.resources().empty());
  EXPECT_EQ(p1.resources(), p2.resources());
  const Response p_legacy = ioc.ProcessesRanOn(procs);
  ASSERT_EQ(p_legacy.status_code, 200) << p_legacy.body().dump();
  EXPECT_EQ(p_legacy.resources(), p1.resources());
  EXPECT_EQ(ioc.processes_ran_on_legacy(procs).resources(), p1.resources());
  const std::regex pid_re("^pid:" + devices[0] + ":[0-9]+$");
  const auto pids = strings(p1.resources());
  for (const auto& p : pids) EXPECT_TRUE(std::regex_match(p, pid_re)) << p;

  falcon::EntitiesProcessesOptions details;
  details.ids =
      falcon::StringList(pids.begin(), pids.begin() + std::min<std::size_t>(2, pids.size()));
  const Response e1 = ioc.entities_processes(details);
  const Response e2 = ioc.entities_processes(details);
  ASSERT_EQ(e1.status_code, 200) << e1.body().dump();
  EXPECT_EQ(e1.resources(), e2.resources());
  const auto pd = e1.resources_as<falcon::ProcessDetail>();
  ASSERT_EQ(pd.size(), details.ids->size());
  for (std::size_t i = 0; i < pd.size(); ++i) {
    EXPECT_EQ(pd[i].device_id, devices[0]);
    EXPECT_EQ("pid:" + devices[0] + ":" + pd[i].process_id, (*details.ids)[i]);
    EXPECT_FALSE(pd[i].file_name.empty());
    EXPECT_TRUE(is_rfc3339(pd[i].start_timestamp)) << pd[i].start_timestamp;
  }

  // A host that did not see the indicator has no processes for it.
  procs.device_id = std::string(32, '0');
  const Response none = ioc.processes_ran_on(procs);
  EXPECT_EQ(none.status_code, 200);
  EXPECT_TRUE(none.resources().empty());
}

// ---- 2. round trips ----------------------------------------------------------------------

TEST_F(IocIntegration, CreateSearchGetUpdateDeleteRoundTrip) {
  const falcon::IOC ioc = this->ioc();
  json alpha_x = domain_item("alpha.x.example.com", "x");
  alpha_x["description"] = "to be reset";
  const auto a =
      create(ioc, json::array({alpha_x, domain_item("beta.x.example.com", "x"),
                               domain_item("gamma.x.example.net", "x"), hash_item(1, "x")}));
  const auto b =
      create(ioc, json::array({domain_item("alpha.y.example.com", "y"),
                               domain_item("beta.y.example.org", "y"), hash_item(2, "y")}));
  ASSERT_EQ(a.size(), 4U);
  ASSERT_EQ(b.size(), 3U);
  const std::string &alpha = a[0], &beta = a[1], &gamma = a[2], &hash1 = a[3];
  const std::string &alpha_y = b[0], &beta_y = b[1], &hash2 = b[2];

  // FQL: AND, wildcards, sets, OR, dates.
  EXPECT_EQ(search(ioc, "type:'domain'+source:'x'"), (std::set<std::string>{alpha, beta, gamma}));
  EXPECT_EQ(search(ioc, "value:*'*.example.com'"), (std::set<std::string>{alpha, beta, alpha_y}));
  EXPECT_EQ(search(ioc, "value:'alpha.*'"), (std::set<std::string>{alpha, alpha_y}));
  EXPECT_EQ(search(ioc, "type:['sha256','md5']"), (std::set<std::string>{hash1, hash2}));
  EXPECT_EQ(search(ioc, "source:['y']+type:!'sha256'"), (std::set<std::string>{alpha_y, beta_y}));
  EXPECT_EQ(search(ioc, "value:'gamma.x.example.net',value:'beta.y.example.org'"),
            (std::set<std::string>{gamma, beta_y}));
  const std::string a_last = emu().indicator(hash1)["created_on"].get<std::string>();
  EXPECT_EQ(search(ioc, "created_on:>'" + a_last + "'"), std::set<std::string>(b.begin(), b.end()));
  EXPECT_EQ(search(ioc, "created_on:<='" + a_last + "'"),
            std::set<std::string>(a.begin(), a.end()));
  EXPECT_TRUE(search(ioc, "created_on:<'2000-01-01'").empty());

  // get
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList{alpha};
  auto fetch = [&] {
    const Response r = ioc.indicator_get(get);
    EXPECT_EQ(r.status_code, 200) << r.body().dump();
    auto recs = r.resources_as<falcon::Indicator>();
    return recs.empty() ? falcon::Indicator{} : recs[0];
  };
  const falcon::Indicator before = fetch();
  EXPECT_EQ(before.value, "alpha.x.example.com");
  EXPECT_EQ(before.description.value_or(""), "to be reset");
  EXPECT_EQ(before.severity.value_or(""), "high");

  // update: a severity change from the built fields
  falcon::IndicatorUpdateOptions sev;
  sev.id = alpha;
  sev.severity = "critical";
  sev.comment = "raise";
  const Response up = ioc.indicator_update(sev);
  ASSERT_EQ(up.status_code, 200) << up.body().dump();
  ASSERT_EQ(up.resources().size(), 1U);
  EXPECT_EQ(up.resources()[0]["severity"], "critical");
  const falcon::Indicator raised = fetch();
  EXPECT_EQ(raised.severity.value_or(""), "critical");
  EXPECT_EQ(raised.description.value_or(""), "to be reset");  // omitted: kept
  EXPECT_EQ(raised.created_on, before.created_on);
  EXPECT_NE(raised.modified_on, before.modified_on);

  // update: an explicit JSON null resets description
  falcon::IndicatorUpdateOptions reset;
  reset.indicators = json::array({{{"id", alpha}, {"description", nullptr}}});
  const Response cleared = ioc.indicator_update_v1(reset);
  ASSERT_EQ(cleared.status_code, 200) << cleared.body().dump();
  const falcon::Indicator after = fetch();
  EXPECT_FALSE(after.description.has_value());
  EXPECT_EQ(after.severity.value_or(""), "critical");

  // update: bulk_update by filter
  falcon::IndicatorUpdateOptions bulk;
  bulk.bulk_update = json{{"filter", "source:'y'"}, {"severity", "low"}};
  const Response bulked = ioc.indicator_update(bulk);
  ASSERT_EQ(bulked.status_code, 200) << bulked.body().dump();
  EXPECT_EQ(bulked.meta()["writes"]["resources_affected"], 3);
  EXPECT_EQ(id_set(bulked), std::set<std::string>(b.begin(), b.end()));
  EXPECT_EQ(search(ioc, "severity:'low'"), std::set<std::string>(b.begin(), b.end()));

  // delete by ids
  falcon::IndicatorDeleteOptions by_ids;
  by_ids.ids = falcon::StringList{beta, gamma};
  by_ids.comment = "cleanup";
  const Response del1 = ioc.indicator_delete(by_ids);
  ASSERT_EQ(del1.status_code, 200) << del1.body().dump();
  EXPECT_EQ(string_set(del1.resources()), (std::set<std::string>{beta, gamma}));

  // delete by filter
  falcon::IndicatorDeleteOptions by_filter;
  by_filter.filter = "source:'y'";
  const Response del2 = ioc.indicator_delete_v1(by_filter);
  ASSERT_EQ(del2.status_code, 200) << del2.body().dump();
  EXPECT_EQ(string_set(del2.resources()), std::set<std::string>(b.begin(), b.end()));

  // The deleted ones are found with deleted:true and nowhere else.
  EXPECT_EQ(search(ioc, "deleted:true"),
            (std::set<std::string>{beta, gamma, alpha_y, beta_y, hash2}));
  EXPECT_EQ(search(ioc, "type:'domain'"), std::set<std::string>{alpha});
  EXPECT_TRUE(search(ioc, "source:'y'").empty());
  EXPECT_EQ(search(ioc, "deleted:false"), (std::set<std::string>{alpha, hash1}));
  EXPECT_EQ(emu().indicator(beta)["deleted"], true);  // soft delete: still stored
  EXPECT_EQ(emu().indicator_count(), 7U);
}

// ---- 3. row-level errors and ignore_warnings ---------------------------------------------

TEST_F(IocIntegration, RowErrorRefusesTheWholeCreate) {
  falcon::Config cfg = config();
  cfg.validate = false;  // let the bad row reach the server
  const falcon::IOC ioc(cfg);
  json bad = hash_item(1);
  bad["value"] = "not-a-sha256";
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({domain_item("good.example.com"), bad});
  const Response r = ioc.indicator_create(o);
  ASSERT_EQ(r.status_code, 400) << r.body().dump();
  EXPECT_FALSE(r.error.has_value());  // an API error, not an SDK one
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.api_errors().empty());
  EXPECT_EQ(r.api_errors()[0].code, 400);
  EXPECT_FALSE(r.api_errors()[0].message.empty());
  const auto rows = r.resources_as<falcon::RowMessage>();
  ASSERT_FALSE(rows.empty()) << r.body().dump();
  for (const auto& row : rows) EXPECT_EQ(row.row, 2) << row.message;  // only the bad row
  const auto value_row = std::find_if(rows.begin(), rows.end(), [](const falcon::RowMessage& m) {
    return m.field_name == "value";
  });
  ASSERT_NE(value_row, rows.end()) << r.body().dump();
  EXPECT_EQ(value_row->message_type, "error");
  EXPECT_TRUE(value_row->is_error());
  EXPECT_EQ(value_row->type, "sha256");
  EXPECT_EQ(value_row->value, "not-a-sha256");
  EXPECT_FALSE(value_row->message.empty());
  // Nothing was created, not even the good row.
  EXPECT_EQ(emu().indicator_count(), 0U);
  EXPECT_EQ(emu().counters().indicators_created, 0U);
  EXPECT_TRUE(search(ioc, "value:'good.example.com'").empty());

  // With validation on, the SDK refuses the same request without sending it.
  const auto before = emu().counters().requests_per_route;
  const Response refused = this->ioc().indicator_create(o);
  EXPECT_EQ(refused.status_code, 0);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->kind, ErrorKind::validation);
  EXPECT_EQ(refused.error->field.rfind("indicators[1]", 0), 0U) << refused.error->field;
  EXPECT_EQ(emu().counters().requests_per_route, before);
}

TEST_F(IocIntegration, WarningOnlyCreateNeedsIgnoreWarnings) {
  const falcon::IOC ioc = this->ioc();
  json item = domain_item("expired.example.com");
  item["expiration"] = "2020-01-01T00:00:00Z";  // in the past: a warning, not an error
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({item});

  const Response warned = ioc.indicator_create(o);
  ASSERT_EQ(warned.status_code, 400) << warned.body().dump();
  ASSERT_FALSE(warned.api_errors().empty());
  const auto rows = warned.resources_as<falcon::RowMessage>();
  ASSERT_EQ(rows.size(), 1U) << warned.body().dump();
  EXPECT_EQ(rows[0].row, 1);
  EXPECT_EQ(rows[0].message_type, "warning");
  EXPECT_FALSE(rows[0].is_error());
  EXPECT_EQ(rows[0].field_name, "expiration");
  EXPECT_EQ(emu().indicator_count(), 0U);

  o.ignore_warnings = true;
  const Response created = ioc.indicator_create(o);
  ASSERT_EQ(created.status_code, 201) << created.body().dump();
  const auto recs = created.resources_as<falcon::Indicator>();
  ASSERT_EQ(recs.size(), 1U);
  EXPECT_EQ(recs[0].expired, std::optional<bool>(true));  // kept, but expired (spec §5.5)
  EXPECT_EQ(recs[0].action.value_or(""), "no_action");
  EXPECT_EQ(emu().indicator_count(), 1U);

  // ignore_warnings does not let errors through.
  json bad = domain_item("bad-action.example.com");
  bad["action"] = "prevent";  // prevent applies to hashes only
  falcon::IndicatorCreateOptions err;
  err.indicators = json::array({bad});
  err.ignore_warnings = true;
  falcon::Config cfg = config();
  cfg.validate = false;
  const Response refused = falcon::IOC(cfg).indicator_create(err);
  ASSERT_EQ(refused.status_code, 400) << refused.body().dump();
  const auto err_rows = refused.resources_as<falcon::RowMessage>();
  ASSERT_FALSE(err_rows.empty());
  EXPECT_EQ(err_rows[0].field_name, "action");
  EXPECT_TRUE(err_rows[0].is_error());
  EXPECT_EQ(emu().indicator_count(), 1U);
}

TEST_F(IocIntegration, DuplicateTypeAndValueIsReportedPerRow) {
  const falcon::IOC ioc = this->ioc();
  create(ioc, json::array({domain_item("dup.example.com")}));
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({domain_item("fresh.example.com"), domain_item("dup.example.com")});
  const Response r = ioc.indicator_create(o);
  ASSERT_EQ(r.status_code, 400) << r.body().dump();
  const auto rows = r.resources_as<falcon::RowMessage>();
  ASSERT_EQ(rows.size(), 1U) << r.body().dump();
  EXPECT_EQ(rows[0].row, 2);
  EXPECT_EQ(rows[0].type, "domain");
  EXPECT_EQ(rows[0].value, "dup.example.com");
  EXPECT_TRUE(rows[0].is_error());
  EXPECT_NE(rows[0].message.find("uplicate"), std::string::npos) << rows[0].message;
  EXPECT_EQ(emu().indicator_count(), 1U);  // "fresh" was not created either

  // A duplicate inside one request is reported on its second row.
  o.indicators = json::array({domain_item("twice.example.com"), domain_item("twice.example.com")});
  const Response twice = ioc.indicator_create(o);
  ASSERT_EQ(twice.status_code, 400) << twice.body().dump();
  const auto twice_rows = twice.resources_as<falcon::RowMessage>();
  ASSERT_EQ(twice_rows.size(), 1U);
  EXPECT_EQ(twice_rows[0].row, 2);

  // Once deleted, the same type+value may be created again.
  falcon::IndicatorDeleteOptions del;
  del.filter = "value:'dup.example.com'";
  ASSERT_EQ(ioc.indicator_delete(del).status_code, 200);
  o.indicators = json::array({domain_item("dup.example.com")});
  EXPECT_EQ(ioc.indicator_create(o).status_code, 201);
}

TEST_F(IocIntegration, UpdateOfAnUnknownIdIsARowError) {
  falcon::Config cfg = config();
  cfg.validate = false;
  const falcon::IOC ioc(cfg);
  const auto ids = create(ioc, json::array({domain_item("known.example.com")}));
  ASSERT_EQ(ids.size(), 1U);
  falcon::IndicatorUpdateOptions o;
  o.indicators = json::array(
      {{{"id", ids[0]}, {"severity", "low"}}, {{"id", std::string(64, 'f')}, {"severity", "low"}}});
  const Response r = ioc.indicator_update(o);
  ASSERT_EQ(r.status_code, 400) << r.body().dump();
  const auto rows = r.resources_as<falcon::RowMessage>();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].row, 2);
  EXPECT_EQ(rows[0].field_name, "id");
  EXPECT_EQ(emu().indicator(ids[0])["severity"], "high");  // the good row was not applied
}

// ---- 5. 401 after revoke -----------------------------------------------------------------

TEST_F(IocIntegration, RevokedTokenGets401AndANormalClientLogsInAgain) {
  auto recorder = std::make_shared<BearerRecorder>();
  falcon::Config cfg = config();
  cfg.transport = recorder;
  const falcon::IOC ioc(cfg);
  ASSERT_EQ(ioc.action_query().status_code, 200);
  const std::string token = recorder->last_bearer();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(emu().counters().tokens_issued, 1U);

  falcon::Config token_only;
  token_only.base_url = emu().base_url();
  token_only.access_token = token;
  const falcon::IOC borrowed(token_only);
  ASSERT_EQ(borrowed.action_query().status_code, 200);  // the token is good before revoke

  const Response revoked = ioc.client().revoke();
  ASSERT_EQ(revoked.status_code, 200) << revoked.body().dump();
  EXPECT_EQ(emu().counters().requests_per_route["POST /oauth2/revoke"], 1U);
  EXPECT_FALSE(ioc.client().token_expiry().has_value());

  const Response denied = borrowed.action_query();
  EXPECT_EQ(denied.status_code, 401) << denied.body().dump();
  ASSERT_TRUE(denied.error.has_value());
  EXPECT_EQ(denied.error->kind, ErrorKind::auth);
  ASSERT_FALSE(denied.api_errors().empty());
  EXPECT_EQ(denied.api_errors()[0].code, 401);
  EXPECT_EQ(denied.rate_limit().limit, std::optional<std::int64_t>(15));
  EXPECT_FALSE(denied.trace_id().empty());
  EXPECT_EQ(emu().counters().tokens_issued, 1U);  // a token-only client never logs in

  // The normal client fetches a new token and carries on.
  const Response again = ioc.action_query();
  EXPECT_EQ(again.status_code, 200) << again.body().dump();
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(emu().counters().tokens_issued, 2U);
  EXPECT_NE(recorder->last_bearer(), token);
  EXPECT_TRUE(ioc.client().token_expiry().has_value());
}

TEST_F(IocIntegration, ExpiredTokenIsRenewedTransparently) {
  const falcon::IOC ioc = this->ioc();
  ASSERT_EQ(ioc.platform_query().status_code, 200);
  emu().expire_tokens();
  const Response r = ioc.platform_query();
  EXPECT_EQ(r.status_code, 200) << r.body().dump();
  EXPECT_EQ(emu().counters().tokens_issued, 2U);
  EXPECT_EQ(emu().counters().requests_per_route["GET /iocs/queries/platforms/v1"], 3U);
}

TEST_F(IocIntegration, BadCredentialsAreAnAuthError) {
  falcon::Config cfg = config();
  cfg.client_secret = "wrong";
  const Response r = falcon::IOC(cfg).action_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, ErrorKind::auth);
  EXPECT_EQ(emu().counters().requests_per_route["GET /iocs/queries/actions/v1"], 0U);
  EXPECT_EQ(emu().counters().tokens_issued, 0U);
}

// ---- 6. 429 with its headers -------------------------------------------------------------

class RateLimitIntegration : public IocIntegration {
 protected:
  void customize(falcon::emulator::Options& o) override { o.rate_limit_per_minute = 5; }
};

TEST_F(RateLimitIntegration, SixthCallGets429WithItsHeaders) {
  falcon::Config cfg = config();
  cfg.retry = falcon::RetryPolicy::none();
  std::vector<std::chrono::milliseconds> sleeps;
  cfg.sleeper = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };  // never really wait
  const falcon::IOC ioc(cfg);

  std::set<std::string> traces;
  for (int i = 0; i < 5; ++i) {
    const Response r = ioc.severity_query();
    ASSERT_EQ(r.status_code, 200) << i << ": " << r.body().dump();
    EXPECT_EQ(r.rate_limit().limit, std::optional<std::int64_t>(5));
    EXPECT_EQ(r.rate_limit().remaining, std::optional<std::int64_t>(4 - i));
    EXPECT_FALSE(r.rate_limit().retry_after.has_value());
    EXPECT_FALSE(r.trace_id().empty());
    EXPECT_EQ(header(r, "X-CS-TRACEID"), r.trace_id());
    traces.insert(r.trace_id());
  }
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(emu().now().time_since_epoch()).count();
  const Response r = ioc.severity_query();
  EXPECT_EQ(r.status_code, 429) << r.body().dump();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, ErrorKind::rate_limited);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(header(r, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(r, "X-RateLimit-Limit"), "5");
  EXPECT_EQ(r.rate_limit().remaining, std::optional<std::int64_t>(0));
  EXPECT_EQ(r.rate_limit().limit, std::optional<std::int64_t>(5));
  const std::string retry_header = header(r, "X-RateLimit-RetryAfter");
  ASSERT_FALSE(retry_header.empty());
  ASSERT_TRUE(std::all_of(retry_header.begin(), retry_header.end(), [](char c) {
    return c >= '0' && c <= '9';
  })) << retry_header;
  const std::int64_t retry_at = std::stoll(retry_header);  // epoch seconds
  EXPECT_GE(retry_at, now_s);
  EXPECT_LE(retry_at, now_s + 61);
  ASSERT_TRUE(r.rate_limit().retry_after.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                r.rate_limit().retry_after->time_since_epoch())
                .count(),
            retry_at);
  ASSERT_FALSE(r.api_errors().empty());
  EXPECT_EQ(r.api_errors()[0].code, 429);
  EXPECT_FALSE(r.trace_id().empty());
  EXPECT_EQ(header(r, "X-CS-TRACEID"), r.trace_id());
  traces.insert(r.trace_id());
  EXPECT_EQ(traces.size(), 6U);  // a new trace id per reply
  EXPECT_EQ(emu().counters().requests_per_route["GET /iocs/queries/severities/v1"], 6U);
  EXPECT_FALSE(sleeps.empty());  // the SDK paced itself as Remaining ran low (no real sleep)

  // The window slides: a minute later the budget is back.
  emu().advance_clock(std::chrono::seconds(61));
  falcon::Config fresh = cfg;
  fresh.sleeper = [](std::chrono::milliseconds) {};
  const Response later = falcon::IOC(fresh).severity_query();  // new client: new token too
  EXPECT_EQ(later.status_code, 200) << later.body().dump();
}

// ---- 7. SDK-side validation never reaches the emulator -----------------------------------

TEST_F(IocIntegration, ValidationErrorsNeverReachTheEmulator) {
  const falcon::IOC warm = this->ioc();
  ASSERT_EQ(warm.action_query().status_code, 200);
  const falcon::emulator::Counters before = emu().counters();

  const falcon::IOC ioc = this->ioc();  // a fresh client
  std::vector<std::pair<std::string, Response>> results;
  results.emplace_back("indicator_get without ids", ioc.indicator_get());
  results.emplace_back("entities_processes without ids", ioc.entities_processes());
  {
    falcon::IndicatorCreateOptions o;
    json bad = hash_item(1);
    bad["value"] = "xyz";
    o.indicators = json::array({bad});
    results.emplace_back("create with a bad sha256", ioc.indicator_create(o));
  }
  {
    falcon::IndicatorCreateOptions o;
    o.indicators = json::array();
    for (int i = 0; i < 2001; ++i) o.indicators->push_back(hash_item(i));
    results.emplace_back("create of 2001", ioc.indicator_create(o));
  }
  {
    falcon::IndicatorSearchOptions o;
    o.sort = "no_such_field.asc";
    results.emplace_back("search with a bad sort", ioc.indicator_search(o));
  }
  {
    falcon::IndicatorSearchOptions o;
    o.offset = 9000;
    o.limit = 2000;
    results.emplace_back("search past 10,000", ioc.indicator_search(o));
  }
  {
    falcon::IndicatorCombinedOptions o;
    o.offset = 0;
    o.after = "abc";
    results.emplace_back("combined with offset and after", ioc.indicator_combined(o));
  }
  results.emplace_back("unscoped delete", ioc.indicator_delete());
  {
    // A read: only the type is checked client-side (a bad value is the API's to judge).
    falcon::DevicesCountOptions o;
    o.type = "hostname";
    o.value = "nothex";
    results.emplace_back("devices_count with an unknown type", ioc.devices_count(o));
  }
  {
    falcon::DevicesCountOptions o;
    o.value = "example.com";
    results.emplace_back("devices_count without type", ioc.devices_count_legacy(o));
  }
  {
    falcon::ProcessesRanOnOptions o;
    o.type = "sha1";
    o.value = "example.com";
    o.device_id = "not-a-device";
    results.emplace_back("processes_ran_on with an unknown type", ioc.processes_ran_on(o));
  }
  for (const auto& [what, r] : results) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status_code, 0);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind, ErrorKind::validation) << r.error->describe();
    EXPECT_FALSE(r.error->field.empty()) << r.error->describe();
    EXPECT_EQ(r.error->attempts, 0);
  }
  // The only requests: the API's list of types, asked once for the two types the SDK does not
  // know ("hostname", "sha1"; extensible enums, falcon/indicators.hpp), and its token.
  falcon::emulator::Counters after = emu().counters();
  EXPECT_EQ(after.requests_total, before.requests_total + 2);
  EXPECT_EQ(after.requests_per_route["GET /iocs/queries/ioc-types/v1"], 1u);
  after.requests_per_route.erase("GET /iocs/queries/ioc-types/v1");
  after.requests_per_route["POST /oauth2/token"] -= 1;
  EXPECT_EQ(after.requests_per_route, before.requests_per_route);
  EXPECT_EQ(after.tokens_issued, before.tokens_issued + 1);
}

// ---- 8. connection reuse -----------------------------------------------------------------

TEST_F(IocIntegration, HundredSequentialGetsReuseOneConnection) {
  const auto ids = emu().add_indicators(json::array({domain_item("reuse.example.com")}));
  ASSERT_EQ(ids.size(), 1U);
  ASSERT_EQ(emu().counters().connections, 0U);
  const falcon::IOC ioc = this->ioc();
  falcon::IndicatorGetOptions o;
  o.ids = ids;
  for (int i = 0; i < 100; ++i) {
    const Response r = ioc.indicator_get(o);
    ASSERT_EQ(r.status_code, 200) << i << ": " << r.body().dump();
    ASSERT_EQ(r.attempts, 1);
  }
  const auto c = emu().counters();
  EXPECT_EQ(c.requests_per_route.at("GET /iocs/entities/indicators/v1"), 100U);
  EXPECT_EQ(c.tokens_issued, 1U);
  EXPECT_EQ(c.requests_total, 101U);  // 100 gets + 1 token
  EXPECT_GE(c.connections, 1U);
  EXPECT_LE(c.connections, 2U);  // one keep-alive connection (+1 if the token used its own)
}

}  // namespace
