// falcon-emulator: serves the Falcon IOC API locally until SIGINT/SIGTERM.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "emulator.hpp"
#include "util.hpp"

namespace {

using falcon::emulator::Options;

constexpr int kDefaultPort = 8099;

void usage(std::ostream& out) {
  out << "Usage: falcon-emulator [options]\n"
         "A local emulator of the CrowdStrike Falcon IOC API (see docs/emulator.md).\n\n"
         "  --host HOST              address to bind (default 127.0.0.1)\n"
         "  --allow-remote           allow a non-loopback --host\n"
         "  --port N                 port (default 8099; 0 picks a free one)\n"
         "  --client-id ID           API client id (default falcon-emulator-demo)\n"
         "  --client-secret SECRET   API client secret (default falcon-emulator-demo-secret)\n"
         "  --region REGION          X-Cs-Region on token replies (default us-1)\n"
         "  --token-ttl SECONDS      token lifetime (default 1799)\n"
         "  --rate-limit N[/min]     requests per minute per customer, sliding window (default "
         "6000)\n"
         "  --state FILE             persist indicators to FILE across restarts\n"
         "  --quota N                live indicators the tenant may hold (default 1000000)\n"
         "  --seed N                 seed of the synthetic device/process data (default 1)\n"
         "  --control                serve the /_emulator control endpoint (loopback only)\n"
         "  --tls-cert FILE          PEM certificate; with --tls-key serves HTTPS\n"
         "  --tls-key FILE           PEM private key\n"
         "  --wrong-region-redirect  /oauth2/token answers 308 to /regions/REGION/oauth2/token\n"
         "  --offset-ceiling-500     offset paging past 10,000 answers 500 instead of 400\n"
         "  --max-body-bytes N       largest accepted request body (default 16777216)\n"
         "  --keep-alive-timeout S   seconds an idle keep-alive connection stays open (default 5)\n"
         "  --read-timeout S         longest wait for the next bytes of a request (default 5)\n"
         "  --max-connections N      connections served at once, one worker each (default 1024)\n"
         "  --help                   show this help\n";
}

[[noreturn]] void bad_usage(const std::string& message) {
  std::cerr << "falcon-emulator: " << message << "\n(see --help)\n";
  std::exit(2);
}

long long number(const std::string& flag, const std::string& text, long long lo, long long hi) {
  auto v = falcon::emulator::parse_int(text);
  if (!v || *v < lo || *v > hi) {
    bad_usage(flag + " expects a number between " + std::to_string(lo) + " and " +
              std::to_string(hi) + ", got '" + text + "'");
  }
  return *v;
}

}  // namespace

int main(int argc, char** argv) {
  // Keep freed memory in the process: with glibc's defaults the heap is trimmed after a few
  // seconds and every later reply (zlib allocates ~268 KB per gzip stream) page-faults its
  // memory back in, which made long runs ~1.7x costlier per request than short ones.
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  Options o;
  o.port = kDefaultPort;
  bool allow_remote = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) bad_usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    } else if (arg == "--host") {
      o.host = value();
    } else if (arg == "--allow-remote") {
      allow_remote = true;
    } else if (arg == "--port") {
      o.port = static_cast<int>(number(arg, value(), 0, 65535));
    } else if (arg == "--client-id") {
      o.client_id = value();
    } else if (arg == "--client-secret") {
      o.client_secret = value();
    } else if (arg == "--region") {
      o.region = value();
    } else if (arg == "--token-ttl") {
      o.token_ttl = static_cast<int>(number(arg, value(), 1, 86400 * 365));
    } else if (arg == "--rate-limit") {
      std::string v = value();
      if (v.size() > 4 && v.compare(v.size() - 4, 4, "/min") == 0) v.resize(v.size() - 4);
      o.rate_limit_per_minute = static_cast<int>(number(arg, v, 1, 100000000));
    } else if (arg == "--quota") {
      o.quota = static_cast<std::size_t>(number(arg, value(), 0, 1000000000000LL));
    } else if (arg == "--state") {
      o.state_file = value();
    } else if (arg == "--seed") {
      o.seed = static_cast<std::uint64_t>(number(arg, value(), 0, INT64_MAX));
    } else if (arg == "--control") {
      o.control = true;
    } else if (arg == "--tls-cert") {
      o.tls_cert_file = value();
    } else if (arg == "--tls-key") {
      o.tls_key_file = value();
    } else if (arg == "--wrong-region-redirect") {
      o.wrong_region_redirect = true;
    } else if (arg == "--offset-ceiling-500") {
      o.offset_ceiling_500 = true;
    } else if (arg == "--max-body-bytes") {
      o.max_body_bytes = static_cast<std::size_t>(number(arg, value(), 1024, INT64_MAX));
    } else if (arg == "--keep-alive-timeout") {
      o.keep_alive_timeout_seconds = static_cast<int>(number(arg, value(), 1, 3600));
    } else if (arg == "--read-timeout") {
      o.read_timeout_seconds = static_cast<int>(number(arg, value(), 1, 3600));
    } else if (arg == "--max-connections") {
      o.max_connections = static_cast<int>(number(arg, value(), 1, 65536));
    } else {
      bad_usage("unknown option '" + arg + "'");
    }
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    bad_usage("--tls-cert and --tls-key go together");
  }
  if (!allow_remote && !falcon::emulator::is_loopback_host(o.host)) {
    bad_usage("refusing to listen on non-loopback host '" + o.host +
              "' without --allow-remote (the emulator has no real security)");
  }

  // Block the stop signals in every thread (the server's threads inherit this mask) and wait
  // for them synchronously below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    falcon::emulator::Emulator emulator(o);
    emulator.start();
    std::cout << "falcon-emulator listening on " << emulator.base_url()
              << " (client_id=" << o.client_id << ", client_secret=" << o.client_secret << ")"
              << std::endl;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cout << "falcon-emulator stopping (signal " << sig << ")" << std::endl;
    emulator.stop();
  } catch (const falcon::emulator::BindError& e) {
    std::cerr << "falcon-emulator: " << e.what() << "\n"
              << "falcon-emulator: choose another port with --port N (--port 0 picks a free one)"
              << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "falcon-emulator: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
