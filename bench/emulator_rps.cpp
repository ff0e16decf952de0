// End-to-end throughput: the SDK over real loopback HTTP against the in-process emulator.
// Reports indicator_get requests per second for 1..N client threads sharing one Client.
//   bench_emulator_rps [seconds-per-run=3] [max-threads=8] [min-threads=1]
// Long-run mode (issue 8, point 6): one client thread for TOTAL seconds, the rate reported per
// SLICE seconds, after a separate SLICE-second run on a fresh emulator as the floor; the
// process applies the mallopt settings falcon-emulator's main() applies (--no-mallopt: not).
//   bench_emulator_rps --slices [TOTAL=30 [SLICE=10]] [--quick (= 9 3)] [--no-mallopt]
#include <malloc.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

namespace {

// An in-process emulator without a rate limit, holding one indicator (`id`), and a Config
// for it.
struct Served {
  falcon::emulator::Options o;
  falcon::emulator::Emulator emu;
  std::string id;
  falcon::Config cfg;
  Served() : o(unlimited()), emu(o) {
    emu.start();
    id = emu.add_indicators(nlohmann::json::array({{{"type", "domain"},
                                                    {"value", "bench.example.com"},
                                                    {"action", "detect"},
                                                    {"severity", "low"},
                                                    {"platforms", {"windows"}},
                                                    {"applied_globally", true}}}))[0];
    cfg.client_id = o.client_id;
    cfg.client_secret = o.client_secret;
    cfg.base_url = emu.base_url();
  }
  static falcon::emulator::Options unlimited() {
    falcon::emulator::Options opts;
    opts.rate_limit_per_minute = 1'000'000'000;
    return opts;
  }
};

double process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One client thread calling indicator_get for `total` seconds; prints one line per `slice`.
// Returns the rate of each slice.
std::vector<double> run_slices(double total, double slice, const char* label) {
  Served served;
  auto& emu = served.emu;
  const std::string& id = served.id;
  falcon::Config& cfg = served.cfg;
  falcon::IOC ioc(cfg);
  falcon::IndicatorGetOptions get;
  get.ids = {id};
  if (!ioc.indicator_get(get).ok()) {
    std::fprintf(stderr, "warm-up call failed\n");
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::thread client([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      (ioc.indicator_get(get).ok() ? done : failed).fetch_add(1);
    }
  });
  std::vector<double> rates;
  const auto t0 = std::chrono::steady_clock::now();
  long last_done = 0;
  double last_cpu = process_cpu();
  auto last_t = t0;
  for (int i = 1; i * slice <= total + 1e-9; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::duration<double>(i * slice)));
    const auto now = std::chrono::steady_clock::now();
    const long d = done.load();
    const double cpu = process_cpu();
    const double secs = std::chrono::duration<double>(now - last_t).count();
    const double rate = static_cast<double>(d - last_done) / secs;
    rates.push_back(rate);
    std::printf("%-10s %5.0f-%-5.0f s %10ld %10.0f %14.1f\n", label, (i - 1) * slice, i * slice,
                d - last_done, rate,
                d > last_done ? (cpu - last_cpu) * 1e6 / static_cast<double>(d - last_done) : 0.0);
    std::fflush(stdout);
    last_done = d;
    last_cpu = cpu;
    last_t = now;
  }
  stop = true;
  client.join();
  if (failed.load() != 0) std::printf("  (%ld failures!)\n", failed.load());
  return rates;
}

int slices_main(int argc, char** argv) {
  double total = 30, slice = 10;
  bool mall = true;
  std::vector<double> nums;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      total = 9;
      slice = 3;
    } else if (std::strcmp(argv[i], "--no-mallopt") == 0) {
      mall = false;
    } else {
      nums.push_back(std::atof(argv[i]));
    }
  }
  if (!nums.empty()) total = nums[0];
  if (nums.size() > 1) slice = nums[1];
  if (mall) {  // as tools/emulator/main.cpp
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  }
  std::printf(
      "indicator_get, 1 client thread, over loopback HTTP (emulator in-process, mallopt %s)\n",
      mall ? "as falcon-emulator" : "off");
  std::printf("%-10s %13s %10s %10s %14s\n", "run", "slice", "requests", "req/s", "CPU us/req");
  const double floor = run_slices(slice, slice, "fresh").front();
  std::printf("%-10s %13s %10s %10s %14s\n", "", "", "", "", "(client+server)");
  const std::vector<double> rates = run_slices(total, slice, "long");
  std::printf("last slice / fresh run: %.2f\n", rates.back() / floor);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--slices") == 0) return slices_main(argc, argv);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const int max_threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const int min_threads = argc > 3 ? std::atoi(argv[3]) : 1;
  Served served;
  auto& emu = served.emu;
  const std::string& id = served.id;
  falcon::Config& cfg = served.cfg;
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
