// End-to-end throughput: the SDK over real loopback HTTP against the in-process emulator.
// Reports indicator_get requests per second for 1..N client threads sharing one Client.
//   bench_emulator_rps [seconds-per-run=3] [max-threads=8] [min-threads=1]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const int max_threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const int min_threads = argc > 3 ? std::atoi(argv[3]) : 1;
  falcon::emulator::Options o;
  o.rate_limit_per_minute = 1'000'000'000;
  falcon::emulator::Emulator emu(o);
  emu.start();
  const auto id = emu.add_indicators(nlohmann::json::array({{{"type", "domain"},
                                                             {"value", "bench.example.com"},
                                                             {"action", "detect"},
                                                             {"severity", "low"},
                                                             {"platforms", {"windows"}},
                                                             {"applied_globally", true}}}))[0];

  falcon::Config cfg;
  cfg.client_id = o.client_id;
  cfg.client_secret = o.client_secret;
  cfg.base_url = emu.base_url();
  auto transport = std::make_shared<falcon::CurlTransport>();
  cfg.transport = transport;
  falcon::IOC ioc(cfg);
  falcon::IndicatorGetOptions get;
  get.ids = {id};
  if (!ioc.indicator_get(get).ok()) {
    std::fprintf(stderr, "warm-up call failed\n");
    return 1;
  }
  std::printf("indicator_get over loopback HTTP, %.1f s per run (emulator in-process)\n", seconds);
  std::printf("%8s %12s %12s %14s\n", "threads", "requests", "req/s", "connections");
  for (int threads = min_threads; threads <= max_threads; threads *= 2) {
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::atomic<long> failed{0};
    const auto before = transport->stats().new_connections;
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed)) {
          (ioc.indicator_get(get).ok() ? done : failed).fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : pool) th.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%8d %12ld %12.0f %14llu%s\n", threads, done.load(), done.load() / elapsed,
                static_cast<unsigned long long>(transport->stats().new_connections - before),
                failed.load() ? "  (failures!)" : "");
  }
  return 0;
}
