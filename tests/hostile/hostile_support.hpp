// Shared pieces of the hostile-server tests: a fast Config against a hostile::Server (small
// timeouts, 1 ms backoff, a sleeper that records instead of sleeping, a trace-level log capture).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "falcon/falcon.hpp"
#include "hostile_server.hpp"

namespace hostile {

using namespace std::chrono_literals;

inline constexpr const char* kClientId = "hostile-client-id";
inline constexpr const char* kClientSecret = "hostile-secret-5f1c0a9e77";

/// Waits the client asked for, recorded instead of slept.
class Waits {
 public:
  void add(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    waits_.push_back(d);
  }
  std::vector<std::chrono::milliseconds> all() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waits_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> waits_;
};

/// Every log line at every level.
class LogCapture {
 public:
  void add(falcon::LogLevel, std::string_view line) {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(line).push_back('\n');
    ++lines_;
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  std::size_t lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
  std::size_t lines_ = 0;
};

/// A test's recorders; they outlive every Client of the test.
struct Recorders {
  std::shared_ptr<Waits> waits = std::make_shared<Waits>();
  std::shared_ptr<LogCapture> log = std::make_shared<LogCapture>();
};

/// A config for `server`: 300 ms per attempt, a 2 s deadline, 3 attempts 1 ms apart, waits
/// recorded by `rec.waits`, every log line kept by `rec.log`.
inline falcon::Config fast_config(const Server& server, const Recorders& rec) {
  falcon::Config c;
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  c.base_url = server.url();
  c.connect_timeout = 300ms;
  c.timeout = 300ms;
  c.deadline = 2000ms;
  c.retry.max_attempts = 3;
  c.retry.initial_backoff = 1ms;
  c.retry.max_backoff = 4ms;
  c.retry.jitter = 0;
  c.retry.max_rate_limit_wait = 5000ms;
  c.sleeper = [waits = rec.waits](std::chrono::milliseconds d) { waits->add(d); };
  c.log_level = falcon::LogLevel::trace;
  c.log = [log = rec.log](falcon::LogLevel l, std::string_view line) { log->add(l, line); };
  return c;
}

/// The one API route the tests call: GET /iocs/queries/ioc-types/v1 (ioc_type_query).
inline constexpr const char* kTypesRoute = "/iocs/queries/ioc-types/v1";
inline constexpr const char* kTokenRoute = "/oauth2/token";
inline const std::string kEnvelope = R"({"meta":{},"errors":[],"resources":["domain"]})";

/// Scripts a plain working token endpoint and the API route.
inline void script_happy(Server& s, const std::string& token = "tok-happy") {
  s.on("POST", kTokenRoute, Reply::token(token));
  s.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
}

inline std::string describe(const falcon::Response& r) {
  return r.error ? r.error->describe() : "HTTP " + std::to_string(r.status_code);
}

inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

/// contains(), ASCII case-insensitive.
inline bool icontains(std::string hay, std::string needle) {
  for (auto* s : {&hay, &needle}) {
    for (char& ch : *s) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  return contains(hay, needle);
}

}  // namespace hostile
