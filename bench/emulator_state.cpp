// `--state` write cost (issue 8, point 9): one single-indicator create over loopback HTTP with
// N indicators already stored, the journal line fdatasync'ed before the reply. Reports wall
// time (median, p90: includes the disk) and the emulator's CPU per write (the process's CPU
// minus the client thread's, so the disk and the client do not count).
//   bench_emulator_state [--quick] [N...]   (default N: 1000 100000; --quick: 1000 10000)
#include <httplib.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "emulator.hpp"

using nlohmann::json;

namespace {

json domain(const std::string& value) {
  return {{"type", "domain"},   {"value", value},           {"action", "detect"},
          {"severity", "high"}, {"platforms", {"windows"}}, {"applied_globally", true}};
}

void run(int n, int writes) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "falcon-emu-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  const std::filesystem::path dir = tmpl;
  {
    falcon::emulator::Options o;
    o.rate_limit_per_minute = 1000000000;
    o.state_file = (dir / "state.json").string();
    falcon::emulator::Emulator emu(o);
    const int port = emu.start();
    json batch = json::array();
    for (int i = 0; i < n; ++i) {
      batch.push_back(domain("d" + std::to_string(i) + ".example.com"));
      if (batch.size() == 2000 || i == n - 1) {
        emu.add_indicators(batch);
        batch = json::array();
      }
    }
    httplib::Client cli("127.0.0.1", port);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);  // headers and body go out in two writes
    auto tok =
        cli.Post("/oauth2/token", "client_id=" + o.client_id + "&client_secret=" + o.client_secret,
                 "application/x-www-form-urlencoded");
    const httplib::Headers h = {
        {"Authorization", "Bearer " + json::parse(tok->body)["access_token"].get<std::string>()}};
    std::vector<double> wall;
    double cpu = 0;
    for (int i = 0; i < writes; ++i) {
      const std::string body =
          json{{"indicators", {domain("w" + std::to_string(i) + ".example.com")}}}.dump();
      const double c0 = falcon_bench::other_threads_cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      auto r = cli.Post("/iocs/entities/indicators/v1", h, body, "application/json");
      wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      cpu += falcon_bench::other_threads_cpu_seconds() - c0;
      if (!r || r->status != 201) {
        std::fprintf(stderr, "write failed\n");
        std::exit(1);
      }
    }
    std::sort(wall.begin(), wall.end());
    std::printf("%9d %8d %12.2f %12.2f %16.1f\n", n, writes, wall[wall.size() / 2] * 1e3,
                wall[wall.size() * 9 / 10] * 1e3, cpu * 1e6 / writes);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      sizes.push_back(std::atoi(argv[i]));
    }
  }
  if (sizes.empty()) sizes = quick ? std::vector<int>{1000, 10000} : std::vector<int>{1000, 100000};
  std::printf("--state: one single-indicator create over loopback HTTP (journal fdatasync'ed)\n");
  std::printf("%9s %8s %12s %12s %16s\n", "stored", "writes", "median ms", "p90 ms",
              "emulator CPU us");
  for (int n : sizes) run(n, 100);
  return 0;
}
