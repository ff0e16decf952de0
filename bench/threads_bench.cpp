// Writes from many threads through one Client: indicator_create calls per second at 1 and 16
// writing threads (by default) against the in-process emulator over loopback HTTP, with the CPU
// time the process spent (SDK and emulator together: they share the process) and the
// connections opened. Issue 7 §3.9: 16 threads should not be slower than 1.
//   bench_threads [seconds-per-run=3] [threads...=1 16]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

falcon::IndicatorCreateOptions create_for(const std::string& value) {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = value;
  o.action = "detect";
  o.severity = "low";
  o.platforms = std::vector<std::string>{"windows"};
  o.applied_globally = true;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::vector<int> thread_counts;
  for (int i = 2; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 16};

  falcon::emulator::Options o;
  o.rate_limit_per_minute = 1'000'000'000;
  falcon::emulator::Emulator emu(o);
  emu.start();

  falcon::Config cfg;
  cfg.client_id = o.client_id;
  cfg.client_secret = o.client_secret;
  cfg.base_url = emu.base_url();
  auto transport = std::make_shared<falcon::CurlTransport>();
  cfg.transport = transport;
  falcon::Client client(cfg);
  const falcon::IOC ioc(client);
  if (ioc.indicator_create(create_for("warm-up.bench.example")).status_code != 201) {
    std::fprintf(stderr, "warm-up create failed\n");
    return 1;
  }

  std::printf(
      "indicator_create (1 indicator per call) over loopback HTTP, %.1f s per run, one "
      "Client, emulator in-process\n",
      seconds);
  std::printf("%8s %10s %10s %8s %16s %12s %12s\n", "threads", "creates", "creates/s", "ratio",
              "CPU ms/1000", "new conns", "emu conns");
  double first_rate = 0;
  for (std::size_t run = 0; run < thread_counts.size(); ++run) {
    const int threads = thread_counts[run];
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::atomic<long> failed{0};
    const auto conns_before = transport->stats().new_connections;
    const auto emu_conns_before = emu.counters().connections;
    const double cpu_before = cpu_seconds();
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          const std::string value = "r" + std::to_string(run) + "-t" + std::to_string(t) + "-" +
                                    std::to_string(i) + ".bench.example";
          (ioc.indicator_create(create_for(value)).status_code == 201 ? done : failed).fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : pool) th.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu_before;
    const double rate = done.load() / elapsed;
    if (run == 0) first_rate = rate;
    std::printf("%8d %10ld %10.0f %8.2f %16.1f %12llu %12llu%s\n", threads, done.load(), rate,
                first_rate > 0 ? rate / first_rate : 0.0,
                done.load() > 0 ? cpu * 1e6 / static_cast<double>(done.load()) : 0.0,
                static_cast<unsigned long long>(transport->stats().new_connections - conns_before),
                static_cast<unsigned long long>(emu.counters().connections - emu_conns_before),
                failed.load() ? "  (failures!)" : "");
  }
  return 0;
}
