// quickstart: the main IOC workflow, end to end. Runs against the local emulator
// (scripts/demo.sh) or a real Falcon cloud:
//   FALCON_CLIENT_ID=... FALCON_CLIENT_SECRET=... FALCON_BASE_URL=us-2 ./quickstart
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <falcon/falcon.hpp>

namespace {

int failures = 0;

// Prints one step's outcome; returns whether it succeeded.
bool report(const char* step, const falcon::Response& r) {
  if (r.ok()) {
    std::printf("  ok   %-34s HTTP %d  trace %s\n", step, r.status_code, r.trace_id().c_str());
    return true;
  }
  ++failures;
  std::printf("  FAIL %-34s HTTP %d", step, r.status_code);
  if (r.error) std::printf("  %s", r.error->describe().c_str());
  for (const auto& e : r.api_errors()) std::printf("  [%d] %s", e.code, e.message.c_str());
  for (const auto& row : r.resources()) {
    if (row.is_object() && row.contains("message_type")) {
      std::printf("\n       row %s %s: %s", row.value("row", nlohmann::json()).dump().c_str(),
                  row.value("field_name", "").c_str(), row.value("message", "").c_str());
    }
  }
  std::printf("\n");
  return false;
}

std::string random_hex(std::size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += digits[rng() % 16];
  return s;
}

}  // namespace

