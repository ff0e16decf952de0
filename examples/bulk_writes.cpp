// bulk_writes: any number of indicators with falcon::bulk_create / bulk_update / bulk_delete.
// They split the input into batches the API accepts (2,000 per create/update, 100 ids per
// delete), keep a bounded number of requests in flight, and return one outcome per input item:
// a row the API refuses fails alone, the rest of its batch is written, nothing is written twice.
//
//   ./bulk_writes [COUNT]   (default 3000)
#include <cstdlib>

#include "example_support.hpp"

int main(int argc, char** argv) {
  falcon::IOC ioc(example::config_from_env("bulk_writes"));
  example::Steps steps("bulk_writes");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-bulk-" + run;
  const long requested = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 3000;
  const std::size_t count = requested > 0 && requested <= 100000 ? requested : 3000;
  std::printf("bulk_writes against %s (source %s, %zu indicators)\n",
              ioc.client().base_url().c_str(), source.c_str(), count);

  example::Steps::section("1. bulk_create, with one bad row in the middle");
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < count; ++i) {
    items.push_back(example::indicator("sha256", example::random_hex(64), source));
  }
  const std::size_t bad = count / 2;
  items[bad]["value"] = "not-a-sha256";  // fails validation before anything is sent
  falcon::BulkOptions options;
  options.comment = "falcon-cpp bulk_writes example";
  options.concurrency = 2;
  auto created = falcon::bulk_create(ioc, items, options);
  std::printf("        %zu created, %zu failed, %zu requests\n", created.succeeded(),
              created.failed(), created.requests);
  for (const auto& item : created.items) {
    if (item.ok) continue;
    std::printf("        item %zu: %s\n", item.index,
                item.error ? item.error->describe().c_str() : "refused by the API");
  }
  steps.expect(created.succeeded() == count - 1 && created.failed() == 1 && !created.items[bad].ok,
               "every row but the bad one was created");

  example::Steps::section("2. bulk_update: raise the severity of every created indicator");
  nlohmann::json updates = nlohmann::json::array();
  std::vector<std::string> ids;
  for (const auto& item : created.items) {
    if (!item.ok) continue;
    ids.push_back(item.id);
    updates.push_back({{"id", item.id}, {"severity", "critical"}});
  }
  auto updated = falcon::bulk_update(ioc, updates, options);
  std::printf("        %zu updated, %zu failed, %zu requests\n", updated.succeeded(),
              updated.failed(), updated.requests);
  steps.expect(updated.failed() == 0, "every update succeeded");

  example::Steps::section("3. bulk_delete");
  auto deleted = falcon::bulk_delete(ioc, ids, options);
  std::printf("        %zu deleted, %zu failed, %zu requests\n", deleted.succeeded(),
              deleted.failed(), deleted.requests);
  steps.expect(deleted.failed() == 0, "every delete succeeded");

  falcon::IndicatorSearchOptions live;
  live.filter = example::by_source(source);
  live.limit = 1;
  auto left = ioc.indicator_search(live);
  steps.check("indicator_search (what is left)", left);
  steps.expect(left.pagination().total.value_or(-1) == 0, "nothing of this run is left");
  return steps.finish();
}
