// One client process of the issue 11 benchmarks; bench_e2e starts it (one process per run, so
// its CPU time and peak RSS are its own) and reads the one JSON line it prints on stdout.
//
//   bench_client floor   --url U --target PATH?QUERY [--encoding E] [--header "K: V"]...
//   bench_client sdk     --url U --id ID [--encoding E]
//   bench_client threads --url U --id ID --threads T [--encoding E]
//   bench_client page    --url U [--encoding E]
//   bench_client bulk    --url U --count N --concurrency C [--encoding E]
//   common: --calls N (default 2000), --client-id ID --client-secret S
//
// floor: a bare libcurl keep-alive loop (no JSON decoding) sending the request it is given.
// sdk: falcon::IOC::indicator_get of one id, decoded with resources_as<falcon::Indicator>().
// The measured part is the loop only (token fetch and one warm-up call come first).
// --encoding: "sdk-default" leaves the SDK's own choice; anything else ("identity", "gzip",
// "gzip, deflate", "") is applied through Config::accept_encoding when this SDK has it, else
// through CallOptions::headers (Accept-Encoding is not a header the SDK reserves).
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "bench_util.hpp"
#include "falcon/bulk.hpp"
#include "falcon/falcon.hpp"
#include "falcon/pagination.hpp"

namespace {

using falcon_bench::cpu_seconds;

struct Args {
  std::string mode, url, target, id, encoding = "sdk-default";
  std::string client_id = "bench", client_secret = "bench-secret";
  std::vector<std::string> headers;
  long calls = 2000;
  int threads = 1;
  long count = 0;
  int concurrency = 1;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "bench_client: %s (see the comment at the top of bench_client.cpp)\n",
               why.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  if (argc < 2) usage("a mode is required");
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(k + " needs a value");
    const std::string v = argv[++i];
    if (k == "--url") {
      a.url = v;
    } else if (k == "--target") {
      a.target = v;
    } else if (k == "--id") {
      a.id = v;
    } else if (k == "--encoding") {
      a.encoding = v;
    } else if (k == "--header") {
      a.headers.push_back(v);
    } else if (k == "--client-id") {
      a.client_id = v;
    } else if (k == "--client-secret") {
      a.client_secret = v;
    } else if (k == "--calls") {
      a.calls = std::atol(v.c_str());
    } else if (k == "--threads") {
      a.threads = std::atoi(v.c_str());
    } else if (k == "--count") {
      a.count = std::atol(v.c_str());
    } else if (k == "--concurrency") {
      a.concurrency = std::atoi(v.c_str());
    } else {
      usage("unknown option " + k);
    }
  }
  if (a.url.rfind("http://127.", 0) != 0 && a.url.rfind("http://[::1]", 0) != 0) {
    usage("--url must be a loopback http:// URL");
  }
  if (a.calls < 0 || a.calls > 10'000'000 || a.threads < 1 || a.threads > 64 || a.count < 0 ||
      a.count > 10'000'000 || a.concurrency < 1 || a.concurrency > 16) {
    usage("a count is out of range");
  }
  return a;
}

// Config::accept_encoding arrives with the hot-path work of issue 11; until then the encoding
// goes in as a per-call header. Detected at compile time so this file builds either way.
template <typename C, typename = void>
struct HasAcceptEncoding : std::false_type {};
template <typename C>
struct HasAcceptEncoding<C, std::void_t<decltype(std::declval<C&>().accept_encoding)>>
    : std::true_type {};

template <typename C>
bool set_config_encoding(C& cfg, const std::string& encoding) {
  if constexpr (HasAcceptEncoding<C>::value) {
    cfg.accept_encoding = encoding;
    return true;
  } else {
    (void)cfg;
    (void)encoding;
    return false;
  }
}

struct Sdk {
  falcon::Config cfg;
  falcon::CallOptions call;
  const char* applied_via = "default";
};

