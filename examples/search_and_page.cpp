// search_and_page: find indicators and read every result.
//   indicator_search   (indicator_search_v1,   GET /iocs/queries/indicators/v1, ioc:read): ids
//   indicator_combined (indicator_combined_v1, GET /iocs/combined/indicator/v1, ioc:read): records
//   indicator_get      (indicator_get_v1,      GET /iocs/entities/indicators/v1, ioc:read)
// Pages by offset (capped at 10,000 results by the API), by the `after` cursor (no cap), and
// with the falcon::search_all / combined_all helpers that do the cursor loop for you.
#include <set>

#include "example_support.hpp"

int main() {
  falcon::IOC ioc(example::config_from_env("search_and_page"));
  example::Steps steps("search_and_page");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-search-" + run;
  std::printf("search_and_page against %s (source %s)\n", ioc.client().base_url().c_str(),
              source.c_str());

  example::Steps::section("1. create 25 domains to search for");
  std::vector<falcon::IndicatorSpec> list;
  for (int i = 0; i < 25; ++i) {
    list.push_back(example::indicator(
        "domain", "host" + std::to_string(i) + "-" + run + ".falcon-cpp.example", source));
    list.back().severity = i % 5 == 0 ? "critical" : "medium";
  }
  falcon::IndicatorCreateOptions create;
  create.indicators = list;
  if (!steps.check("indicator_create (25 domains)", ioc.indicator_create(create))) {
    return steps.finish();
  }

  example::Steps::section("2. indicator_search, paged by offset");
  falcon::IndicatorSearchOptions search;
  search.filter = example::by_source(source);
  search.sort = "value.asc";
  search.limit = 10;
  std::vector<std::string> by_offset;
  for (std::int64_t offset = 0; offset < 100; offset += 10) {  // bounded: at most 10 pages
    search.offset = offset;
    auto page = ioc.indicator_search(search);
    if (!steps.check("indicator_search offset " + std::to_string(offset), page)) break;
    for (const auto& id : page.resources()) by_offset.push_back(id.get<std::string>());
    const auto total = page.pagination().total.value_or(0);
    if (page.resources().empty() || static_cast<std::int64_t>(by_offset.size()) >= total) break;
  }
  steps.expect(by_offset.size() == 25,
               "offset paging found all 25 (" + std::to_string(by_offset.size()) + ")");

  example::Steps::section("3. indicator_search, paged by the after cursor");
  search.offset.reset();  // offset and after cannot be combined
  std::vector<std::string> by_cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = ioc.indicator_search(search);
    if (!steps.check("indicator_search page " + std::to_string(pages + 1), page)) break;
    for (const auto& id : page.resources()) by_cursor.push_back(id.get<std::string>());
    const auto after = page.pagination().after;
    if (!after || after->empty()) break;  // no cursor: last page
    search.after = after;
  }
  steps.expect(by_cursor == by_offset, "cursor paging gives the same 25 ids in the same order");

  example::Steps::section("4. the search_all helper (cursor loop done for you)");
  falcon::IndicatorSearchOptions all;
  all.filter = example::by_source(source);
  all.limit = 7;
  std::size_t pages = 0;
  std::set<std::string> helper_ids;
  auto last = falcon::search_all(ioc, all, [&](falcon::Response& page) {
    ++pages;
    for (const auto& id : page.resources()) helper_ids.insert(id.get<std::string>());
    return true;  // false stops early
  });
  steps.check("search_all", last);
  steps.expect(helper_ids.size() == 25 && pages == 4,
               "search_all: 25 ids in " + std::to_string(pages) + " pages of 7");

  example::Steps::section("5. indicator_combined: full records, critical ones first");
  falcon::IndicatorCombinedOptions combined;
  combined.filter = example::by_source(source) + "+severity:'critical'";
  combined.sort = "value.asc";
  auto records = ioc.indicator_combined(combined);
  if (steps.check("indicator_combined (severity critical)", records)) {
    for (const auto& ind : records.resources_as<falcon::Indicator>()) {
      std::printf("        %-8s %-45s created %s\n", ind.severity.value_or("-").c_str(),
                  ind.value.c_str(), ind.created_on.value_or("-").c_str());
    }
    steps.expect(records.resources().size() == 5, "5 critical indicators");
  }
  std::size_t combined_count = 0;
  falcon::IndicatorCombinedOptions every;
  every.filter = example::by_source(source);
  every.limit = 10;
  steps.check("combined_all", falcon::combined_all(ioc, every, [&](falcon::Response& page) {
                combined_count += page.resources().size();
                return true;
              }));
  steps.expect(combined_count == 25, "combined_all read 25 records");

  example::Steps::section("6. indicator_get by id");
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList(by_offset.begin(), by_offset.begin() + 3);
  auto got = ioc.indicator_get(get);
  if (steps.check("indicator_get (3 ids)", got)) {
    for (const auto& ind : got.resources_as<falcon::Indicator>()) {
      std::printf("        %s  %s\n", ind.id.c_str(), ind.value.c_str());
    }
    steps.expect(got.resources().size() == 3, "3 records for 3 ids");
  }

  example::Steps::section("7. clean up");
  example::cleanup(ioc, source, steps);
  return steps.finish();
}
