// Issue 17, "Writes over HTTPS": what one read and one write cost the client over HTTPS and over
// HTTP, next to bare libcurl floors over the same TLS. Forks two emulators (one plain, one with
// --tls-cert/--tls-key), then runs one bench_client process per measurement:
//
//   floor-read          bare libcurl GET of one indicator on one kept connection
//   sdk-get             IOC::indicator_get of that indicator
//   floor-write-fresh   bare libcurl create, a fresh connection each (libcurl's own CA cache
//                       and TLS session cache: the least a fresh-connection write costs)
//   floor-write-reused  bare libcurl create on one kept connection
//   sdk-create          IOC::indicator_create of one new indicator
//
// in interleaved rounds (the order rotates, so a burst of load elsewhere on the machine does not
// always land on the same mode), then bulk_create of --import indicators at each --batches size.
// Reported: client CPU per call (median of the rounds, and the best round), the ratios, and the
// connections and TLS handshakes of each run (the client's TransportStats, the emulator's count).
//
//   bench_tls --client PATH/bench_client --cert CERT.pem --key KEY.pem [--ca BUNDLE.pem]
//             [--json OUT] [--rounds 5] [--calls 500] [--import 20000] [--batches 200,20]
//             [--concurrency 2] [--schemes https,http]
//
// CERT must name 127.0.0.1 (subjectAltName IP:127.0.0.1). BUNDLE (default: CERT) is the
// clients' CA bundle (Config::ca_bundle, CURLOPT_CAINFO); scripts/bench.sh makes CERT with
// openssl in the build dir and BUNDLE as the system's CA bundle plus CERT, the size of trust
// store a client verifying the real API loads.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench_proc.hpp"
#include "bench_util.hpp"
#include "emulator.hpp"

