// Resilience against the emulator's fault injection, over real loopback HTTP: 429 storms,
// 5xx, dropped connections, token expiry, many threads on one Client, TLS, redirects, and
// log redaction.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

using namespace std::chrono_literals;
namespace emu = falcon::emulator;

namespace {

constexpr const char* kClientId = "resilience-client";
constexpr const char* kClientSecret = "resilience-secret-0123456789";

// Records every exchange of the real transport underneath, so tests can compare what the
// server said with what the SDK did.
class Recorder : public falcon::HttpTransport {
 public:
  struct Entry {
    std::string method, url;
    int status = 0;
    std::optional<falcon::ErrorKind> error;
    std::string retry_after, body;
  };
  explicit Recorder(std::shared_ptr<falcon::HttpTransport> inner) : inner_(std::move(inner)) {}
  falcon::TransportResult send(const falcon::HttpRequest& req) override {
    auto res = inner_->send(req);
    Entry e{req.method, req.url, res.response.status, std::nullopt, "", res.response.body};
    if (res.error) e.error = res.error->kind;
    if (auto v = falcon::header_value(res.response.headers, "X-RateLimit-RetryAfter")) {
      e.retry_after = std::string(*v);
    }
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(e));
    return res;
  }
  std::vector<Entry> entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  std::shared_ptr<falcon::HttpTransport> inner_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

emu::Options emulator_options() {
  emu::Options o;
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.control = true;
  o.rate_limit_per_minute = 1'000'000;
  return o;
}

falcon::Config client_config(const emu::Emulator& e) {
  falcon::Config c;
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  c.base_url = e.base_url();
  c.retry.jitter = 0;
  c.retry.initial_backoff = 10ms;
  return c;
}

std::string seed_domain(emu::Emulator& e, const std::string& value) {
  return e.add_indicators(nlohmann::json::array({{{"type", "domain"},
                                                  {"value", value},
                                                  {"action", "detect"},
                                                  {"severity", "low"},
                                                  {"platforms", {"windows"}},
                                                  {"applied_globally", true}}}))[0];
}

falcon::IndicatorGetOptions get_ids(std::string id) {
  falcon::IndicatorGetOptions o;
  o.ids = {std::move(id)};
  return o;
}

falcon::IndicatorCreateOptions create_domain(const std::string& value) {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = value;
  o.action = "detect";
  o.severity = "medium";
  o.platforms = std::vector<std::string>{"windows", "linux"};
  o.applied_globally = true;
  return o;
}

emu::Fault fault(emu::Fault::Kind kind, std::string method, std::string path, int count) {
  emu::Fault f;
  f.kind = kind;
  f.method = std::move(method);
  f.path = std::move(path);
  f.count = count;
  return f;
}

constexpr const char* kIndicators = "/iocs/entities/indicators/v1";

std::uint64_t route_count(const emu::Emulator& e, const std::string& route) {
  auto c = e.counters();
  auto it = c.requests_per_route.find(route);
  return it == c.requests_per_route.end() ? 0 : it->second;
}

}  // namespace

TEST(Resilience, RateLimitStormWaitsExactlyAsTheHeaderSays) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "storm.example.com");
  auto cfg = client_config(e);
  auto recorder = std::make_shared<Recorder>(std::make_shared<falcon::CurlTransport>());
  cfg.transport = recorder;
  cfg.retry.max_attempts = 30;  // enough that no call can run out of attempts in the storm
  // A frozen SDK clock at a whole second, so each wait is exactly RetryAfter*1000 - now.
  const auto frozen =
      std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch()));
  cfg.clock = [frozen] { return frozen; };
  std::mutex waits_mu;
  std::vector<std::int64_t> waits;
  cfg.sleeper = [&](std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(waits_mu);
    waits.push_back(d.count());
  };
  falcon::IOC ioc(cfg);
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());  // warm: token + connection

  // The next 20 indicator_get requests get 429, whoever sends them: 8 threads x 5 calls.
  auto f = fault(emu::Fault::Kind::rate_limit, "GET", kIndicators, 20);
  f.retry_after_seconds = 2;
  e.inject(f);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto r = ioc.indicator_get(get_ids(id));
        ok += (r.ok() && r.resources()[0]["id"] == id) ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);  // every call succeeded

  std::vector<std::int64_t> expected;
  const auto frozen_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(frozen.time_since_epoch()).count();
  for (const auto& entry : recorder->entries()) {
    if (entry.status == 429) expected.push_back(std::stoll(entry.retry_after) * 1000 - frozen_ms);
  }
  ASSERT_EQ(expected.size(), 20u);
  std::sort(expected.begin(), expected.end());
  std::sort(waits.begin(), waits.end());
  EXPECT_EQ(waits, expected);  // one wait per 429, each exactly what its header said
  for (auto w : waits) {
    EXPECT_GE(w, 1000);  // two seconds ahead, give or take the second boundary
    EXPECT_LE(w, 3000);
  }
}

