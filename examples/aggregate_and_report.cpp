// aggregate_and_report:
//   indicator_aggregate   (indicator_aggregate_v1, POST /iocs/aggregates/indicators/v1,
//                          scope ioc:write): terms buckets and date ranges
//   get_indicators_report (GetIndicatorsReport, POST /iocs/entities/indicators-reports/v1,
//                          scope ioc:write): launch a report of the indicators matching a filter
#include "example_support.hpp"

namespace {

void print_buckets(const falcon::Response& r) {
  for (const auto& result : r.resources()) {
    std::printf("        aggregation %s\n", result.value("name", "").c_str());
    for (const auto& b : result.value("buckets", nlohmann::json::array())) {
      std::printf("          %-40s %s\n", b.value("label", nlohmann::json()).dump().c_str(),
                  b.value("count", nlohmann::json()).dump().c_str());
    }
  }
}

// Total count over the buckets of the first aggregation.
long long bucket_total(const falcon::Response& r) {
  long long n = 0;
  if (r.resources().empty()) return -1;
  for (const auto& b : r.resources()[0].value("buckets", nlohmann::json::array())) {
    n += b.value("count", 0LL);
  }
  return n;
}

}  // namespace

int main() {
  falcon::IOC ioc(example::config_from_env("aggregate_and_report"));
  example::Steps steps("aggregate_and_report");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-aggregate-" + run;
  std::printf("aggregate_and_report against %s (source %s)\n", ioc.client().base_url().c_str(),
              source.c_str());

  example::Steps::section("1. create indicators of three types");
  std::vector<falcon::IndicatorSpec> list;
  for (int i = 0; i < 4; ++i) {
    list.push_back(example::indicator(
        "domain", "agg" + std::to_string(i) + "-" + run + ".falcon-cpp.example", source));
  }
  for (int i = 0; i < 2; ++i) {
    list.push_back(example::indicator("sha256", example::random_hex(64), source));
  }
  list.push_back(example::indicator("ipv4", "198.51.100.23", source));
  falcon::IndicatorCreateOptions create;
  create.indicators = list;
  if (!steps.check("indicator_create (7)", ioc.indicator_create(create))) return steps.finish();

  example::Steps::section("2. terms: how many of each type");
  falcon::IndicatorAggregateOptions terms;
  terms.type = "terms";
  terms.field = "type";
  terms.name = "by_type";
  terms.filter = example::by_source(source);
  auto r1 = ioc.indicator_aggregate(terms);
  if (steps.check("indicator_aggregate (terms on type)", r1)) {
    print_buckets(r1);
    steps.expect(bucket_total(r1) == 7, "the buckets add up to 7");
  }

  example::Steps::section("3. date_range: created in the last day, and before");
  falcon::IndicatorAggregateOptions ranges;
  ranges.type = "date_range";
  ranges.field = "created_on";
  ranges.name = "created";
  ranges.filter = example::by_source(source);
  ranges.date_ranges =
      nlohmann::json::array({{{"from", "now-1d"}, {"to", "now+1d"}},
                             {{"from", "2000-01-01T00:00:00Z"}, {"to", "now-1d"}}});
  auto r2 = ioc.indicator_aggregate(ranges);
  if (steps.check("indicator_aggregate (date_range on created_on)", r2)) {
    print_buckets(r2);
    steps.expect(bucket_total(r2) == 7, "all 7 fall in the two ranges");
  }

  example::Steps::section("4. an indicators report");
  falcon::GetIndicatorsReportOptions report;
  report.filter = example::by_source(source);
  report.sort = "created_on.desc";
  report.report_format = "csv";
  auto r3 = ioc.get_indicators_report(report);
  if (steps.check("get_indicators_report (csv)", r3)) {
    for (const auto& id : r3.resources()) std::printf("        report id %s\n", id.dump().c_str());
    steps.expect(r3.resources().size() == 1, "one report id");
  }

  example::Steps::section("5. clean up");
  example::cleanup(ioc, source, steps);
  return steps.finish();
}
