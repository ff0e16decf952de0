// falcon-emulator: a local, in-process-startable emulation of the CrowdStrike Falcon IOC API
// (the 20 IOC operations plus OAuth2) for tests and demos. See docs/emulator.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0: an ephemeral port (see Emulator::start's return value)
  std::string client_id = "falcon-emulator-demo";
  std::string client_secret = "falcon-emulator-demo-secret";
  std::string region = "us-1";       ///< sent as X-CS-Region on token replies
  int token_ttl = 1799;              ///< seconds
  int rate_limit_per_minute = 6000;  ///< per customer (all API clients), sliding 60 s window
  std::string state_file;            ///< empty: indicators live in memory only
  /// Live (not deleted) indicators the tenant may hold; a create past it answers 400 naming
  /// the limit ("custom IOC limit of N reached ...").
  std::size_t quota = 1000000;
  std::uint64_t seed = 1;                   ///< drives the synthetic device/process data
  bool control = false;                     ///< serve /_emulator/* (loopback clients only)
  std::string tls_cert_file, tls_key_file;  ///< HTTPS when both are set
  /// The token endpoint answers 308 to <base>/regions/<region>/oauth2/token (spec §4.1).
  bool wrong_region_redirect = false;
  /// Offset paging past 10,000 answers 500 (gofalcon #101) instead of 400.
  bool offset_ceiling_500 = false;
  std::size_t max_body_bytes = 16 * 1024 * 1024;  ///< larger bodies get 413
  /// Seconds an idle keep-alive connection is kept open, and the longest wait for the next
  /// bytes of a request; short, so idle and slow clients give their worker back soon.
  int keep_alive_timeout_seconds = 5;
  int read_timeout_seconds = 5;
  /// Connections served at once (one worker thread each, created on demand); later ones wait
  /// in the accept queue.
  int max_connections = 1024;
};

/// A fault for the next `count` API requests matching method and path.
struct Fault {
  enum class Kind { latency, status, rate_limit, drop_connection, expire_token };

  std::string method;  ///< "" matches any method
  std::string path;    ///< "" any; an exact path; or a prefix ending in '*'
  int count = 1;       ///< requests affected; -1: until reset()
  Kind kind = Kind::status;
  int status = 503;             ///< Kind::status
  int latency_ms = 0;           ///< Kind::latency
  int retry_after_seconds = 2;  ///< Kind::rate_limit: X-RateLimit-RetryAfter = now + this
  nlohmann::json body;          ///< Kind::status: the reply body (null: an error envelope)
  /// Extension: run the operation first, then apply the fault to its reply (a write that
  /// happened although the client saw a failure). Default: the operation does not run.
  bool after = false;

  /// Parses the control endpoint's JSON; throws std::invalid_argument naming the field.
  static Fault from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

struct Counters {
  std::map<std::string, std::uint64_t> requests_per_route;  ///< "GET /iocs/queries/indicators/v1"
  std::uint64_t connections = 0;  ///< distinct (remote address, remote port) pairs seen
  std::uint64_t tokens_issued = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t indicators_created = 0;

  nlohmann::json to_json() const;
};

/// Emulator::start() could not bind its address; what() says why (e.g. the address is in use).
class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Emulator {
 public:
  explicit Emulator(Options options);
  ~Emulator();  ///< stops
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  /// Loads the state file, binds and serves on a background thread; returns the port.
  /// Throws BindError when it cannot bind, std::runtime_error when it cannot load TLS files or
  /// read the state file.
  int start();
  /// Stops serving and closes open connections. Idempotent.
  void stop();
  /// "http://127.0.0.1:PORT" ("https://..." with TLS). Valid after start().
  std::string base_url() const;
  int port() const;

  void inject(Fault fault);
  Counters counters() const;
  /// Clears indicators, faults, counters, tokens, rate-limit windows and the clock offset, and
  /// sets the quota back to Options::quota.
  void reset();
  /// Every token issued so far is expired: the next call with one gets 401.
  void expire_tokens();
  const Options& options() const;

  // Extensions for tests.

  /// Creates indicators from api.IndicatorCreateReqV1 items without HTTP, with the same
  /// validation as indicator_create_v1 (warnings ignored). Returns the new ids in order;
  /// throws std::invalid_argument carrying the row messages as JSON when a row is rejected.
  std::vector<std::string> add_indicators(const nlohmann::json& items);
  /// The stored api.IndicatorV1 record (deleted ones included), or null.
  nlohmann::json indicator(const std::string& id) const;
  std::size_t indicator_count() const;
  /// The emulator's clock: real time plus the offset advance_clock() accumulated. Token
  /// lifetimes, indicator expiration and rate-limit windows all follow it.
  std::chrono::system_clock::time_point now() const;
  void advance_clock(std::chrono::seconds by);
  /// Write audit entries ({time, operation, client_id, comment, ids}), oldest first.
  nlohmann::json audit_log() const;
  std::vector<Fault> pending_faults() const;
  /// Indicator records looked at by searches and scans since start (a page served from an
  /// index counts its records; a filter that scans counts every record). For paging-cost tests.
  std::uint64_t records_visited() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace falcon::emulator