TEST(Resilience, RateLimitWaitIsRealWithoutAnInjectedSleeper) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "realwait.example.com");
  falcon::IOC ioc(client_config(e));
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  auto f = fault(emu::Fault::Kind::rate_limit, "GET", kIndicators, 1);
  f.retry_after_seconds = 1;
  e.inject(f);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = ioc.indicator_get(get_ids(id));
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GE(waited, 1ms);  // slept until the announced second began
  EXPECT_LE(waited, 2500ms);
}

TEST(Resilience, TwoServiceUnavailableThenSuccessOnAGet) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "flaky.example.com");
  falcon::IOC ioc(client_config(e));
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  const auto before = route_count(e, std::string("GET ") + kIndicators);
  auto f = fault(emu::Fault::Kind::status, "GET", kIndicators, 2);
  f.status = 503;
  e.inject(f);
  auto r = ioc.indicator_get(get_ids(id));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(route_count(e, std::string("GET ") + kIndicators) - before, 3u);
}

TEST(Resilience, ServiceUnavailableOnCreateIsNotRetried) {
  emu::Emulator e(emulator_options());
  e.start();
  falcon::IOC ioc(client_config(e));
  ASSERT_FALSE(ioc.action_query().error.has_value());  // warm up the token
  auto f = fault(emu::Fault::Kind::status, "POST", kIndicators, 1);
  f.status = 503;
  f.after = true;  // the write happens, the client only sees a 503
  e.inject(f);
  auto r = ioc.indicator_create(create_domain("once.example.com"));
  EXPECT_EQ(r.status_code, 503);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(route_count(e, std::string("POST ") + kIndicators), 1u);
  EXPECT_EQ(e.counters().indicators_created, 1u);  // exactly one create reached the store
  EXPECT_EQ(e.indicator_count(), 1u);
}

TEST(Resilience, DroppedConnectionOnAGetIsRetried) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "drop.example.com");
  falcon::IOC ioc(client_config(e));
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  e.inject(fault(emu::Fault::Kind::drop_connection, "GET", kIndicators, 1));
  const auto before = route_count(e, std::string("GET ") + kIndicators);
  auto r = ioc.indicator_get(get_ids(id));
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  // Resent once: by libcurl itself when the dead connection was a reused one, else by the
  // retry loop (then attempts is 2).
  EXPECT_EQ(route_count(e, std::string("GET ") + kIndicators) - before, 2u);
}

TEST(Resilience, DroppedConnectionOnCreateNeverCreatesTwice) {
  emu::Emulator e(emulator_options());
  e.start();
  falcon::IOC ioc(client_config(e));
  ASSERT_FALSE(ioc.action_query().error.has_value());
  for (bool after : {false, true}) {
    auto f = fault(emu::Fault::Kind::drop_connection, "POST", kIndicators, 1);
    f.after = after;  // dropped before, or after, the write happened
    e.inject(f);
    const std::string value = after ? "written-then-dropped.example.com" : "dropped.example.com";
    auto r = ioc.indicator_create(create_domain(value));
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
    EXPECT_TRUE(r.error->request_sent);
    EXPECT_EQ(r.error->attempts, 1);
  }
  EXPECT_EQ(route_count(e, std::string("POST ") + kIndicators), 2u);
  EXPECT_EQ(e.indicator_count(), 1u);  // only the write that happened before the drop
  // The client recovers on the next call with a fresh connection.
  auto again = ioc.indicator_create(create_domain("after-the-drop.example.com"));
  EXPECT_EQ(again.status_code, 201);
}

TEST(Resilience, TokenExpiryMidRunCostsExactlyOneTokenRequest) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "expiry.example.com");
  falcon::IOC ioc(client_config(e));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  EXPECT_EQ(e.counters().tokens_issued, 1u);
  e.expire_tokens();
  for (int i = 0; i < 20; ++i) {
    auto r = ioc.indicator_get(get_ids(id));
    ASSERT_TRUE(r.ok()) << i;
  }
  EXPECT_EQ(e.counters().tokens_issued, 2u);
  // The same through a fault on one request.
  e.inject(fault(emu::Fault::Kind::expire_token, "GET", kIndicators, 1));
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  EXPECT_EQ(e.counters().tokens_issued, 3u);
}