int main() {
  falcon::Config cfg = falcon::Config::from_env();
  if (auto err = cfg.check()) {
    std::cerr << "quickstart: " << err->describe()
              << "\nSet FALCON_CLIENT_ID, FALCON_CLIENT_SECRET and FALCON_BASE_URL "
                 "(a cloud name such as us-2, or the emulator's URL).\n";
    return 2;
  }
  falcon::Client client(cfg);
  falcon::IOC ioc(client);
  const std::string run = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  const std::string source = "falcon-cpp-quickstart-" + run;
  std::printf("falcon-cpp %s quickstart against %s (source tag %s)\n", falcon::version(),
              client.base_url().c_str(), source.c_str());

  // 1. Create indicators of different types in one request.
  std::printf("\n1. create\n");
  falcon::IndicatorSpec domain, ip, hash;
  domain.type = "domain";
  domain.value = "c2-" + run + ".falcon-cpp.example";
  domain.action = "detect";
  domain.severity = "high";
  ip.type = "ipv4";
  ip.value = "198.51.100." + std::to_string(std::stoll(run) % 250 + 1);
  ip.action = "detect";
  ip.severity = "medium";
  hash.type = "sha256";
  hash.value = random_hex(64);
  hash.action = "prevent";
  hash.severity = "critical";
  hash.filename = "dropper.exe";
  for (auto* s : {&domain, &ip, &hash}) {
    s->source = source;
    s->platforms = std::vector<std::string>{"windows", "mac", "linux"};
    s->applied_globally = true;
    s->description = "created by the falcon-cpp quickstart";
  }
  falcon::IndicatorCreateOptions create;
  create.comment = "falcon-cpp quickstart";
  create.indicators = std::vector<falcon::IndicatorSpec>{domain, ip, hash};
  auto created = ioc.indicator_create(create);
  if (!report("indicator_create (3 indicators)", created)) return 1;
  std::vector<std::string> ids;
  for (const auto& ind : created.resources_as<falcon::Indicator>()) {
    ids.push_back(ind.id);
    std::printf("       %-7s %-45s id %.16s...\n", ind.type.c_str(), ind.value.c_str(),
                ind.id.c_str());
  }

  // 2. Search with an FQL filter, paging two ids at a time with the after cursor.
  std::printf("\n2. search and page\n");
  falcon::IndicatorSearchOptions search;
  search.filter = "source:'" + source + "'+deleted:false";
  search.sort = "created_on.asc";
  search.limit = 2;
  int pages = 0;
  std::vector<std::string> found;
  auto last = falcon::search_all(ioc, search, [&](falcon::Response& page) {
    ++pages;
    for (const auto& id : page.resources()) found.push_back(id.get<std::string>());
    std::printf("       page %d: %zu ids (total %lld)\n", pages, page.resources().size(),
                static_cast<long long>(page.pagination().total.value_or(-1)));
    return true;
  });
  report("indicator_search (paged by after)", last);
  std::printf("       found %zu of %zu created indicators in %d pages\n", found.size(), ids.size(),
              pages);
  if (found.size() != ids.size()) ++failures;

  // 3. Read the full records back.
  std::printf("\n3. get\n");
  falcon::IndicatorGetOptions get;
  get.ids = ids;
  auto got = ioc.indicator_get(get);
  report("indicator_get", got);
  for (const auto& ind : got.resources_as<falcon::Indicator>()) {
    std::printf("       %-7s severity %-8s action %-8s created_by %s\n", ind.type.c_str(),
                ind.severity.value_or("-").c_str(), ind.action.value_or("-").c_str(),
                ind.created_by.value_or("-").c_str());
  }

  // 4. Update one indicator.
  std::printf("\n4. update\n");
  falcon::IndicatorUpdateOptions update;
  update.id = ids.front();
  update.severity = "critical";
  update.tags = std::vector<std::string>{"escalated"};
  update.comment = "escalated by the quickstart";
  auto updated = ioc.indicator_update(update);
  report("indicator_update", updated);
  for (const auto& ind : updated.resources_as<falcon::Indicator>()) {
    std::printf("       %s is now %s, tags %s\n", ind.value.c_str(),
                ind.severity.value_or("-").c_str(), nlohmann::json(ind.tags).dump().c_str());
  }

  // 5. Aggregate: how many of each type carry our source tag.
  std::printf("\n5. aggregate\n");
  falcon::IndicatorAggregateOptions agg;
  agg.type = "terms";
  agg.field = "type";
  agg.name = "by_type";
  agg.filter = "source:'" + source + "'";
  auto aggregated = ioc.indicator_aggregate(agg);
  report("indicator_aggregate (terms on type)", aggregated);
  for (const auto& result : aggregated.resources()) {
    for (const auto& b : result.value("buckets", nlohmann::json::array())) {
      std::printf("       %-8s %s\n", b.value("label", nlohmann::json()).dump().c_str(),
                  b.value("count", nlohmann::json()).dump().c_str());
    }
  }

  // 6. Where have the indicators been seen?
  std::printf("\n6. device counts\n");
  for (const auto* spec : {&domain, &ip, &hash}) {
    falcon::DevicesCountOptions count;
    count.type = spec->type;
    count.value = spec->value;
    auto counted = ioc.devices_count(count);
    if (!report(("devices_count " + *spec->type).c_str(), counted)) continue;
    for (const auto& d : counted.resources_as<falcon::DeviceCount>()) {
      std::printf("       %-7s seen on %lld hosts\n", d.type.c_str(),
                  static_cast<long long>(d.device_count));
    }
  }
  falcon::DevicesRanOnOptions ran_on;
  ran_on.type = "sha256";
  ran_on.value = *hash.value;
  ran_on.limit = 3;
  auto hosts = ioc.devices_ran_on(ran_on);
  if (report("devices_ran_on sha256 (first 3)", hosts)) {
    for (const auto& h : hosts.resources()) std::printf("       host %s\n", h.dump().c_str());
  }

  // 7. Clean up.
  std::printf("\n7. delete\n");
  falcon::IndicatorDeleteOptions del;
  del.ids = ids;
  del.comment = "quickstart cleanup";
  auto deleted = ioc.indicator_delete(del);
  report("indicator_delete", deleted);
  falcon::IndicatorSearchOptions remaining;
  remaining.filter = "source:'" + source + "'+deleted:false";
  auto left = ioc.indicator_search(remaining);
  report("indicator_search (after delete)", left);
  std::printf("       %zu indicators left with our source tag\n", left.resources().size());
  if (!left.resources().empty()) ++failures;

  auto revoked = client.revoke();
  report("revoke token", revoked);

  std::printf("\n%s\n", failures == 0 ? "quickstart finished: every step succeeded"
                                      : "quickstart finished with failures");
  return failures == 0 ? 0 : 1;
}
