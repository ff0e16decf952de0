// sync of a 100,000-indicator feed against the emulator, which runs in a child process so the
// peak memory reported is the sync's own. Phases: into an empty scope, the same feed again
// (nothing to do), then 1% removed / added / changed. Reports requests (the emulator's
// counters), wall and CPU time, and peak RSS.
//   bench_sync [N]   (default 100000)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "emulator.hpp"
#include "falcon/falcon.hpp"
#include "falcon/sync.hpp"

namespace {

int to_child[2], from_child[2];

std::string ask(const std::string& cmd) {
  const std::string line = cmd + "\n";
  if (write(to_child[1], line.data(), line.size()) < 0) std::exit(1);
  std::string out;
  char c = 0;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') out += c;
  return out;
}

[[noreturn]] void child() {
  close(to_child[1]);
  close(from_child[0]);
  falcon::emulator::Options o;
  o.port = 0;
  o.client_id = "bench";
  o.client_secret = "bench-secret";
  o.rate_limit_per_minute = 1'000'000;
  falcon::emulator::Emulator emu(o);
  emu.start();
  std::string reply = emu.base_url() + "\n";
  if (write(from_child[1], reply.data(), reply.size()) < 0) std::_Exit(1);
  std::string cmd;
  char c = 0;
  while (read(to_child[0], &c, 1) == 1) {
    if (c != '\n') {
      cmd += c;
      continue;
    }
    if (cmd == "quit") break;
    const auto counters = emu.counters();
    std::uint64_t reads = 0, writes = 0;
    for (const auto& [route, n] : counters.requests_per_route) {
      if (route.rfind("GET ", 0) == 0) {
        reads += n;
      } else if (route.rfind("POST /oauth2", 0) != 0) {
        writes += n;
      }
    }
    reply = std::to_string(reads) + " " + std::to_string(writes) + " " +
            std::to_string(emu.indicator_count()) + "\n";
    if (write(from_child[1], reply.data(), reply.size()) < 0) break;
    cmd.clear();
  }
  emu.stop();
  std::_Exit(0);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

falcon::IndicatorSpec spec(int i, const char* severity) {
  falcon::IndicatorSpec s;
  s.type = "domain";
  s.value = "bench" + std::to_string(i) + ".example.com";
  s.action = "detect";
  s.severity = severity;
  s.platforms = std::vector<std::string>{"windows", "mac", "linux"};
  s.tags = std::vector<std::string>{"bench"};
  s.applied_globally = true;
  return s;
}

void phase(const char* name, const falcon::IOC& ioc, const std::vector<falcon::IndicatorSpec>& feed,
           falcon::sync::OnMissing m) {
  auto before = ask("counters");
  unsigned long long r0 = 0, w0 = 0, n0 = 0;
  std::sscanf(before.c_str(), "%llu %llu %llu", &r0, &w0, &n0);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  falcon::sync::Options o;
  o.source = "bench-feed";
  o.on_missing = m;
  auto plan = falcon::sync::plan(ioc, feed, o);
  const auto t1 = std::chrono::steady_clock::now();
  auto result = falcon::sync::apply(ioc, plan);
  const auto t2 = std::chrono::steady_clock::now();
  const double c1 = cpu_seconds();
  auto after = ask("counters");
  unsigned long long r1 = 0, w1 = 0, n1 = 0;
  std::sscanf(after.c_str(), "%llu %llu %llu", &r1, &w1, &n1);
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "%-22s changes %6zu (create %zu, update %zu, delete %zu) failed %zu | requests: %llu "
      "reads, %llu writes | plan %.2f s, apply %.2f s, sync CPU %.2f s | %.0f indicators/s | "
      "stored %llu\n",
      name, plan.changes.size(), plan.count(falcon::sync::ChangeKind::create),
      plan.count(falcon::sync::ChangeKind::update), plan.count(falcon::sync::ChangeKind::remove),
      result.failed(), r1 - r0, w1 - w0, secs(t1 - t0), secs(t2 - t1), c1 - c0,
      static_cast<double>(feed.size()) / secs(t2 - t0), n1);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100'000;
  if (n <= 0 || n > 1'000'000) {
    std::fprintf(stderr, "usage: bench_sync [N (1-1000000)]\n");
    return 2;
  }
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) child();
  close(to_child[0]);
  close(from_child[1]);
  std::string url;
  char c = 0;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') url += c;
  if (url.empty()) {
    std::fprintf(stderr, "bench_sync: the emulator did not start\n");
    return 1;
  }

  falcon::Config cfg;
  cfg.base_url = url;
  cfg.client_id = "bench";
  cfg.client_secret = "bench-secret";
  falcon::IOC ioc(cfg);
  const long rss0 = peak_rss_kib();

  std::vector<falcon::IndicatorSpec> feed;
  feed.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) feed.push_back(spec(i, "high"));
  std::printf("sync of %d indicators (emulator in a child process)\n", n);
  phase("1. empty scope", ioc, feed, falcon::sync::OnMissing::remove);
  phase("2. same feed again", ioc, feed, falcon::sync::OnMissing::remove);
  const int k = std::max(1, n / 100);
  std::vector<falcon::IndicatorSpec> next(feed.begin() + k, feed.end());
  for (int i = 0; i < k; ++i) next[static_cast<std::size_t>(i)].severity = "low";
  for (int i = n; i < n + k; ++i) next.push_back(spec(i, "high"));
  phase("3. 1% del/add/change", ioc, next, falcon::sync::OnMissing::remove);
  std::printf("peak RSS of the sync process: %.1f MiB (%.1f MiB before the feed was built)\n",
              static_cast<double>(peak_rss_kib()) / 1024, static_cast<double>(rss0) / 1024);
  ask("quit");
  waitpid(pid, nullptr, 0);
  return 0;
}