TEST(Resilience, TokenLifetimeRunningOutIsRenewedBeforeExpiry) {
  emu::Options o = emulator_options();
  o.token_ttl = 1799;
  emu::Emulator e(o);
  e.start();
  const std::string id = seed_domain(e, "ttl.example.com");
  auto cfg = client_config(e);
  auto offset = std::make_shared<std::atomic<std::int64_t>>(0);
  cfg.clock = [offset] {
    return std::chrono::system_clock::now() + std::chrono::seconds(offset->load());
  };
  falcon::IOC ioc(cfg);
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  // 29 minutes later, both clocks agree: inside the 120 s renew window.
  offset->store(1700);
  e.advance_clock(1700s);
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  EXPECT_EQ(e.counters().tokens_issued, 2u);
  auto c = e.counters();
  EXPECT_EQ(c.requests_per_route["GET /iocs/entities/indicators/v1"], 2u);  // no 401 round trip
}

TEST(ResilienceConcurrency, ThirtyTwoThreadsShareOneColdClient) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "threads.example.com");
  falcon::Client client(client_config(e));
  falcon::IOC ioc(client);
  constexpr int kThreads = 32;
  constexpr int per_thread = 200;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = ioc.indicator_get(get_ids(id));
        (r.ok() ? ok : failed).fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * per_thread);
  EXPECT_EQ(failed.load(), 0);
  auto c = e.counters();
  EXPECT_EQ(c.tokens_issued, 1u);
  EXPECT_EQ(c.requests_per_route["GET /iocs/entities/indicators/v1"],
            static_cast<std::uint64_t>(kThreads * per_thread));
  // At most one connection per thread, plus the token call's.
  EXPECT_LE(c.connections, static_cast<std::uint64_t>(kThreads + 1));
}

// ---- TLS -------------------------------------------------------------------------------

namespace {

struct TlsFiles {
  std::filesystem::path dir, cert, key;
};

const TlsFiles& tls_files() {
  static TlsFiles files = [] {
    TlsFiles f;
    f.dir = std::filesystem::temp_directory_path() / ("falcon-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(f.dir);
    f.cert = f.dir / "cert.pem";
    f.key = f.dir / "key.pem";
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        f.key.string() + " -out " + f.cert.string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
    return f;
  }();
  return files;
}

emu::Options tls_options() {
  auto o = emulator_options();
  o.tls_cert_file = tls_files().cert.string();
  o.tls_key_file = tls_files().key.string();
  return o;
}

}  // namespace

TEST(ResilienceTls, VerifiedAgainstTheGivenCaBundle) {
  emu::Emulator e(tls_options());
  e.start();
  ASSERT_EQ(e.base_url().rfind("https://", 0), 0u);
  auto cfg = client_config(e);
  cfg.ca_bundle = tls_files().cert.string();
  falcon::IOC ioc(cfg);
  auto r = ioc.ioc_type_query();
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : "");
  EXPECT_EQ(r.resources().size(), 5u);
}

TEST(ResilienceTls, UnknownCertificateIsRefusedBeforeAnythingIsSent) {
  emu::Emulator e(tls_options());
  e.start();
  auto cfg = client_config(e);  // system CA store only: the test certificate is unknown
  falcon::IOC ioc(cfg);
  auto r = ioc.ioc_type_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_FALSE(r.error->request_sent);
  EXPECT_EQ(e.counters().tokens_issued, 0u);
  EXPECT_EQ(e.counters().requests_total, 0u);
}

TEST(ResilienceTls, VerificationOffWorksButWarns) {
  emu::Emulator e(tls_options());
  e.start();
  auto cfg = client_config(e);
  cfg.ssl_verify = false;
  std::vector<std::string> warnings;
  cfg.log = [&](falcon::LogLevel level, std::string_view line) {
    if (level == falcon::LogLevel::warning) warnings.emplace_back(line);
  };
  falcon::IOC ioc(cfg);
  EXPECT_TRUE(ioc.ioc_type_query().ok());
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("ssl_verify"), std::string::npos);
}

TEST(ResilienceTls, PlainHttpIsRefusedForNonLoopbackHosts) {
  falcon::Config cfg;
  cfg.client_id = kClientId;
  cfg.client_secret = kClientSecret;
  cfg.base_url = "http://falcon-gateway.internal.example";
  EXPECT_THROW(falcon::Client{cfg}, falcon::Exception);
  cfg.allow_insecure_http = true;
  EXPECT_NO_THROW(falcon::Client{cfg});
}

// ---- Redirects -------------------------------------------------------------------------

