// What Config::accept_encoding costs and saves on a 2,000-record indicator_combined page
// (issue 11, "compression: a Config choice with a measured default"). An in-process emulator
// holds 2,000 indicators; per encoding this reports the bytes on the wire (a bare libcurl GET of
// the same URL) and the calling thread's CPU per page for: the call alone (receive, inflate,
// validate), plus resources_as<Indicator>(), plus body(). The emulator's threads are not the
// calling thread, so CLOCK_THREAD_CPUTIME_ID leaves them out. Transfer time over a slow link is
// computed from the bytes (no link is shaped here).
//
//   bench_page_encoding [pages=20]
#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "emulator.hpp"
#include "falcon/bulk.hpp"
#include "falcon/falcon.hpp"

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

// Bytes the server sends for `url` when `encoding` is offered (curl does not decode here).
long long wire_bytes(const std::string& url, const std::string& token, const std::string& enc) {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (!enc.empty() && enc != "identity") {
    headers = curl_slist_append(headers, ("Accept-Encoding: " + enc).c_str());
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
  curl_off_t bytes = -1;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return static_cast<long long>(bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const int pages = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  falcon::emulator::Options o;
  o.rate_limit_per_minute = 1'000'000'000;
  falcon::emulator::Emulator emu(o);
  emu.start();

  falcon::Config cfg;
  cfg.client_id = o.client_id;
  cfg.client_secret = o.client_secret;
  cfg.base_url = emu.base_url();
  {
    falcon::IOC ioc(cfg);
    nlohmann::json specs = nlohmann::json::array();
    for (int i = 0; i < 2000; ++i) {
      falcon::IndicatorSpec s;
      s.type = "domain";
      s.value = "host-" + std::to_string(i) + ".page.example";
      s.action = "detect";
      s.severity = "medium";
      s.platforms = std::vector<std::string>{"windows", "mac", "linux"};
      s.applied_globally = true;
      s.source = "bench";
      s.description = "benchmark indicator for page size";
      s.tags = std::vector<std::string>{"bench", "page"};
      specs.push_back(s);
    }
    auto result = falcon::bulk_create(ioc, specs);
    if (result.failed() != 0) {
      std::fprintf(stderr, "bench_page_encoding: %zu of 2000 creates failed\n", result.failed());
      return 1;
    }
  }
  const std::string route = "/iocs/combined/indicator/v1?limit=2000&filter=source%3A%27bench%27";
  std::printf(
      "2,000-record indicator_combined page, %d pages per figure, median CPU of the calling "
      "thread:\n",
      pages);
  std::printf("%-15s %12s %12s %12s %12s %14s %14s\n", "encoding", "wire bytes", "call ms",
              "+typed ms", "+body() ms", "100 Mbit/s ms", "10 Mbit/s ms");
  for (const std::string enc : {"identity", "gzip, deflate"}) {
    falcon::Config c = cfg;
    c.accept_encoding = enc;
    falcon::Client client(c);
    falcon::IOC ioc(client);
    if (client.login()) return 1;
    falcon::IndicatorCombinedOptions q;
    q.limit = 2000;
    q.filter = "source:'bench'";
    std::vector<double> call, typed, body;
    std::size_t records = 0;
    for (int mode = 0; mode < 3; ++mode) {
      for (int p = 0; p <= pages; ++p) {
        const double t0 = thread_cpu_ms();
        auto r = ioc.indicator_combined(q);
        if (!r.ok()) return 1;
        if (mode == 1) records += r.resources_as<falcon::Indicator>().size();
        if (mode == 2) records += r.body()["resources"].size();
        const double t1 = thread_cpu_ms();
        if (p == 0) continue;  // warm-up
        (mode == 0 ? call : mode == 1 ? typed : body).push_back(t1 - t0);
      }
    }
    // The byte count needs a token of its own: a bare libcurl login.
    const long long wire = [&] {
      CURL* h = curl_easy_init();
      std::string body_text;
      curl_easy_setopt(h, CURLOPT_URL, (client.base_url() + "/oauth2/token").c_str());
      const std::string form = "client_id=" + o.client_id + "&client_secret=" + o.client_secret;
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str());
      curl_easy_setopt(
          h, CURLOPT_WRITEFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* u) {
            static_cast<std::string*>(u)->append(d, s * n);
            return s * n;
          });
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_text);
      curl_easy_perform(h);
      curl_easy_cleanup(h);
      const auto j = nlohmann::json::parse(body_text, nullptr, false);
      if (j.is_discarded() || !j.contains("access_token")) return -1LL;
      return wire_bytes(client.base_url() + route, j["access_token"].get<std::string>(), enc);
    }();
    const double mb = static_cast<double>(wire) * 8 / 1e6;
    std::printf("%-15s %12lld %12.2f %12.2f %12.2f %14.1f %14.1f\n", enc.c_str(), wire,
                median(call), median(typed), median(body), mb / 100 * 1000, mb / 10 * 1000);
    if (records == 0) return 1;
  }
  return 0;
}
