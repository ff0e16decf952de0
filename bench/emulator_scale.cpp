// The emulator at scale (issue 8, points 7 and 8; issue 17): memory per indicator and the cost
// of one page at N indicators, `combined` (full records, what sync reads) and `queries` (ids).
// The emulator runs in-process; a raw httplib client on the main thread pages through it over
// loopback HTTP with `after` cursors. "Emulator CPU" is the process's CPU time minus the main
// thread's, so the client's own work (parsing the page) is not counted.
//   bench_emulator_scale [--quick] [--gzip] [N...]
//     default N: 10000 100000 1000000; --quick: 100000 only; --gzip: the client offers gzip
//     (as the SDK does by default), so every page is compressed too.
#include <httplib.h>
#include <malloc.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "emulator.hpp"

using nlohmann::json;

namespace {

long rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

std::string url_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

json item(int i) {
  if (i % 2 == 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(i));
    return {
        {"type", "sha256"},         {"value", "ab12cd34ef56" + std::string(44, '0') + hex},
        {"action", "prevent"},      {"severity", "medium"},
        {"platforms", {"windows"}}, {"applied_globally", true},
        {"source", "bench-feed"},   {"metadata", {{"filename", "f" + std::to_string(i) + ".exe"}}}};
  }
  return {{"type", "domain"},
          {"value", "host" + std::to_string(i) + ".bench.example.com"},
          {"action", "detect"},
          {"severity", "high"},
          {"platforms", {"windows", "mac", "linux"}},
          {"applied_globally", true},
          {"source", "bench-feed"},
          {"description", "benchmark indicator"}};
}

struct Walk {
  int pages = 0;
  double cpu = 0;
  std::uint64_t visited = 0;
  double first_cpu = 0;  // the first page (builds the index when there is none)
  std::uint64_t first_visited = 0;
};

constexpr const char* kQueries = "/iocs/queries/indicators/v1";
constexpr const char* kCombined = "/iocs/combined/indicator/v1";

Walk walk(falcon::emulator::Emulator& emu, httplib::Client& cli, const httplib::Headers& h,
          const char* route, const std::string& query, int limit, int max_pages) {
  Walk w;
  std::string after;
  for (int page = 0; page < max_pages; ++page) {
    std::string path = std::string(route) + "?limit=" + std::to_string(limit) + query;
    if (!after.empty()) path += "&after=" + url_encode(after);
    const double c0 = falcon_bench::other_threads_cpu_seconds();
    const std::uint64_t v0 = emu.records_visited();
    auto r = cli.Get(path.c_str(), h);
    const double c = falcon_bench::other_threads_cpu_seconds() - c0;
    const std::uint64_t v = emu.records_visited() - v0;
    if (!r || r->status != 200) {
      std::fprintf(stderr, "search failed: %s\n", r ? r->body.c_str() : "no reply");
      std::exit(1);
    }
    if (page == 0) {
      w.first_cpu = c;
      w.first_visited = v;
    } else {
      w.cpu += c;
      w.visited += v;
      ++w.pages;
    }
    after = json::parse(r->body)["meta"]["pagination"].value("after", "");
    if (after.empty()) break;
  }
  return w;
}

bool g_gzip = false;