namespace {

// A tiny server that records what reached it.
class Recording {
 public:
  explicit Recording(std::function<void(httplib::Server&, Recording&)> routes) {
    server_.set_keep_alive_max_count(1000);
    routes(server_, *this);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Recording() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void note(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(req.method + " " + req.path + " auth=" + req.get_header_value("Authorization") +
                    " body=" + req.body);
  }
  std::vector<std::string> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
};

}  // namespace

TEST(ResilienceRedirects, BearerTokenIsNeverSentAfterARedirectToAnotherHost) {
  Recording elsewhere([](httplib::Server& s, Recording& rec) {
    s.Get(".*", [&rec](const httplib::Request& req, httplib::Response& res) {
      rec.note(req);
      res.set_content("{}", "application/json");
    });
  });
  Recording gateway([&elsewhere](httplib::Server& s, Recording& rec) {
    s.Post("/oauth2/token", [&rec](const httplib::Request& req, httplib::Response& res) {
      rec.note(req);
      res.status = 201;
      res.set_content(R"({"access_token":"tok-redirect-test","expires_in":1799})",
                      "application/json");
    });
    s.Get("/iocs/queries/ioc-types/v1", [&](const httplib::Request& req, httplib::Response& res) {
      rec.note(req);
      res.status = 307;
      res.set_header("Location", elsewhere.url() + "/iocs/queries/ioc-types/v1");
    });
  });
  falcon::Config cfg;
  cfg.client_id = kClientId;
  cfg.client_secret = kClientSecret;
  cfg.base_url = gateway.url();
  falcon::IOC ioc(cfg);
  auto r = ioc.ioc_type_query();
  EXPECT_EQ(r.status_code, 307);  // returned to the caller, not followed
  EXPECT_TRUE(elsewhere.seen().empty());
  ASSERT_EQ(gateway.seen().size(), 2u);
  EXPECT_NE(gateway.seen()[1].find("auth=Bearer tok-redirect-test"), std::string::npos);
}

TEST(ResilienceRedirects, TokenEndpointRedirectToAnotherOriginIsRefused) {
  Recording other_host([](httplib::Server& s, Recording& rec) {
    s.Post("/oauth2/token", [&rec](const httplib::Request& req, httplib::Response& res) {
      rec.note(req);
      res.status = 201;
      res.set_content(R"({"access_token":"tok-from-other-host","expires_in":1799})",
                      "application/json");
    });
  });
  Recording first([&other_host](httplib::Server& s, Recording& rec) {
    s.Post("/oauth2/token", [&](const httplib::Request& req, httplib::Response& res) {
      rec.note(req);
      res.status = 308;
      res.set_header("Location", other_host.url() + "/oauth2/token");
    });
  });
  falcon::Config cfg;
  cfg.client_id = kClientId;
  cfg.client_secret = kClientSecret;
  cfg.base_url = first.url();
  falcon::Client client(cfg);
  auto r = falcon::IOC(client).platform_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth);
  EXPECT_NE(r.error->message.find("127.0.0.1"), std::string::npos) << r.error->message;
  EXPECT_TRUE(other_host.seen().empty()) << "credentials were sent to another origin";
  EXPECT_EQ(first.seen().size(), 1u);
}

TEST(ResilienceRedirects, EmulatorWrongRegionRedirectIsFollowed) {
  auto o = emulator_options();
  o.wrong_region_redirect = true;
  emu::Emulator e(o);
  e.start();
  falcon::IOC ioc(client_config(e));
  auto r = ioc.severity_query();
  ASSERT_TRUE(r.ok()) << (r.error ? r.error->describe() : std::to_string(r.status_code));
  EXPECT_EQ(e.counters().tokens_issued, 1u);
}

// ---- Logging -----------------------------------------------------------------------------

TEST(ResilienceLogging, NoSecretOrTokenInTheMostVerboseLog) {
  emu::Emulator e(emulator_options());
  e.start();
  const std::string id = seed_domain(e, "logging.example.com");
  auto cfg = client_config(e);
  auto recorder = std::make_shared<Recorder>(std::make_shared<falcon::CurlTransport>());
  cfg.transport = recorder;
  cfg.log_level = falcon::LogLevel::trace;
  std::mutex mu;
  std::string captured;
  cfg.log = [&](falcon::LogLevel, std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    captured.append(line).push_back('\n');
  };
  falcon::Client client(cfg);
  falcon::IOC ioc(client);
  ASSERT_FALSE(client.login().has_value());
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());
  ASSERT_EQ(ioc.indicator_create(create_domain("logged-create.example.com")).status_code, 201);
  e.inject(fault(emu::Fault::Kind::expire_token, "GET", kIndicators, 1));
  ASSERT_TRUE(ioc.indicator_get(get_ids(id)).ok());  // 401 replay with a new token
  ASSERT_TRUE(client.revoke().ok());

  std::vector<std::string> tokens;
  for (const auto& entry : recorder->entries()) {
    if (entry.url.find("/oauth2/token") == std::string::npos) continue;
    auto body = nlohmann::json::parse(entry.body);
    tokens.push_back(body.at("access_token").get<std::string>());
  }
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_FALSE(captured.empty());
  EXPECT_NE(captured.find("401"), std::string::npos);
  for (const auto& secret : {std::string(kClientSecret), tokens[0], tokens[1],
                             std::string("logged-create.example.com")}) {
    EXPECT_EQ(captured.find(secret), std::string::npos) << secret << " leaked:\n" << captured;
  }
}
