// One client process of the issue 11 benchmarks; bench_e2e starts it (one process per run, so
// its CPU time and peak RSS are its own) and reads the one JSON line it prints on stdout.
//
//   bench_client floor   --url U --target PATH?QUERY [--encoding E] [--header "K: V"]...
//   bench_client sdk     --url U --id ID [--encoding E]
//   bench_client threads --url U --id ID --threads T [--encoding E]
//   bench_client page    --url U [--encoding E]
//   bench_client bulk    --url U --count N --concurrency C [--batch B] [--encoding E]
//   bench_client create  --url U
//   bench_client floor-write --url U --fresh 0|1
//   common: --calls N (default 2000), --client-id ID --client-secret S, --ca PEM (https:// URLs:
//   the CA bundle to verify the emulator with: Config::ca_bundle, CURLOPT_CAINFO for floors)
//
// floor: a bare libcurl keep-alive loop (no JSON decoding) sending the request it is given.
// floor-write: bare libcurl POSTs of one new indicator each, the request the SDK's create sends;
// --fresh 1 gives each its own connection (FRESH_CONNECT + FORBID_REUSE on one handle, so
// libcurl's own CA cache and TLS session cache apply), --fresh 0 reuses one connection.
// sdk: falcon::IOC::indicator_get of one id, decoded with resources_as<falcon::Indicator>().
// create: falcon::IOC::indicator_create of one new indicator per call.
// The SDK modes report the transport's counters (TransportStats) over the measured loop.
// The measured part is the loop only (token fetch and one warm-up call come first).
// --encoding: "sdk-default" leaves the SDK's own choice; anything else ("identity", "gzip",
// "gzip, deflate", "") is applied through Config::accept_encoding when this SDK has it, else
// through CallOptions::headers (Accept-Encoding is not a header the SDK reserves).
#include <curl/curl.h>
#include <unistd.h>

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
  std::string mode, url, target, id, encoding = "sdk-default", ca;
  std::string client_id = "bench", client_secret = "bench-secret";
  std::vector<std::string> headers;
  long calls = 2000;
  int threads = 1;
  long count = 0;
  int concurrency = 1;
  long batch = 0;
  bool fresh = true;
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
    } else if (k == "--batch") {
      a.batch = std::atol(v.c_str());
    } else if (k == "--ca") {
      a.ca = v;
    } else if (k == "--fresh") {
      a.fresh = v != "0";
    } else {
      usage("unknown option " + k);
    }
  }
  const bool loopback = a.url.rfind("http://127.", 0) == 0 || a.url.rfind("http://[::1]", 0) == 0 ||
                        a.url.rfind("https://127.", 0) == 0 || a.url.rfind("https://[::1]", 0) == 0;
  if (!loopback) usage("--url must be a loopback http:// or https:// URL");
  if (a.calls < 0 || a.calls > 10'000'000 || a.threads < 1 || a.threads > 64 || a.count < 0 ||
      a.count > 10'000'000 || a.concurrency < 1 || a.concurrency > 16 || a.batch < 0 ||
      a.batch > 2000) {
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
  // The transport the Client would build from cfg, built here so its counters can be read.
  std::shared_ptr<falcon::CurlTransport> transport;
};

Sdk sdk_setup(const Args& a) {
  Sdk s;
  s.cfg.base_url = a.url;
  s.cfg.client_id = a.client_id;
  s.cfg.client_secret = a.client_secret;
  s.cfg.ca_bundle = a.ca;
  if (a.encoding != "sdk-default") {
    if (set_config_encoding(s.cfg, a.encoding)) {
      s.applied_via = "Config::accept_encoding";
    } else {
      s.call.headers.emplace("Accept-Encoding", a.encoding);
      s.applied_via = "CallOptions::headers";
    }
  }
  falcon::CurlTransportOptions o;
  o.connect_timeout = s.cfg.connect_timeout;
  o.timeout = s.cfg.timeout;
  o.ssl_verify = s.cfg.ssl_verify;
  o.ca_bundle = s.cfg.ca_bundle;
  o.max_response_bytes = s.cfg.max_response_bytes;
  o.accept_encoding = s.cfg.accept_encoding;
  s.transport = std::make_shared<falcon::CurlTransport>(o);
  s.cfg.transport = s.transport;
  return s;
}

