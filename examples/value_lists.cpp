// value_lists: the lookup lists an indicator's fields take, and the actions' rules.
//   action_query   (action_query_v1,   GET /iocs/queries/actions/v1)
//   action_get     (action_get_v1,     GET /iocs/entities/actions/v1)
//   ioc_type_query (ioc_type_query_v1, GET /iocs/queries/ioc-types/v1)
//   platform_query (platform_query_v1, GET /iocs/queries/platforms/v1)
//   severity_query (severity_query_v1, GET /iocs/queries/severities/v1)
// All scope ioc:read.
#include "example_support.hpp"

namespace {

std::string joined(const nlohmann::json& values) {
  std::string out;
  for (const auto& v : values)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

int main() {
  falcon::IOC ioc(example::config_from_env("value_lists"));
  example::Steps steps("value_lists");
  std::printf("value_lists against %s\n", ioc.client().base_url().c_str());

  example::Steps::section("1. the four lists");
  auto types = ioc.ioc_type_query();
  if (steps.check("ioc_type_query", types))
    std::printf("        types: %s\n", joined(types.resources()).c_str());
  auto platforms = ioc.platform_query();
  if (steps.check("platform_query", platforms)) {
    std::printf("        platforms: %s\n", joined(platforms.resources()).c_str());
  }
  auto severities = ioc.severity_query();
  if (steps.check("severity_query", severities)) {
    std::printf("        severities: %s\n", joined(severities.resources()).c_str());
  }
  falcon::ActionQueryOptions first_two;
  first_two.limit = 2;  // the lists page like everything else
  auto page = ioc.action_query(first_two);
  steps.check("action_query (limit 2)", page);
  auto actions = ioc.action_query();
  if (steps.check("action_query", actions)) {
    std::printf("        actions: %s\n", joined(actions.resources()).c_str());
  }
  steps.expect(!types.resources().empty() && !actions.resources().empty(), "non-empty lists");

  example::Steps::section("2. action_get: which types and platforms each action takes");
  falcon::ActionGetOptions get;
  get.ids = falcon::StringList{};
  for (const auto& a : actions.resources()) get.ids->push_back(a.get<std::string>());
  auto details = ioc.action_get(get);
  if (steps.check("action_get (every action)", details)) {
    for (const auto& a : details.resources_as<falcon::Action>()) {
      std::printf("        %-14s", a.id.c_str());
      for (const auto& [t, p] : a.platforms_by_type.items()) {
        std::printf(" %s:[%s]", t.c_str(), joined(p).c_str());
      }
      std::printf("\n");
    }
    steps.expect(details.resources().size() == get.ids->size(), "one record per action id");
  }
  return steps.finish();
}
