// Issue 11's end-to-end benchmarks in one process tree: this harness forks the emulator (the
// falcon_emulator library, in its own process so its CPU is counted apart), then starts one
// bench_client process per run and collects the JSON line each prints, its peak RSS (wait4) and
// the emulator's counters around it (connections, requests, emulator CPU).
//
//   bench_e2e --client PATH [--json OUT] [--rounds 5] [--calls 2000]
//             [--encodings sdk-default,identity,gzip] [--page-small 10000] [--page-large 100000]
//             [--bulk 100000] [--threads 1,2,4,8] [--thread-calls 4000]
//
// Sections: (1) floor vs SDK, interleaved rounds per encoding, after a probe that captures the
// exact request each client puts on the wire and checks they are the same; (2) threads sharing
// one Client; (3) paging small vs large; (4) bulk create at concurrency 1, 2, 4.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_proc.hpp"
#include "bench_util.hpp"
#include "emulator.hpp"

extern char** environ;

namespace {

using nlohmann::json;

const char* kClientId = "bench";
const char* kClientSecret = "bench-secret";

// ---- the emulator in a child process (bench_proc.hpp) ----------------------------------------

using falcon_bench::EmulatorProcess;
using falcon_bench::Run;

EmulatorProcess start_emulator() {
  falcon::emulator::Options o;
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.rate_limit_per_minute = 100'000'000;
  o.keep_alive_timeout_seconds = 60;
  return falcon_bench::start_emulator(o);
}

// ---- a probe server: records the exact request head of each GET a client sends ---------------

struct Captured {
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
};

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

class Probe {
 public:
  Probe() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 8) != 0) {
      std::fprintf(stderr, "bench_e2e: probe cannot listen\n");
      std::exit(1);
    }
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Probe() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Captured last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};  // a client that stalls cannot hold the probe
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      handle(c);
      close(c);
    }
  }

  void handle(int c) {
    std::string buf;
    char chunk[4096];
    for (int requests = 0; requests < 16 && !stop_; ++requests) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = recv(c, chunk, sizeof(chunk), 0);
        if (n <= 0 || buf.size() > 65536) return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      std::istringstream head(buf.substr(0, end));
      std::string line, method, target;
      std::getline(head, line);
      std::istringstream(line) >> method >> target;
      Captured cap;
      cap.target = target;
      std::size_t length = 0;
      while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (name == "content-length") length = std::strtoul(value.c_str(), nullptr, 10);
        cap.headers.emplace_back(std::move(name), std::move(value));
      }
      buf.erase(0, end + 4);
      while (buf.size() < length) {
        const ssize_t n = recv(c, chunk, sizeof(chunk), 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      buf.erase(0, length);
      std::string body;
      int status = 200;
      if (method == "POST" && target.rfind("/oauth2/token", 0) == 0) {
        status = 201;
        body = R"({"access_token":"probe-token","expires_in":1799,"token_type":"bearer"})";
      } else {
        body =
            R"({"meta":{},"errors":[],"resources":[{"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","type":"domain","value":"probe.example"}]})";
        std::lock_guard<std::mutex> lock(mu_);
        last_ = cap;
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                                " OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
      if (send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  Captured last_;
};

// ---- client processes ---------------------------------------------------------------------

std::string client_path;
EmulatorProcess* emulator = nullptr;

Run run_client(const std::vector<std::string>& args, bool count_emulator = true) {
  return falcon_bench::run_client(client_path, args, count_emulator ? emulator : nullptr);
}

// Instructions the client executes, counted by valgrind's callgrind (deterministic, whatever
// else the machine is doing; this VM has no hardware counter). -1 when valgrind is missing or
// BENCH_CALLGRIND=0.
long long callgrind_total(const std::vector<std::string>& args) {
  const char* off = std::getenv("BENCH_CALLGRIND");
  if (off != nullptr && std::string(off) == "0") return -1;
  int p[2];
  if (pipe(p) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  std::vector<std::string> all{"valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               client_path};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const bool started = posix_spawnp(&pid, "valgrind", &fa, nullptr, argv.data(), environ) == 0;
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while (started && (n = read(p[0], buf, sizeof(buf))) > 0) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(p[0]);
  if (!started) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const auto at = text.find("Collected : ");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || at == std::string::npos) return -1;
  return std::atoll(text.c_str() + at + 12);
}

// Per call: the difference of two runs of different lengths, so the start-up, the token and
// the warm-up call cancel out.
double callgrind_per_call(std::vector<std::string> args) {
  constexpr long kShort = 100, kLong = 600;
  auto with_calls = [&](long calls) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--calls", std::to_string(calls)});
    return callgrind_total(a);
  };
  const long long small = with_calls(kShort);
  const long long large = small < 0 ? -1 : with_calls(kLong);
  if (small < 0 || large < small) return -1;
  return static_cast<double>(large - small) / static_cast<double>(kLong - kShort);
}

using falcon_bench::emu_delta;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

json num_or_null(const std::vector<double>& v) {
  if (v.empty()) return nullptr;
  return falcon_bench::median(v);
}

bool failed_any = false;

void note(const Run& r) {
  if (r.exit_code != 0 || r.out.is_null() || r.out.value("failed", 0) != 0) failed_any = true;
}

// ---- (1) floor vs SDK ----------------------------------------------------------------------

json compare(const std::string& encoding, const std::string& id, int rounds, long calls,
             Probe& probe) {
  // What the SDK sends, on the wire.
  run_client({"sdk", "--url", probe.url(), "--id", id, "--calls", "0", "--encoding", encoding,
              "--client-id", kClientId, "--client-secret", kClientSecret},
             false);
  const Captured sdk_req = probe.last();
  std::vector<std::string> floor_args{"floor", "--target", sdk_req.target};
  std::string floor_encoding = "sdk-default";  // the floor sends no Accept-Encoding at all
  for (const auto& [name, value] : sdk_req.headers) {
    if (name == "host" || name == "authorization") continue;
    if (name == "accept-encoding") {
      floor_encoding = value;
      continue;
    }
    floor_args.push_back("--header");
    floor_args.push_back(name + ": " + value);
  }
  floor_args.push_back("--encoding");
  floor_args.push_back(floor_encoding);
  floor_args.push_back("--client-id");
  floor_args.push_back(kClientId);
  floor_args.push_back("--client-secret");
  floor_args.push_back(kClientSecret);

  // What the floor sends, on the wire: the same head, names compared case-insensitively,
  // order ignored, the bearer token's value aside.
  auto probe_floor = floor_args;
  probe_floor.insert(probe_floor.end(), {"--url", probe.url(), "--calls", "0"});
  run_client(probe_floor, false);
  const Captured floor_req = probe.last();
  auto canon = [](const Captured& c) {
    std::multimap<std::string, std::string> m;
    for (const auto& [k, v] : c.headers) {
      m.emplace(k, k == "authorization" ? v.substr(0, 7) : v);
    }
    return m;
  };
  const bool same = sdk_req.target == floor_req.target && canon(sdk_req) == canon(floor_req);
  json wire = json::object();
  for (const auto& [k, v] : sdk_req.headers) {
    wire[k] = k == "authorization" ? "Bearer <token>" : v;
  }
  if (!same) {
    std::fprintf(stderr, "bench_e2e: WARNING: the floor's request differs from the SDK's (%s)\n",
                 encoding.c_str());
  }

  std::vector<std::string> sdk_args{"sdk",
                                    "--url",
                                    emulator->url,
                                    "--id",
                                    id,
                                    "--calls",
                                    std::to_string(calls),
                                    "--encoding",
                                    encoding,
                                    "--client-id",
                                    kClientId,
                                    "--client-secret",
                                    kClientSecret};
  floor_args.insert(floor_args.end(), {"--url", emulator->url, "--calls", std::to_string(calls)});
  std::vector<double> f_cpu, s_cpu, ratio, f_rss, s_rss, f_ins, s_ins, f_wall, s_wall;
  double f_conn = 0, s_conn = 0;
  std::string via;
  for (int r = 0; r < rounds; ++r) {
    Run f, s;
    if (r % 2 == 0) {
      f = run_client(floor_args);
      s = run_client(sdk_args);
    } else {
      s = run_client(sdk_args);
      f = run_client(floor_args);
    }
    note(f);
    note(s);
    if (f.out.is_null() || s.out.is_null()) continue;
    const double fc = f.out["cpu_us_per_call"].get<double>();
    const double sc = s.out["cpu_us_per_call"].get<double>();
    f_cpu.push_back(fc);
    s_cpu.push_back(sc);
    if (fc > 0) ratio.push_back(sc / fc);
    f_rss.push_back(static_cast<double>(f.maxrss_kib) / 1024);
    s_rss.push_back(static_cast<double>(s.maxrss_kib) / 1024);
    f_wall.push_back(f.out["wall_s"].get<double>() * 1e6 / static_cast<double>(calls));
    s_wall.push_back(s.out["wall_s"].get<double>() * 1e6 / static_cast<double>(calls));
    if (f.out["instructions_per_call"].is_number()) {
      f_ins.push_back(f.out["instructions_per_call"].get<double>());
    }
    if (s.out["instructions_per_call"].is_number()) {
      s_ins.push_back(s.out["instructions_per_call"].get<double>());
    }
    f_conn = std::max(f_conn, emu_delta(f, "connections"));
    s_conn = std::max(s_conn, emu_delta(s, "connections"));
    via = s.out.value("encoding_applied_via", "");
  }
  json j{{"encoding", encoding},
         {"accept_encoding_on_wire", wire.value("accept-encoding", "(none)")},
         {"sdk_encoding_applied_via", via},
         {"same_request", same},
         {"request_headers", wire},
         {"target", sdk_req.target},
         {"rounds", rounds},
         {"calls_per_round", calls},
         {"floor",
          {{"cpu_us_per_call", num_or_null(f_cpu)},
           {"cpu_us_per_call_best",
            f_cpu.empty() ? json(nullptr) : json(*std::min_element(f_cpu.begin(), f_cpu.end()))},
           {"wall_us_per_call", num_or_null(f_wall)},
           {"instructions_per_call", num_or_null(f_ins)},
           {"max_connections_per_run", f_conn},
           {"peak_rss_mib", num_or_null(f_rss)}}},
         {"sdk",
          {{"cpu_us_per_call", num_or_null(s_cpu)},
           {"cpu_us_per_call_best",
            s_cpu.empty() ? json(nullptr) : json(*std::min_element(s_cpu.begin(), s_cpu.end()))},
           {"wall_us_per_call", num_or_null(s_wall)},
           {"instructions_per_call", num_or_null(s_ins)},
           {"max_connections_per_run", s_conn},
           {"peak_rss_mib", num_or_null(s_rss)}}},
         {"cpu_ratio_median", num_or_null(ratio)},
         // Load from other processes only ever adds CPU time: the best round of each is the
         // least disturbed estimate.
         {"cpu_ratio_of_best_rounds", f_cpu.empty() || s_cpu.empty()
                                          ? json(nullptr)
                                          : json(*std::min_element(s_cpu.begin(), s_cpu.end()) /
                                                 *std::min_element(f_cpu.begin(), f_cpu.end()))},
         {"cpu_ratio_min",
          ratio.empty() ? json(nullptr) : json(*std::min_element(ratio.begin(), ratio.end()))},
         {"cpu_ratio_max",
          ratio.empty() ? json(nullptr) : json(*std::max_element(ratio.begin(), ratio.end()))}};
  if (!f_ins.empty() && !s_ins.empty()) {
    j["instructions_ratio"] = falcon_bench::median(s_ins) / falcon_bench::median(f_ins);
  } else {
    j["instructions_ratio"] = nullptr;
  }
  {
    // The same two loops under callgrind: instructions per call that the machine's load
    // cannot move. --calls is appended by callgrind_per_call (the last one given wins).
    auto strip_calls = [](std::vector<std::string> a) {
      for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        if (a[i] == "--calls") {
          a.erase(a.begin() + static_cast<std::ptrdiff_t>(i),
                  a.begin() + static_cast<std::ptrdiff_t>(i) + 2);
          break;
        }
      }
      return a;
    };
    const double f_cg = callgrind_per_call(strip_calls(floor_args));
    const double s_cg = f_cg < 0 ? -1 : callgrind_per_call(strip_calls(sdk_args));
    if (f_cg > 0 && s_cg > 0) {
      j["floor"]["callgrind_instructions_per_call"] = f_cg;
      j["sdk"]["callgrind_instructions_per_call"] = s_cg;
      j["callgrind_instructions_ratio"] = s_cg / f_cg;
      std::printf("  %-12s callgrind: floor %.0f  sdk %.0f instructions per call, ratio %.2f\n",
                  encoding.c_str(), f_cg, s_cg, s_cg / f_cg);
    } else {
      j["callgrind_instructions_ratio"] = nullptr;
      std::printf("  %-12s callgrind: n/a (valgrind missing or BENCH_CALLGRIND=0)\n",
                  encoding.c_str());
    }
  }
  std::printf(
      "  %-12s wire AE %-26s floor %6.1f us  sdk %6.1f us  ratio %.2f (%.2f-%.2f)  conns %g/%g  "
      "RSS %.1f/%.1f MiB  same request: %s\n",
      encoding.c_str(), j["accept_encoding_on_wire"].get<std::string>().c_str(),
      falcon_bench::median(f_cpu), falcon_bench::median(s_cpu), falcon_bench::median(ratio),
      j["cpu_ratio_min"].is_number() ? j["cpu_ratio_min"].get<double>() : 0.0,
      j["cpu_ratio_max"].is_number() ? j["cpu_ratio_max"].get<double>() : 0.0, f_conn, s_conn,
      falcon_bench::median(f_rss), falcon_bench::median(s_rss), same ? "yes" : "NO");
  std::fflush(stdout);
  return j;
}

std::string git_free_date() {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  int rounds = 5;
  long calls = 2000, page_small = 10'000, page_large = 100'000, bulk = 100'000;
  long thread_calls = 4000;
  std::string encodings = "sdk-default,identity,gzip";
  std::string thread_list = "1,2,4,8";
  std::string bulk_list = "1,2,4";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--client") {
      client_path = v;
    } else if (k == "--json") {
      json_out = v;
    } else if (k == "--rounds") {
      rounds = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--calls") {
      calls = std::max(1L, std::atol(v.c_str()));
    } else if (k == "--encodings") {
      encodings = v;
    } else if (k == "--page-small") {
      page_small = std::atol(v.c_str());
    } else if (k == "--page-large") {
      page_large = std::atol(v.c_str());
    } else if (k == "--bulk") {
      bulk = std::atol(v.c_str());
    } else if (k == "--bulk-concurrency") {
      bulk_list = v;
    } else if (k == "--threads") {
      thread_list = v;
    } else if (k == "--thread-calls") {
      thread_calls = std::max(1L, std::atol(v.c_str()));
    } else {
      std::fprintf(stderr, "bench_e2e: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (client_path.empty()) {
    std::fprintf(stderr, "usage: bench_e2e --client PATH/bench_client [--json OUT] ...\n");
    return 2;
  }
  if (page_small < 1 || page_large < page_small || page_large > 1'000'000 || bulk < 1 ||
      bulk > 1'000'000) {
    std::fprintf(stderr, "bench_e2e: page and bulk counts must be 1-1000000, small <= large\n");
    return 2;
  }

  EmulatorProcess emu = start_emulator();  // forked before any thread exists
  emulator = &emu;
  const std::string id = json::parse(emu.ask("preload 1"))["first_id"].get<std::string>();
  json result{{"date", git_free_date()}, {"emulator", "falcon_emulator library, own process"}};

  // (1) floor vs SDK.
  std::printf("(1) indicator_get of one record, %ld calls per round, %d rounds, medians:\n", calls,
              rounds);
  json cmp = json::array();
  {
    Probe probe;
    for (const auto& e : split(encodings, ',')) {
      cmp.push_back(compare(e == "none" ? "" : e, id, rounds, calls, probe));
    }
  }
  result["indicator_get"] = cmp;

  // (2) threads sharing one Client.
  std::printf("(2) indicator_get, threads sharing one Client, %ld calls per run:\n", thread_calls);
  json th = json::array();
  for (const auto& t : split(thread_list, ',')) {
    auto r = run_client({"threads", "--url", emu.url, "--id", id, "--threads", t, "--calls",
                         std::to_string(thread_calls), "--client-id", kClientId, "--client-secret",
                         kClientSecret});
    note(r);
    if (r.out.is_null()) continue;
    const double wall = r.out["wall_s"].get<double>();
    const double client_cpu = r.out["cpu_s"].get<double>();
    const double emu_cpu = emu_delta(r, "cpu_s");
    json row{{"threads", std::atoi(t.c_str())},
             {"calls_per_s", r.out["calls_per_s"]},
             {"connections", emu_delta(r, "connections")},
             {"client_cpu_us_per_call", r.out["cpu_us_per_call"]},
             {"emulator_cpu_us_per_call", emu_cpu * 1e6 / static_cast<double>(thread_calls)},
             {"client_cores_busy", wall > 0 ? client_cpu / wall : 0.0},
             {"emulator_cores_busy", wall > 0 ? emu_cpu / wall : 0.0},
             {"peak_rss_mib", static_cast<double>(r.maxrss_kib) / 1024}};
    // With client and server sharing the cores, the most calls/s the CPU allows is
    // cores / (client CPU + emulator CPU per call).
    const double per_call = (client_cpu + emu_cpu) / static_cast<double>(thread_calls);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    row["cpu_ceiling_calls_per_s"] = per_call > 0 ? cores / per_call : 0.0;
    std::printf(
        "  %2s threads: %8.0f calls/s  %3g connections  CPU per call: client %.1f us, "
        "emulator %.1f us -> ceiling %.0f calls/s on %u cores; cores busy %.2f + %.2f\n",
        t.c_str(), row["calls_per_s"].get<double>(), row["connections"].get<double>(),
        row["client_cpu_us_per_call"].get<double>(), row["emulator_cpu_us_per_call"].get<double>(),
        row["cpu_ceiling_calls_per_s"].get<double>(), cores, row["client_cores_busy"].get<double>(),
        row["emulator_cores_busy"].get<double>());
    th.push_back(row);
  }
  result["threads"] = th;

  // (3) paging: peak RSS of the client at two store sizes.
  std::printf("(3) combined_all paging (limit 2000), typed decode of every page:\n");
  json pg = json::array();
  for (const long n : {page_small, page_large}) {
    emu.ask("preload " + std::to_string(n));
    const long stored = emu.counters()["indicators"].get<long>();
    auto r = run_client(
        {"page", "--url", emu.url, "--client-id", kClientId, "--client-secret", kClientSecret});
    note(r);
    if (r.out.is_null()) continue;
    json row{{"indicators", stored},
             {"records_read", r.out["records"]},
             {"pages", r.out["pages"]},
             {"wall_s", r.out["wall_s"]},
             {"client_cpu_s", r.out["cpu_s"]},
             {"peak_rss_mib", static_cast<double>(r.maxrss_kib) / 1024}};
    if (r.out["records"].get<long>() != stored) failed_any = true;
    std::printf(
        "  %7ld indicators: %ld records in %ld pages, %.2f s, client CPU %.2f s, peak RSS "
        "%.1f MiB\n",
        stored, r.out["records"].get<long>(), r.out["pages"].get<long>(),
        r.out["wall_s"].get<double>(), r.out["cpu_s"].get<double>(),
        row["peak_rss_mib"].get<double>());
    pg.push_back(row);
  }
  json paging{{"runs", pg}};
  if (pg.size() == 2) {
    paging["rss_ratio_large_to_small"] =
        pg[1]["peak_rss_mib"].get<double>() / pg[0]["peak_rss_mib"].get<double>();
  }
  result["paging"] = paging;

  // (4) bulk create into an empty store.
  std::printf("(4) bulk_create of %ld indicators:\n", bulk);
  json bk = json::array();
  for (const auto& c : split(bulk_list, ',')) {
    emu.ask("reset");
    auto r = run_client({"bulk", "--url", emu.url, "--count", std::to_string(bulk), "--concurrency",
                         c, "--client-id", kClientId, "--client-secret", kClientSecret});
    note(r);
    if (r.out.is_null()) continue;
    const double wall = r.out["wall_s"].get<double>();
    const double client_cpu = r.out["cpu_s"].get<double>();
    const double emu_cpu = emu_delta(r, "cpu_s");
    json row{{"concurrency", std::atoi(c.c_str())},
             {"created", r.out["created"]},
             {"requests", r.out["requests"]},
             {"indicators_per_s", r.out["indicators_per_s"]},
             {"wall_s", wall},
             {"client_cpu_s", client_cpu},
             {"emulator_cpu_s", emu_cpu},
             {"client_cores_busy", wall > 0 ? client_cpu / wall : 0.0},
             {"emulator_cores_busy", wall > 0 ? emu_cpu / wall : 0.0},
             {"client_cpu_us_per_indicator",
              client_cpu * 1e6 / std::max(1.0, r.out["created"].get<double>())},
             {"emulator_cpu_us_per_indicator",
              emu_cpu * 1e6 / std::max(1.0, r.out["created"].get<double>())},
             // The emulator's store takes one write at a time (an exclusive lock), so one core
             // of its CPU per indicator caps the rate whatever the concurrency.
             {"emulator_ceiling_indicators_per_s",
              emu_cpu > 0 ? r.out["created"].get<double>() / emu_cpu : 0.0},
             {"bound_by", emu_cpu >= client_cpu ? "emulator CPU" : "client CPU"},
             {"peak_rss_mib", static_cast<double>(r.maxrss_kib) / 1024}};
    std::printf(
        "  concurrency %s: %8.0f indicators/s (%ld created, %ld requests, %.2f s)  CPU per "
        "indicator: client %.1f us, emulator %.1f us (one write at a time: at most %.0f/s)"
        "  cores busy: client %.2f, emulator %.2f -> %s\n",
        c.c_str(), row["indicators_per_s"].get<double>(), r.out["created"].get<long>(),
        r.out["requests"].get<long>(), wall, row["client_cpu_us_per_indicator"].get<double>(),
        row["emulator_cpu_us_per_indicator"].get<double>(),
        row["emulator_ceiling_indicators_per_s"].get<double>(),
        row["client_cores_busy"].get<double>(), row["emulator_cores_busy"].get<double>(),
        row["bound_by"].get<std::string>().c_str());
    bk.push_back(row);
  }
  result["bulk_create"] = bk;
  result["ok"] = !failed_any;

  emu.ask("quit");
  waitpid(emu.pid, nullptr, 0);
  if (!json_out.empty()) {
    std::ofstream(json_out) << result.dump(2) << "\n";
  }
  if (failed_any) std::fprintf(stderr, "bench_e2e: some runs failed (see above)\n");
  return failed_any ? 1 : 0;
}
