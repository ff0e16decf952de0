// delete_indicators: indicator_delete (indicator_delete_v1, DELETE /iocs/entities/indicators/v1,
// scope ioc:write) by ids and by FQL filter. Deletes are soft: a deleted indicator no longer
// acts or shows in searches, but `deleted:true` still finds it.
#include "example_support.hpp"

int main() {
  falcon::IOC ioc(example::config_from_env("delete_indicators"));
  example::Steps steps("delete_indicators");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-delete-" + run;
  std::printf("delete_indicators against %s (source %s)\n", ioc.client().base_url().c_str(),
              source.c_str());

  example::Steps::section("1. create six indicators");
  std::vector<falcon::IndicatorSpec> list;
  for (int i = 0; i < 6; ++i) {
    list.push_back(example::indicator(
        "domain", "delete" + std::to_string(i) + "-" + run + ".falcon-cpp.example", source));
    list.back().tags = std::vector<std::string>{i < 2 ? "by-id" : "by-filter"};
  }
  falcon::IndicatorCreateOptions create;
  create.indicators = list;
  auto created = ioc.indicator_create(create);
  if (!steps.check("indicator_create (6)", created) || created.resources().size() != 6) {
    return steps.finish();
  }
  auto records = created.resources_as<falcon::Indicator>();

  example::Steps::section("2. delete two by id");
  falcon::IndicatorDeleteOptions by_id;
  by_id.ids = falcon::StringList{records[0].id, records[1].id};
  by_id.comment = "deleted by id by the delete_indicators example";
  auto r1 = ioc.indicator_delete(by_id);
  steps.check("indicator_delete (2 ids)", r1);
  for (const auto& id : r1.resources()) std::printf("        deleted %s\n", id.dump().c_str());

  example::Steps::section("3. delete the rest by filter");
  falcon::IndicatorDeleteOptions by_filter;
  by_filter.filter = example::by_source(source) + "+tags:'by-filter'";
  by_filter.comment = "deleted by filter by the delete_indicators example";
  auto r2 = ioc.indicator_delete(by_filter);
  steps.check("indicator_delete (filter)", r2);
  std::printf("        %zu deleted by the filter\n", r2.resources().size());

  example::Steps::section("4. check");
  falcon::IndicatorSearchOptions live;
  live.filter = example::by_source(source);
  auto left = ioc.indicator_search(live);
  steps.check("indicator_search (deleted:false)", left);
  steps.expect(left.resources().empty(), "no live indicator left");
  falcon::IndicatorSearchOptions gone;
  gone.filter = "source:'" + source + "'+deleted:true";
  auto soft = ioc.indicator_search(gone);
  steps.check("indicator_search (deleted:true)", soft);
  steps.expect(soft.resources().size() == 6, "all 6 still found with deleted:true (soft delete)");
  return steps.finish();
}