Sdk sdk_setup(const Args& a) {
  Sdk s;
  s.cfg.base_url = a.url;
  s.cfg.client_id = a.client_id;
  s.cfg.client_secret = a.client_secret;
  if (a.encoding != "sdk-default") {
    if (set_config_encoding(s.cfg, a.encoding)) {
      s.applied_via = "Config::accept_encoding";
    } else {
      s.call.headers.emplace("Accept-Encoding", a.encoding);
      s.applied_via = "CallOptions::headers";
    }
  }
  return s;
}

nlohmann::json result_base(const Args& a) {
  return {{"mode", a.mode}, {"encoding", a.encoding}};
}

void finish(nlohmann::json out, double cpu, double wall, long calls,
            const std::optional<std::uint64_t>& instructions) {
  out["cpu_s"] = cpu;
  out["wall_s"] = wall;
  out["calls"] = calls;
  out["cpu_us_per_call"] = calls > 0 ? cpu * 1e6 / static_cast<double>(calls) : 0.0;
  if (instructions && calls > 0) {
    out["instructions_per_call"] = static_cast<double>(*instructions) / static_cast<double>(calls);
  } else {
    out["instructions_per_call"] = nullptr;
  }
  out["maxrss_kib"] = falcon_bench::peak_rss_kib();
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- floor: bare libcurl -------------------------------------------------------------------

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

int floor_loop(const Args& a) {
  if (a.target.empty() || a.target[0] != '/') usage("floor needs --target /path?query");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* h = curl_easy_init();
  if (h == nullptr) return 1;
  std::string body;
  body.reserve(16384);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // The SDK's default time limits, so a stuck server cannot hang the run (and the floor pays
  // for the same timers the SDK sets).
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);

  // Token (not measured), on the same handle so the same connection carries the loop.
  const std::string token_url = a.url + "/oauth2/token";
  char* id = curl_easy_escape(h, a.client_id.c_str(), 0);
  char* secret = curl_easy_escape(h, a.client_secret.c_str(), 0);
  const std::string form = std::string("client_id=") + id + "&client_secret=" + secret;
  curl_free(id);
  curl_free(secret);
  curl_easy_setopt(h, CURLOPT_URL, token_url.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str());
  if (curl_easy_perform(h) != CURLE_OK) {
    std::fprintf(stderr, "bench_client floor: token request failed\n");
    return 1;
  }
  const auto tok = nlohmann::json::parse(body, nullptr, false);
  if (!tok.is_object() || !tok.contains("access_token") || !tok["access_token"].is_string()) {
    std::fprintf(stderr, "bench_client floor: no access_token in the token reply\n");
    return 1;
  }
  const std::string auth = "Authorization: Bearer " + tok["access_token"].get<std::string>();

  // Everything constant is set once; the loop only performs.
  curl_slist* list = nullptr;
  for (const auto& hd : a.headers) list = curl_slist_append(list, hd.c_str());
  list = curl_slist_append(list, auth.c_str());
  const std::string url = a.url + a.target;
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  // "sdk-default" here means: send no Accept-Encoding (the harness passes the SDK's own value).
  if (a.encoding != "sdk-default") curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, a.encoding.c_str());

  long failed = 0;
  auto one = [&] {
    body.clear();
    long status = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200 ||
        body.empty()) {
      ++failed;
    }
  };
  one();  // warm-up
  falcon_bench::InstructionCounter ic;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  ic.start();
  for (long i = 0; i < a.calls; ++i) one();
  const auto instr = ic.stop();
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["failed"] = failed;
  out["reply_bytes"] = body.size();
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  finish(out, cpu, wall, a.calls, instr);
  return failed == 0 ? 0 : 1;
}

// ---- SDK loops -----------------------------------------------------------------------------

bool get_one(const falcon::IOC& ioc, const falcon::IndicatorGetOptions& get,
             const falcon::CallOptions& call) {
  const auto r = ioc.indicator_get(get, call);
  if (!r.ok()) return false;
  const auto v = r.resources_as<falcon::Indicator>();
  return v.size() == 1 && !v[0].id.empty();
}