void run(int n) {
  malloc_trim(0);
  const long rss0 = rss_bytes();
  const std::size_t heap0 = heap_in_use();
  falcon::emulator::Options o;
  o.rate_limit_per_minute = 1000000000;
  o.quota = 10000000;
  falcon::emulator::Emulator emu(o);
  const int port = emu.start();
  json batch = json::array();
  for (int i = 0; i < n; ++i) {
    batch.push_back(item(i));
    if (batch.size() == 2000 || i == n - 1) {
      emu.add_indicators(batch);
      batch = json::array();
    }
  }
  malloc_trim(0);
  const long rss1 = rss_bytes();
  const std::size_t heap1 = heap_in_use();

  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(true);
  cli.set_read_timeout(120);
  auto tok =
      cli.Post("/oauth2/token", "client_id=" + o.client_id + "&client_secret=" + o.client_secret,
               "application/x-www-form-urlencoded");
  httplib::Headers h = {
      {"Authorization", "Bearer " + json::parse(tok->body)["access_token"].get<std::string>()}};
  h.emplace("Accept-Encoding", g_gzip ? "gzip" : "identity");

  std::printf("\n%d indicators%s\n", n, g_gzip ? " (client offers gzip)" : "");
  std::printf("  memory: RSS +%.1f MiB = %.0f bytes/indicator; heap in use +%.0f bytes/indicator\n",
              static_cast<double>(rss1 - rss0) / 1048576.0, static_cast<double>(rss1 - rss0) / n,
              static_cast<double>(heap1 - heap0) / n);

  const auto report = [&](const char* what, const Walk& w, int limit) {
    std::printf(
        "  %-52s first page %8.2f ms, %8llu visited; then %3d pages: %7.2f ms, %7.0f "
        "visited per page (limit %d)\n",
        what, w.first_cpu * 1e3, static_cast<unsigned long long>(w.first_visited), w.pages,
        w.pages ? w.cpu * 1e3 / w.pages : 0.0,
        w.pages ? static_cast<double>(w.visited) / w.pages : 0.0, limit);
    std::fflush(stdout);
  };
  // At most 25 pages a walk (50,000 records): the cost per page is the figure, not the total.
  constexpr int kPages = 26;
  const std::string source = "&filter=" + url_encode("source:'bench-feed'");
  report("combined source:'bench-feed' (index)", walk(emu, cli, h, kCombined, source, 2000, kPages),
         2000);
  report("queries  source:'bench-feed' (index)", walk(emu, cli, h, kQueries, source, 2000, kPages),
         2000);
  report("combined unfiltered, created_on (index)", walk(emu, cli, h, kCombined, "", 2000, kPages),
         2000);
  // The indexes a sync's reads build are in place now: the memory figure of issue 17.
  malloc_trim(0);
  std::printf(
      "  memory with the 2 indexes sync's reads build: RSS +%.0f bytes/indicator, heap +%.0f "
      "bytes/indicator\n",
      static_cast<double>(rss_bytes() - rss0) / n, static_cast<double>(heap_in_use() - heap0) / n);
  report("combined source:'bench-feed'+deleted:false (index)",
         walk(emu, cli, h, kCombined, "&filter=" + url_encode("source:'bench-feed'+deleted:false"),
              2000, kPages),
         2000);
  report("queries  type:'domain'+source:'bench-feed' (index)",
         walk(emu, cli, h, kQueries, "&filter=" + url_encode("type:'domain'+source:'bench-feed'"),
              2000, kPages),
         2000);
  report("queries  unfiltered, value.desc (index)",
         walk(emu, cli, h, kQueries, "&sort=value.desc", 2000, kPages), 2000);
  report("queries  type:'domain'+platforms:'mac' (walks the group)",
         walk(emu, cli, h, kQueries, "&filter=" + url_encode("type:'domain'+platforms:'mac'"), 2000,
              4),
         2000);
  report("queries  type:'domain',severity:'high' (scan)",
         walk(emu, cli, h, kQueries, "&filter=" + url_encode("type:'domain',severity:'high'"), 2000,
              4),
         2000);
  malloc_trim(0);
  std::printf(
      "  memory with 5 indexes built: RSS +%.0f bytes/indicator, heap +%.0f bytes/indicator\n",
      static_cast<double>(rss_bytes() - rss0) / n, static_cast<double>(heap_in_use() - heap0) / n);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--gzip") == 0) {
      g_gzip = true;
    } else {
      sizes.push_back(std::atoi(argv[i]));
    }
  }
  if (sizes.empty()) {
    sizes = quick ? std::vector<int>{100000} : std::vector<int>{10000, 100000, 1000000};
  }
  std::printf(
      "emulator at scale: memory per indicator; emulator CPU and records visited per page over "
      "HTTP\n");
  for (int n : sizes) run(n);
  return 0;
}
