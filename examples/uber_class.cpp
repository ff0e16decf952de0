// uber_class: every IOC operation through falcon::APIHarness::command(), the Uber class, which
// takes an operation id with raw query parameters and a raw JSON body, like FalconPy's
// APIHarnessV2. Same client, endpoint table, retries and validation as falcon::IOC.
#include "example_support.hpp"

int main() {
  falcon::Client client(example::config_from_env("uber_class"));
  falcon::APIHarness uber(client);
  example::Steps steps("uber_class");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-uber-" + run;
  const std::string domain = "uber-" + run + ".falcon-cpp.example";
  std::printf("uber_class against %s (source %s)\n", client.base_url().c_str(), source.c_str());

  // command() with a query and/or a body.
  const auto call = [&](const std::string& op, nlohmann::json query,
                        std::optional<nlohmann::json> body = std::nullopt) {
    falcon::CommandOptions o;
    if (!query.is_null()) o.parameters = std::move(query);
    o.body = std::move(body);
    auto r = uber.command(op, o);
    steps.check(op, r);
    return r;
  };

  example::Steps::section("1. write");
  auto created = call("indicator_create_v1", {{"comment", "falcon-cpp uber_class example"}},
                      nlohmann::json{{"indicators",
                                      {{{"type", "domain"},
                                        {"value", domain},
                                        {"action", "detect"},
                                        {"severity", "medium"},
                                        {"platforms", {"windows", "linux"}},
                                        {"applied_globally", true},
                                        {"source", source}}}}});
  std::string id;
  if (created.ok() && !created.resources().empty()) {
    id = created.resources()[0].value("id", "");
  }
  if (id.empty()) return steps.finish();
  call("indicator_update_v1", nullptr,
       nlohmann::json{{"indicators", {{{"id", id}, {"severity", "high"}}}}});

  example::Steps::section("2. read");
  const std::string filter = example::by_source(source);
  auto found = call("indicator_search_v1", {{"filter", filter}, {"limit", 10}});
  steps.expect(found.resources().size() == 1, "indicator_search_v1 finds it");
  call("indicator_combined_v1", {{"filter", filter}, {"sort", "created_on.desc"}});
  auto got = call("indicator_get_v1", {{"ids", {id}}});
  steps.expect(got.resources().size() == 1 && got.resources()[0].value("severity", "") == "high",
               "indicator_get_v1 shows the update");
  call("indicator_aggregate_v1", nullptr,
       nlohmann::json{{"type", "terms"}, {"field", "type"}, {"name", "t"}, {"filter", filter}});
  call("GetIndicatorsReport", nullptr,
       nlohmann::json{{"report_format", "csv"}, {"search", {{"filter", filter}}}});

  example::Steps::section("3. value lists");
  auto actions = call("action_query_v1", {{"limit", 10}});
  falcon::StringList action_ids;
  for (const auto& a : actions.resources()) action_ids.push_back(a.get<std::string>());
  call("action_get_v1", {{"ids", action_ids}});
  call("ioc_type_query_v1", nullptr);
  call("platform_query_v1", nullptr);
  call("severity_query_v1", nullptr);

  example::Steps::section("4. devices and processes (a sample hash that hosts saw)");
  const std::string hash(64, 'a');
  const nlohmann::json lookup = {{"type", "sha256"}, {"value", hash}};
  call("indicator_get_device_count_v1", lookup);
  call("DevicesCount", lookup);
  auto hosts =
      call("indicator_get_devices_ran_on_v1", {{"type", "sha256"}, {"value", hash}, {"limit", 2}});
  call("DevicesRanOn", {{"type", "sha256"}, {"value", hash}, {"limit", 2}});
  if (hosts.resources().empty()) {
    steps.skip("no host saw the sample hash; process lookups not shown");
  } else {
    const std::string device = hosts.resources()[0].get<std::string>();
    nlohmann::json q = {{"type", "sha256"}, {"value", hash}, {"device_id", device}, {"limit", 2}};
    auto procs = call("indicator_get_processes_ran_on_v1", q);
    call("ProcessesRanOn", q);
    falcon::StringList pids;
    for (const auto& p : procs.resources()) pids.push_back(p.get<std::string>());
    if (pids.empty()) {
      steps.skip("no process ids for the host");
    } else {
      call("entities_processes", {{"ids", pids}});
    }
  }

  example::Steps::section("5. delete (operation ids, dotted spec ids and PEP 8 names all work)");
  call("indicator.delete.v1", {{"ids", {id}}, {"comment", "falcon-cpp uber_class example"}});
  auto left = call("indicator_search", {{"filter", filter}});
  steps.expect(left.resources().empty(), "nothing of this run is left");
  return steps.finish();
}
