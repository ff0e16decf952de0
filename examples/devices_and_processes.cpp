// devices_and_processes: where has an indicator been seen? New routes and their legacy twins:
//   devices_count    (indicator_get_device_count_v1, GET
//   /iocs/aggregates/indicators/device-count/v1) devices_ran_on   (indicator_get_devices_ran_on_v1,
//   GET /iocs/queries/indicators/devices/v1) processes_ran_on (indicator_get_processes_ran_on_v1,
//   GET /iocs/queries/indicators/processes/v1) devices_count_legacy / devices_ran_on_legacy /
//   processes_ran_on_legacy (DevicesCount,
//     DevicesRanOn, ProcessesRanOn: the /indicators/... routes, scope iocs:read)
//   entities_processes (GET /processes/entities/processes/v1, scope iocs:read): process details
//
//   ./devices_and_processes [TYPE VALUE]   (default: the first of a few sample hashes that has
//   hits)
#include "example_support.hpp"

int main(int argc, char** argv) {
  falcon::IOC ioc(example::config_from_env("devices_and_processes"));
  example::Steps steps("devices_and_processes");
  std::printf("devices_and_processes against %s\n", ioc.client().base_url().c_str());

  // The value to look up: from the command line, or the first sample that some host saw.
  std::vector<std::pair<std::string, std::string>> candidates;
  if (argc >= 3) {
    candidates.emplace_back(argv[1], argv[2]);
  } else {
    for (int i = 0; i < 8; ++i) {
      candidates.emplace_back("sha256", std::string(63, "0123456789abcdef"[i]) + "a");
    }
  }

  example::Steps::section("1. devices_count (and the legacy DevicesCount)");
  std::string type;
  std::string value;
  for (const auto& [t, v] : candidates) {
    falcon::DevicesCountOptions count;
    count.type = t;
    count.value = v;
    auto r = ioc.devices_count(count);
    if (!steps.check("devices_count " + t + " " + v.substr(0, 12) + "...", r)) continue;
    const auto counts = r.resources_as<falcon::DeviceCount>();
    const long long n = counts.empty() ? 0 : static_cast<long long>(counts[0].device_count);
    std::printf("        seen on %lld hosts\n", n);
    if (n > 0) {
      type = t;
      value = v;
      break;
    }
  }
  if (value.empty()) {
    steps.skip("no host saw any of the values; pass TYPE VALUE of an indicator your hosts saw");
    return steps.finish();
  }
  falcon::DevicesCountOptions count;
  count.type = type;
  count.value = value;
  auto legacy_count = ioc.devices_count_legacy(count);
  if (steps.check("devices_count_legacy", legacy_count)) {
    for (const auto& c : legacy_count.resources_as<falcon::DeviceCount>()) {
      std::printf("        %s: %lld hosts\n", c.id.value_or("-").c_str(),
                  static_cast<long long>(c.device_count));
    }
  }

  example::Steps::section("2. devices_ran_on: the hosts' ids");
  falcon::DevicesRanOnOptions ran_on;
  ran_on.type = type;
  ran_on.value = value;
  ran_on.limit = 5;
  auto hosts = ioc.devices_ran_on(ran_on);
  std::string device_id;
  if (steps.check("devices_ran_on (limit 5)", hosts)) {
    for (const auto& h : hosts.resources()) std::printf("        host %s\n", h.dump().c_str());
    if (!hosts.resources().empty()) device_id = hosts.resources()[0].get<std::string>();
  }
  steps.check("devices_ran_on_legacy (limit 5)", ioc.devices_ran_on_legacy(ran_on));
  std::size_t all_hosts = 0;
  ran_on.limit = 20;
  steps.check("devices_ran_on_all (offset paging helper)",
              falcon::devices_ran_on_all(ioc, ran_on, [&](falcon::Response& page) {
                all_hosts += page.resources().size();
                return true;
              }));
  std::printf("        %zu hosts in all\n", all_hosts);
  steps.expect(all_hosts > 0, "the helper read every host id");

  example::Steps::section("3. processes_ran_on: what touched it on the first host");
  if (device_id.empty()) {
    steps.skip("no host id to look processes up on");
    return steps.finish();
  }
  falcon::ProcessesRanOnOptions procs;
  procs.type = type;
  procs.value = value;
  procs.device_id = device_id;
  procs.limit = 3;
  auto pids = ioc.processes_ran_on(procs);
  falcon::StringList process_ids;
  if (steps.check("processes_ran_on (limit 3)", pids)) {
    for (const auto& p : pids.resources()) process_ids.push_back(p.get<std::string>());
  }
  steps.check("processes_ran_on_legacy (limit 3)", ioc.processes_ran_on_legacy(procs));

  example::Steps::section("4. entities_processes: process details");
  if (process_ids.empty()) {
    steps.skip("no process ids to look up");
    return steps.finish();
  }
  falcon::EntitiesProcessesOptions details;
  details.ids = process_ids;
  auto r = ioc.entities_processes(details);
  if (steps.check("entities_processes", r)) {
    for (const auto& p : r.resources_as<falcon::ProcessDetail>()) {
      std::printf("        %s  %s  started %s\n", p.process_id.c_str(), p.file_name.c_str(),
                  p.start_timestamp.c_str());
    }
    steps.expect(r.resources().size() == process_ids.size(), "one detail per process id");
  }
  return steps.finish();
}
