// update_indicators: change indicators with indicator_update (indicator_update_v1,
// PATCH /iocs/entities/indicators/v1, scope ioc:write):
//   1. one indicator by id, from option fields,
//   2. several by id with a JSON list (and a JSON null that resets a field),
//   3. every indicator matching an FQL filter with `bulk_update`, in one request.
#include "example_support.hpp"

namespace {

// Reads one indicator back.
std::optional<falcon::Indicator> fetch(const falcon::IOC& ioc, const std::string& id) {
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList{id};
  auto r = ioc.indicator_get(get);
  if (!r.ok() || r.resources().size() != 1) return std::nullopt;
  return r.resources_as<falcon::Indicator>().front();
}

}  // namespace

int main() {
  falcon::IOC ioc(example::config_from_env("update_indicators"));
  example::Steps steps("update_indicators");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-update-" + run;
  std::printf("update_indicators against %s (source %s)\n", ioc.client().base_url().c_str(),
              source.c_str());

  example::Steps::section("1. create three indicators");
  falcon::IndicatorCreateOptions create;
  create.indicators = std::vector<falcon::IndicatorSpec>{
      example::indicator("domain", "update-a-" + run + ".falcon-cpp.example", source),
      example::indicator("domain", "update-b-" + run + ".falcon-cpp.example", source),
      example::indicator("ipv4", "192.0.2.44", source)};
  auto created = ioc.indicator_create(create);
  if (!steps.check("indicator_create (3)", created) || created.resources().size() != 3) {
    return steps.finish();
  }
  std::vector<std::string> ids;
  for (const auto& ind : created.resources_as<falcon::Indicator>()) ids.push_back(ind.id);

  example::Steps::section("2. one indicator by id");
  falcon::IndicatorUpdateOptions one;
  one.id = ids[0];
  one.severity = "critical";
  one.tags = falcon::StringList{"escalated", "case-1234"};
  one.expiration = "2099-01-01T00:00:00Z";
  one.comment = "escalated by the update_indicators example";
  auto r1 = ioc.indicator_update(one);
  if (steps.check("indicator_update (id, severity, tags, expiration)", r1)) {
    auto ind = fetch(ioc, ids[0]);
    steps.expect(ind && ind->severity == "critical" && ind->tags.size() == 2,
                 "indicator_get shows severity critical and 2 tags");
  }

  example::Steps::section("3. several by id, one field reset with JSON null");
  falcon::IndicatorUpdateOptions several;
  several.indicators = nlohmann::json::array({
      {{"id", ids[1]}, {"action", "no_action"}, {"description", nullptr}},  // null: reset
      {{"id", ids[2]}, {"platforms", {"windows"}}, {"severity", "low"}},
  });
  several.comment = "falcon-cpp update_indicators example";
  auto r2 = ioc.indicator_update(several);
  if (steps.check("indicator_update (2 items)", r2)) {
    auto b = fetch(ioc, ids[1]);
    auto c = fetch(ioc, ids[2]);
    steps.expect(b && b->action == "no_action" && !b->description.value_or("").size(),
                 "second: action no_action, description cleared");
    steps.expect(c && c->platforms == std::vector<std::string>{"windows"} && c->severity == "low",
                 "third: windows only, severity low");
  }

  example::Steps::section("4. bulk_update: every indicator of this run, by filter");
  falcon::IndicatorUpdateOptions bulk;
  bulk.bulk_update = {{"filter", example::by_source(source)},
                      {"tags", {"reviewed"}},
                      {"description", "reviewed in bulk"}};
  bulk.comment = "bulk review by the update_indicators example";
  auto r3 = ioc.indicator_update(bulk);
  if (steps.check("indicator_update (bulk_update by filter)", r3)) {
    std::printf("        %zu indicators updated\n", r3.resources().size());
    falcon::IndicatorCombinedOptions check;
    check.filter = example::by_source(source) + "+tags:'reviewed'";
    auto after = ioc.indicator_combined(check);
    steps.check("indicator_combined (tags:'reviewed')", after);
    steps.expect(after.resources().size() == 3, "all 3 carry the tag 'reviewed'");
  }

  example::Steps::section("5. clean up");
  example::cleanup(ioc, source, steps);
  return steps.finish();
}