int sdk_loop(const Args& a) {
  if (a.id.empty()) usage("sdk needs --id");
  Sdk s = sdk_setup(a);
  const falcon::IOC ioc(s.cfg);
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList{a.id};
  const bool warm = get_one(ioc, get, s.call);  // token + first call, not measured
  long failed = warm ? 0 : 1;
  falcon_bench::InstructionCounter ic;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  ic.start();
  for (long i = 0; i < a.calls; ++i) {
    if (!get_one(ioc, get, s.call)) ++failed;
  }
  const auto instr = ic.stop();
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["failed"] = failed;
  out["encoding_applied_via"] = s.applied_via;
  finish(out, cpu, wall, a.calls, instr);
  return failed == 0 ? 0 : 1;
}

int threads_loop(const Args& a) {
  if (a.id.empty()) usage("threads needs --id");
  Sdk s = sdk_setup(a);
  const falcon::IOC ioc(s.cfg);
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList{a.id};
  if (!get_one(ioc, get, s.call)) {
    std::fprintf(stderr, "bench_client threads: warm-up call failed\n");
    return 1;
  }
  std::atomic<long> next{0}, failed{0};
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  std::vector<std::thread> pool;
  for (int t = 0; t < a.threads; ++t) {
    pool.emplace_back([&] {
      while (next.fetch_add(1) < a.calls) {
        if (!get_one(ioc, get, s.call)) failed.fetch_add(1);
      }
    });
  }
  for (auto& th : pool) th.join();
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["threads"] = a.threads;
  out["failed"] = failed.load();
  out["calls_per_s"] = wall > 0 ? static_cast<double>(a.calls) / wall : 0.0;
  finish(out, cpu, wall, a.calls, std::nullopt);
  return failed == 0 ? 0 : 1;
}

int page_loop(const Args& a) {
  Sdk s = sdk_setup(a);
  const falcon::IOC ioc(s.cfg);
  falcon::IndicatorCombinedOptions o;
  o.limit = 2000;
  long records = 0, pages = 0;
  bool typed_ok = true;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const auto last = falcon::combined_all(
      ioc, o,
      [&](falcon::Response& page) {
        const auto v = page.resources_as<falcon::Indicator>();
        for (const auto& ind : v) typed_ok = typed_ok && !ind.id.empty();
        records += static_cast<long>(v.size());
        ++pages;
        return true;
      },
      s.call);
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["records"] = records;
  out["pages"] = pages;
  out["failed"] = (last.ok() && typed_ok) ? 0 : 1;
  finish(out, cpu, wall, pages, std::nullopt);
  return last.ok() && typed_ok ? 0 : 1;
}

int bulk_loop(const Args& a) {
  if (a.count <= 0) usage("bulk needs --count N");
  Sdk s = sdk_setup(a);
  const falcon::IOC ioc(s.cfg);
  nlohmann::json items = nlohmann::json::array();
  for (long i = 0; i < a.count; ++i) {
    items.push_back({{"type", "domain"},
                     {"value", "c" + std::to_string(a.concurrency) + "-" + std::to_string(i) +
                                   ".bulk.bench.example"},
                     {"action", "detect"},
                     {"severity", "low"},
                     {"platforms", {"windows", "linux"}},
                     {"applied_globally", true}});
  }
  falcon::BulkOptions bo;
  bo.concurrency = static_cast<std::size_t>(a.concurrency);
  bo.call = s.call;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const auto r = falcon::bulk_create(ioc, items, bo);
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["concurrency"] = a.concurrency;
  out["created"] = r.succeeded();
  out["requests"] = r.requests;
  out["failed"] = r.failed();
  out["indicators_per_s"] = wall > 0 ? static_cast<double>(r.succeeded()) / wall : 0.0;
  finish(out, cpu, wall, static_cast<long>(r.requests), std::nullopt);
  return r.failed() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    if (a.mode == "floor") return floor_loop(a);
    if (a.mode == "sdk") return sdk_loop(a);
    if (a.mode == "threads") return threads_loop(a);
    if (a.mode == "page") return page_loop(a);
    if (a.mode == "bulk") return bulk_loop(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_client %s: %s\n", a.mode.c_str(), e.what());
    return 1;
  }
  usage("unknown mode " + a.mode);
}