// What the transport did over the measured loop: `after` minus `before`; ca_loads and the peak
// of open sockets are since the client started (the token and the warm-up call included).
nlohmann::json transport_delta(const falcon::TransportStats& before,
                               const falcon::TransportStats& after) {
  return {{"requests", after.requests - before.requests},
          {"new_connections", after.new_connections - before.new_connections},
          {"tls_handshakes", after.tls_handshakes - before.tls_handshakes},
          {"tls_resumed", after.tls_resumed - before.tls_resumed},
          {"writes_on_kept_connection",
           after.writes_on_kept_connection - before.writes_on_kept_connection},
          {"resends_refused", after.resends_refused - before.resends_refused},
          {"ca_loads", after.ca_loads},
          {"peak_open_sockets", after.peak_open_sockets}};
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

// The CA bundle alone, as the SDK verifies with Config::ca_bundle (no CA directory beside it).
void floor_tls(CURL* h, const Args& a) {
  if (a.ca.empty()) return;
  curl_easy_setopt(h, CURLOPT_CAINFO, a.ca.c_str());
  curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
}

// Fetches a token on `h` (not measured; the same handle, so its connection carries the loop);
// returns the Authorization header line, or "" after printing why.
std::string floor_token(CURL* h, const Args& a, std::string& body) {
  const std::string token_url = a.url + "/oauth2/token";
  char* id = curl_easy_escape(h, a.client_id.c_str(), 0);
  char* secret = curl_easy_escape(h, a.client_secret.c_str(), 0);
  const std::string form = std::string("client_id=") + id + "&client_secret=" + secret;
  curl_free(id);
  curl_free(secret);
  curl_easy_setopt(h, CURLOPT_URL, token_url.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str());
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "bench_client %s: token request failed: %s\n", a.mode.c_str(),
                 curl_easy_strerror(rc));
    return "";
  }
  const auto tok = nlohmann::json::parse(body, nullptr, false);
  if (!tok.is_object() || !tok.contains("access_token") || !tok["access_token"].is_string()) {
    std::fprintf(stderr, "bench_client %s: no access_token in the token reply\n", a.mode.c_str());
    return "";
  }
  return "Authorization: Bearer " + tok["access_token"].get<std::string>();
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
  floor_tls(h, a);

  const std::string auth = floor_token(h, a, body);
  if (auth.empty()) return 1;

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

// A value no earlier run has created: the emulator's store outlives each client process.
std::string unique_value(long i) {
  static const std::string run =
      std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  return "w" + run + "-" + std::to_string(i) + ".create.bench.example";
}

nlohmann::json create_item(long i) {
  return {{"type", "domain"},  {"value", unique_value(i)}, {"action", "detect"},
          {"severity", "low"}, {"platforms", {"windows"}}, {"applied_globally", true}};
}

// Bare libcurl creates: the SDK's create request (same route, body and headers), one per loop.
int floor_write_loop(const Args& a) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* h = curl_easy_init();
  if (h == nullptr) return 1;
  std::string body;
  body.reserve(16384);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  floor_tls(h, a);
  const std::string auth = floor_token(h, a, body);
  if (auth.empty()) return 1;

  curl_slist* list = nullptr;
  for (const char* hd : {"Accept: application/json", "Content-Type: application/json",
                         "User-Agent: falcon-cpp/bench", "Expect:"}) {
    list = curl_slist_append(list, hd);
  }
  list = curl_slist_append(list, auth.c_str());
  const std::string url = a.url + "/iocs/entities/indicators/v1";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  if (a.encoding != "sdk-default") curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, a.encoding.c_str());
  // --fresh 1: a connection of its own for every write, closed after it.
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, a.fresh ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, a.fresh ? 1L : 0L);

  long failed = 0, connects = 0, next = 0;
  std::string request;
  auto one = [&] {
    body.clear();
    request = nlohmann::json{{"indicators", {create_item(next++)}}}.dump();
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
    long status = 0, n = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        (status != 200 && status != 201) || body.empty()) {
      ++failed;
    }
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK) connects += n;
  };
  one();  // warm-up
  connects = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (long i = 0; i < a.calls; ++i) one();
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["fresh"] = a.fresh;
  out["failed"] = failed;
  out["new_connections"] = connects;
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  finish(out, cpu, wall, a.calls, std::nullopt);
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
  const auto stats0 = s.transport->stats();
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
  out["transport"] = transport_delta(stats0, s.transport->stats());
  finish(out, cpu, wall, a.calls, instr);
  return failed == 0 ? 0 : 1;
}

int create_loop(const Args& a) {
  Sdk s = sdk_setup(a);
  const falcon::IOC ioc(s.cfg);
  long next = 0, failed = 0;
  auto one = [&] {
    const auto item = create_item(next++);
    falcon::IndicatorCreateOptions o;
    o.type = item["type"].get<std::string>();
    o.value = item["value"].get<std::string>();
    o.action = item["action"].get<std::string>();
    o.severity = item["severity"].get<std::string>();
    o.platforms = falcon::StringList{"windows"};
    o.applied_globally = true;
    const auto r = ioc.indicator_create(o, s.call);
    if (!r.ok() || r.resources().size() != 1) ++failed;
  };
  one();  // token + first call, not measured
  const auto stats0 = s.transport->stats();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (long i = 0; i < a.calls; ++i) one();
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["failed"] = failed;
  out["transport"] = transport_delta(stats0, s.transport->stats());
  finish(out, cpu, wall, a.calls, std::nullopt);
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
  bo.batch_size = static_cast<std::size_t>(a.batch);
  bo.call = s.call;
  // The token (and over https the first handshake) before the measured part, as in the loops.
  if (const auto e = ioc.client().login()) {
    std::fprintf(stderr, "bench_client bulk: login failed: %s\n", e->describe().c_str());
    return 1;
  }
  const auto stats0 = s.transport->stats();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const auto r = falcon::bulk_create(ioc, items, bo);
  const double cpu = cpu_seconds() - c0;
  const double wall = since(t0);
  auto out = result_base(a);
  out["transport"] = transport_delta(stats0, s.transport->stats());
  out["concurrency"] = a.concurrency;
  out["batch"] = a.batch;
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
    if (a.mode == "create") return create_loop(a);
    if (a.mode == "floor-write") return floor_write_loop(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_client %s: %s\n", a.mode.c_str(), e.what());
    return 1;
  }
  usage("unknown mode " + a.mode);
}
