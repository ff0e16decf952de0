// sync_large_feed: falcon::sync::stream(), sync for feeds that do not fit in memory. The feed
// is read twice from its file (first into compact fingerprints, then for the writes the plan
// needs); the plan's changes are reported as they are produced, never held. Same changes,
// guards and journal as plan() + apply(). docs/sync.md, "A million indicators".
//
//   ./sync_large_feed [COUNT]   (default 5000)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "example_support.hpp"
#include "falcon/sync.hpp"

int main(int argc, char** argv) {
  falcon::IOC ioc(example::config_from_env("sync_large_feed"));
  example::Steps steps("sync_large_feed");
  const std::string run = example::run_tag();
  const std::string source = "falcon-cpp-example-stream-" + run;
  const long requested = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 5000;
  const std::size_t count = requested > 0 && requested <= 1000000 ? requested : 5000;

  // A text feed, one domain a line, as a vendor publishes it.
  const std::string path = "/tmp/falcon-cpp-example-stream-" + run + ".txt";
  {
    std::ofstream out(path);
    for (std::size_t i = 0; i < count; ++i) out << "d" << i << "." << run << ".example.com\n";
  }
  std::printf("sync_large_feed against %s (source %s, %zu indicators in %s)\n",
              ioc.client().base_url().c_str(), source.c_str(), count, path.c_str());

  // The reader: each call reads the file from the start. Duplicates are left to stream().
  falcon::feeds::ReadOptions ro;
  ro.drop_duplicates = false;
  ro.defaults.source = source;
  ro.defaults.action = "detect";
  ro.defaults.severity = "medium";
  ro.defaults.applied_globally = true;
  ro.defaults.platforms = std::vector<std::string>{"windows", "mac", "linux"};
  const falcon::sync::FeedReader feed = [&](const falcon::feeds::BatchCallback& on_batch,
                                            const falcon::feeds::IssueCallback& on_issue) {
    return falcon::feeds::read_file(path, ro, on_batch, on_issue);
  };
  falcon::sync::Options so;
  so.source = source;  // the scope: source:'<source>'

  example::Steps::section("1. stream() without apply: a dry run, changes reported as produced");
  std::size_t reported = 0;
  falcon::sync::StreamCallbacks cb;
  cb.on_change = [&](const falcon::sync::Change&) { ++reported; };
  cb.on_plan = [](const falcon::sync::Plan& p) {
    std::printf("        plan: %zu to create, %zu write requests\n",
                p.count(falcon::sync::ChangeKind::create), p.write_requests);
  };
  auto dry = falcon::sync::stream(ioc, feed, so, cb);
  steps.expect(dry.plan.ok() && !dry.fatal, "the plan was read");
  steps.expect(reported == count && dry.written == 0, "every create reported, nothing written");

  example::Steps::section("2. stream() with apply: written in batches of 2,000 as produced");
  falcon::sync::ApplyOptions apply;
  apply.rate_share = 0.5;  // at most half the tenant's API budget
  auto done = falcon::sync::stream(ioc, feed, so, {}, &apply);
  std::printf("        %zu written, %zu failed, %zu write requests\n", done.written, done.failed,
              done.requests);
  steps.expect(done.written == count && done.failed == 0, "every indicator was created");

  example::Steps::section("3. the same feed again: reads only, nothing to write");
  auto again = falcon::sync::stream(ioc, feed, so, {}, &apply);
  std::printf("        %zu unchanged, %zu read requests, %zu written\n", again.plan.unchanged,
              again.plan.requests, again.written);
  steps.expect(again.plan.empty() && again.written == 0 && again.plan.unchanged == count,
               "a rerun writes nothing");

  example::Steps::section("4. clean up: an empty feed removes the scope only when allowed");
  std::ofstream(path, std::ios::trunc).close();
  so.allow_empty = true;
  so.max_remove = falcon::sync::RemovalCap{0, 100};
  auto cleared = falcon::sync::stream(ioc, feed, so, {}, &apply);
  steps.expect(cleared.written == count, "the example's indicators were deleted");
  std::remove(path.c_str());
  return steps.finish();
}
