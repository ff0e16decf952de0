// Decode cost of one 2,000-record indicator_combined page (issue 11), no network: the page is
// built from records the emulator library creates (so the shape is the API's), and the SDK gets
// it from a FakeTransport. Per record, medians of interleaved iterations, thread CPU time:
//   bare      nlohmann::json::parse of the bytes (the floor)
//   envelope  ioc.indicator_combined() -> Response: what the SDK does before the caller looks
//   typed     resources_as<falcon::Indicator>() on that Response
//   total     envelope + typed, from bytes to a std::vector<Indicator>
//   bench_decode [--json OUT] [--records 2000] [--iterations 15]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "emulator.hpp"
#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

namespace {

using nlohmann::json;

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

std::string build_page(int records) {
  falcon::emulator::Options o;
  falcon::emulator::Emulator emu(o);  // never started: only its store and validation are used
  const char* types[] = {"domain", "sha256", "ipv4", "md5"};
  json items = json::array();
  for (int i = 0; i < records; ++i) {
    const std::string type = types[i % 4];
    std::string value;
    char hex[65];
    if (type == "domain") {
      value = "host-" + std::to_string(i) + ".decode.bench.example";
    } else if (type == "ipv4") {
      value = "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
              std::to_string(i & 255);
    } else {
      const int len = type == "sha256" ? 64 : 32;
      for (int k = 0; k < len; ++k) hex[k] = "0123456789abcdef"[(i * 7 + k * 13 + k * i) % 16];
      hex[len] = '\0';
      value = hex;
      value.replace(0, 8, [&] {
        char b[9];
        std::snprintf(b, sizeof(b), "%08x", static_cast<unsigned>(i));
        return std::string(b);
      }());
    }
    json item{{"type", type},
              {"value", value},
              {"action", type == "ipv4" ? "detect" : "prevent"},
              {"severity", "high"},
              {"description", "decode benchmark record " + std::to_string(i)},
              {"platforms", {"windows", "mac", "linux"}},
              {"tags", {"bench", "decode"}},
              {"applied_globally", true}};
    if (type == "domain" || type == "ipv4") item["action"] = "detect";
    items.push_back(item);
  }
  json resources = json::array();
  for (std::size_t start = 0; start < items.size(); start += 500) {
    json batch = json::array();
    for (std::size_t i = start; i < std::min(items.size(), start + 500); ++i) {
      batch.push_back(items[i]);
    }
    for (const auto& id : emu.add_indicators(batch)) resources.push_back(emu.indicator(id));
  }
  json page{
      {"meta",
       {{"query_time", 0.012},
        {"powered_by", "ioc-manager"},
        {"trace_id", "01234567-89ab-cdef-0123-456789abcdef"},
        {"pagination",
         {{"limit", records}, {"total", records}, {"after", "WzE3MDAwMDAwMDAwMDAsImJlbmNoIl0="}}}}},
      {"errors", json::array()},
      {"resources", resources}};
  return page.dump();
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  int records = 2000, iterations = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--json") {
      json_out = v;
    } else if (k == "--records") {
      records = std::atoi(v.c_str());
    } else if (k == "--iterations") {
      iterations = std::atoi(v.c_str());
    } else {
      std::fprintf(stderr, "bench_decode: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (records < 1 || records > 2000 || iterations < 1 || iterations > 1000) {
    std::fprintf(stderr, "bench_decode: --records 1-2000, --iterations 1-1000\n");
    return 2;
  }
  const std::string bytes = build_page(records);

  auto fake = std::make_shared<falcon::testing::FakeTransport>();
  fake->respond_with([&bytes](const falcon::HttpRequest& req) {
    falcon::TransportResult r;
    const bool token = req.url.find("/oauth2/token") != std::string::npos;
    r.response.status = token ? 201 : 200;
    r.response.body = token ? R"({"access_token":"t","expires_in":1799})" : bytes;
    return r;
  });
  falcon::Config cfg;
  cfg.client_id = "id";
  cfg.client_secret = "secret";
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  const falcon::IOC ioc(cfg);
  falcon::IndicatorCombinedOptions o;
  o.limit = records;
  {
    const auto warm = ioc.indicator_combined(o);
    if (!warm.ok() || warm.resources().size() != static_cast<std::size_t>(records)) {
      std::fprintf(stderr, "bench_decode: the fake page did not decode\n");
      return 1;
    }
  }

  std::vector<double> bare, envelope, typed, total;
  std::vector<double> bare_i, envelope_i, typed_i;
  falcon_bench::InstructionCounter ic;
  std::size_t sink = 0;
  for (int it = 0; it < iterations; ++it) {
    // Each measure stops before its result is freed (the Response below lives on too).
    double t0 = thread_cpu_ns();
    ic.start();
    auto parsed = json::parse(bytes);
    auto n = ic.stop();
    bare.push_back(thread_cpu_ns() - t0);
    if (n) bare_i.push_back(static_cast<double>(*n));
    sink += parsed["resources"].size();
    parsed = nullptr;

    fake->clear_requests();
    t0 = thread_cpu_ns();
    ic.start();
    const auto r = ioc.indicator_combined(o);
    n = ic.stop();
    const double t1 = thread_cpu_ns();
    envelope.push_back(t1 - t0);
    if (n) envelope_i.push_back(static_cast<double>(*n));
    ic.start();
    const auto v = r.resources_as<falcon::Indicator>();
    n = ic.stop();
    typed.push_back(thread_cpu_ns() - t1);
    sink += v.size();
    if (n) typed_i.push_back(static_cast<double>(*n));
    total.push_back(envelope.back() + typed.back());
    if (!r.ok()) {
      std::fprintf(stderr, "bench_decode: indicator_combined failed\n");
      return 1;
    }
  }
  if (sink == 0) return 1;

  const double per = static_cast<double>(records);
  auto ns = [&](const std::vector<double>& v) { return falcon_bench::median(v) / per; };
  auto ins = [&](const std::vector<double>& v) -> json {
    if (v.empty()) return nullptr;
    return falcon_bench::median(v) / per;
  };
  const double floor_ns = ns(bare);
  json out{{"records", records},
           {"page_bytes", bytes.size()},
           {"iterations", iterations},
           {"bare_parse_ns_per_record", floor_ns},
           {"envelope_ns_per_record", ns(envelope)},
           {"typed_ns_per_record", ns(typed)},
           {"total_ns_per_record", ns(total)},
           {"envelope_ratio_to_bare", ns(envelope) / floor_ns},
           {"total_ratio_to_bare", ns(total) / floor_ns},
           {"bare_instructions_per_record", ins(bare_i)},
           {"envelope_instructions_per_record", ins(envelope_i)},
           {"typed_instructions_per_record", ins(typed_i)}};
  std::printf(
      "decode of one %d-record indicator_combined page (%zu bytes), %d iterations, median "
      "CPU per record:\n",
      records, bytes.size(), iterations);
  std::printf("  bare nlohmann parse      %8.0f ns  (floor)\n", floor_ns);
  std::printf("  SDK envelope (Response)  %8.0f ns  %.2fx\n", ns(envelope),
              ns(envelope) / floor_ns);
  std::printf("  resources_as<Indicator>  %8.0f ns\n", ns(typed));
  std::printf("  envelope + typed         %8.0f ns  %.2fx\n", ns(total), ns(total) / floor_ns);
  if (!json_out.empty()) std::ofstream(json_out) << out.dump(2) << "\n";
  return 0;
}