namespace {

using falcon_bench::EmulatorProcess;
using falcon_bench::Run;
using nlohmann::json;

const char* kClientId = "bench";
const char* kClientSecret = "bench-secret";

std::string client_path;
bool failed_any = false;

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
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Scheme {
  std::string name;  // "https" or "http"
  EmulatorProcess* emu = nullptr;
  std::string id;  // the indicator sdk-get and floor-read fetch
  std::string ca;  // --ca for https
};

Run run(const Scheme& s, std::vector<std::string> args) {
  args.insert(args.end(),
              {"--url", s.emu->url, "--client-id", kClientId, "--client-secret", kClientSecret});
  if (!s.ca.empty()) args.insert(args.end(), {"--ca", s.ca});
  Run r = falcon_bench::run_client(client_path, args, s.emu);
  if (r.exit_code != 0 || r.out.is_null() || r.out.value("failed", 0) != 0) failed_any = true;
  return r;
}

std::vector<std::string> mode_args(const std::string& mode, const Scheme& s, long calls) {
  const std::string n = std::to_string(calls);
  if (mode == "floor-read") {
    return {"floor",
            "--target",
            "/iocs/entities/indicators/v1?ids=" + s.id,
            "--encoding",
            "gzip, deflate",
            "--header",
            "Accept: application/json",
            "--header",
            "User-Agent: falcon-cpp/bench",
            "--calls",
            n};
  }
  if (mode == "sdk-get") return {"sdk", "--id", s.id, "--calls", n};
  if (mode == "floor-write-fresh") {
    return {"floor-write", "--fresh", "1", "--encoding", "gzip, deflate", "--calls", n};
  }
  if (mode == "floor-write-reused") {
    return {"floor-write", "--fresh", "0", "--encoding", "gzip, deflate", "--calls", n};
  }
  return {"create", "--calls", n};  // sdk-create
}

const std::vector<std::string> kModes = {"floor-read", "sdk-get", "floor-write-fresh",
                                         "floor-write-reused", "sdk-create"};

double best(const std::vector<double>& v) {
  return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

json per_call(const Scheme& s, int rounds, long calls) {
  std::map<std::string, std::vector<double>> cpu;  // us per call, one per round
  std::map<std::string, json> last_counts;         // the last round's counts
  std::vector<double> create_to_get;               // per round
  for (int r = 0; r < rounds; ++r) {
    std::map<std::string, double> round_cpu;
    for (std::size_t k = 0; k < kModes.size(); ++k) {
      const std::string& mode = kModes[(k + static_cast<std::size_t>(r)) % kModes.size()];
      const Run run_ = run(s, mode_args(mode, s, calls));
      if (run_.out.is_null()) continue;
      const double us = run_.out["cpu_us_per_call"].get<double>();
      cpu[mode].push_back(us);
      round_cpu[mode] = us;
      json counts{{"emulator_connections", falcon_bench::emu_delta(run_, "connections")},
                  {"emulator_requests", falcon_bench::emu_delta(run_, "requests")}};
      if (run_.out.contains("transport")) counts["client"] = run_.out["transport"];
      if (run_.out.contains("new_connections")) {
        counts["client"] = {{"new_connections", run_.out["new_connections"]}};
      }
      last_counts[mode] = counts;
    }
    if (round_cpu.count("sdk-create") && round_cpu.count("sdk-get") && round_cpu["sdk-get"] > 0) {
      create_to_get.push_back(round_cpu["sdk-create"] / round_cpu["sdk-get"]);
    }
  }
  json modes = json::object();
  for (const auto& mode : kModes) {
    modes[mode] = {{"cpu_us_per_call", falcon_bench::median(cpu[mode])},
                   {"cpu_us_per_call_best", best(cpu[mode])},
                   {"rounds", cpu[mode]},
                   {"counts_last_round", last_counts[mode]}};
  }
  auto med = [&](const std::string& m) { return falcon_bench::median(cpu[m]); };
  auto ratio = [&](const std::string& a, const std::string& b) {
    return med(b) > 0 ? json(med(a) / med(b)) : json(nullptr);
  };
  json out{{"scheme", s.name},
           {"calls_per_round", calls},
           {"rounds", rounds},
           {"modes", modes},
           {"ratios",
            {{"sdk_create_to_sdk_get", ratio("sdk-create", "sdk-get")},
             {"sdk_create_to_sdk_get_per_round_median", falcon_bench::median(create_to_get)},
             {"sdk_get_to_floor_read", ratio("sdk-get", "floor-read")},
             {"sdk_create_to_floor_write_fresh", ratio("sdk-create", "floor-write-fresh")},
             {"sdk_create_to_floor_write_reused", ratio("sdk-create", "floor-write-reused")},
             {"floor_write_fresh_to_floor_read", ratio("floor-write-fresh", "floor-read")}}}};
  std::printf("  %s, %ld calls per run, %d rounds (client CPU per call, median [best]):\n",
              s.name.c_str(), calls, rounds);
  for (const auto& mode : kModes) {
    const json& c = last_counts[mode];
    std::string counts = "emulator connections " + c.value("emulator_connections", json(0)).dump();
    if (c.contains("client")) counts += ", client " + c["client"].dump();
    std::printf("    %-19s %9.1f us [%9.1f]   %s\n", mode.c_str(), med(mode), best(cpu[mode]),
                counts.c_str());
  }
  auto show = [&](const char* label, const json& v) {
    if (v.is_number()) std::printf("    %-36s %.2f\n", label, v.get<double>());
  };
  show("ratio sdk-create / sdk-get", out["ratios"]["sdk_create_to_sdk_get"]);
  show("ratio sdk-get / floor-read", out["ratios"]["sdk_get_to_floor_read"]);
  show("ratio sdk-create / floor-write-fresh", out["ratios"]["sdk_create_to_floor_write_fresh"]);
  show("ratio sdk-create / floor-write-reused", out["ratios"]["sdk_create_to_floor_write_reused"]);
  std::fflush(stdout);
  return out;
}

json import(const Scheme& s, long count, const std::vector<std::string>& batches, int concurrency) {
  json rows = json::array();
  for (const auto& b : batches) {
    s.emu->ask("reset");  // an empty store: every run creates the same values
    const Run r = run(s, {"bulk", "--count", std::to_string(count), "--batch", b, "--concurrency",
                          std::to_string(concurrency)});
    if (r.out.is_null()) continue;
    const double cpu = r.out["cpu_s"].get<double>();
    const double requests = r.out["requests"].get<double>();
    json row{{"scheme", s.name},
             {"indicators", count},
             {"batch", std::atol(b.c_str())},
             {"concurrency", concurrency},
             {"created", r.out["created"]},
             {"requests", r.out["requests"]},
             {"client_cpu_s", cpu},
             {"client_cpu_us_per_request", requests > 0 ? cpu * 1e6 / requests : 0.0},
             {"client_cpu_us_per_indicator", cpu * 1e6 / static_cast<double>(count)},
             {"wall_s", r.out["wall_s"]},
             {"emulator_connections", falcon_bench::emu_delta(r, "connections")},
             {"emulator_cpu_s", falcon_bench::emu_delta(r, "cpu_s")}};
    if (r.out.contains("transport")) row["client"] = r.out["transport"];
    std::printf(
        "    %-5s batch %4s: %ld indicators in %.0f requests, client CPU %.2f s (%.0f us a "
        "request), %.2f s wall, emulator connections %.0f%s\n",
        s.name.c_str(), b.c_str(), count, requests, cpu,
        row["client_cpu_us_per_request"].get<double>(), r.out["wall_s"].get<double>(),
        row["emulator_connections"].get<double>(),
        r.out.contains("transport") ? (", client " + r.out["transport"].dump()).c_str() : "");
    rows.push_back(row);
  }
  std::fflush(stdout);
  return rows;
}

std::string utc_now() {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out, cert, key, ca, batch_list = "200,20", schemes = "https,http";
  int rounds = 5, concurrency = 2;
  long calls = 500, import_count = 20'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--client") {
      client_path = v;
    } else if (k == "--json") {
      json_out = v;
    } else if (k == "--cert") {
      cert = v;
    } else if (k == "--key") {
      key = v;
    } else if (k == "--ca") {
      ca = v;
    } else if (k == "--rounds") {
      rounds = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--calls") {
      calls = std::max(1L, std::atol(v.c_str()));
    } else if (k == "--import") {
      import_count = std::max(0L, std::atol(v.c_str()));
    } else if (k == "--batches") {
      batch_list = v;
    } else if (k == "--concurrency") {
      concurrency = std::clamp(std::atoi(v.c_str()), 1, 16);
    } else if (k == "--schemes") {
      schemes = v;
    } else {
      std::fprintf(stderr, "bench_tls: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (client_path.empty() || cert.empty() || key.empty()) {
    std::fprintf(stderr, "usage: bench_tls --client PATH --cert CERT --key KEY [--json OUT] ...\n");
    return 2;
  }

  falcon::emulator::Options o;
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.rate_limit_per_minute = 100'000'000;
  o.keep_alive_timeout_seconds = 60;
  // Forked before any thread exists.
  EmulatorProcess plain = falcon_bench::start_emulator(o);
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  EmulatorProcess tls = falcon_bench::start_emulator(o);

  std::vector<Scheme> list;
  for (const auto& name : split(schemes, ',')) {
    Scheme s;
    s.name = name;
    s.emu = name == "https" ? &tls : &plain;
    s.ca = name == "https" ? (ca.empty() ? cert : ca) : "";
    s.id = json::parse(s.emu->ask("preload 1"))["first_id"].get<std::string>();
    list.push_back(s);
  }

  json result{{"date", utc_now()},
              {"emulator", "falcon_emulator library, own process"},
              {"ca_bundle", ca.empty() ? cert : ca}};
  std::printf(
      "(1) one call at a time: indicator_get and indicator_create next to libcurl floors\n");
  json calls_json = json::array();
  for (const auto& s : list) calls_json.push_back(per_call(s, rounds, calls));
  result["per_call"] = calls_json;

  if (import_count > 0) {
    std::printf("(2) bulk_create of %ld indicators (concurrency %d)\n", import_count, concurrency);
    json imp = json::array();
    for (const auto& s : list) {
      for (auto& row : import(s, import_count, split(batch_list, ','), concurrency)) {
        imp.push_back(row);
      }
    }
    result["import"] = imp;
  }
  result["ok"] = !failed_any;
  plain.quit();
  tls.quit();
  if (!json_out.empty()) std::ofstream(json_out) << result.dump(2) << "\n";
  if (failed_any) std::fprintf(stderr, "bench_tls: some runs failed (see above)\n");
  return failed_any ? 1 : 0;
}
