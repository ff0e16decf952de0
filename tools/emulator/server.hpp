// Internal: the HTTP side of the emulator (routing, the per-request pipeline, faults,
// counters, the control endpoint). Emulator's public methods forward here.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "emulator.hpp"
#include "service.hpp"

namespace falcon::emulator {

struct Emulator::Impl {
  explicit Impl(Options o) : svc(std::move(o)) {}

  int start();
  void stop();

  void inject(Fault f);
  Counters counters() const;
  void reset();
  std::vector<Fault> pending_faults() const;

  Service svc;
  int port = 0;

 private:
  struct Route {
    std::string name;  ///< operation id, for errors
    Operation op = nullptr;
    bool bearer = true;  ///< needs a valid bearer token (false: the oauth2 routes)
  };
  using Methods = std::map<std::string, Route>;  // "GET" -> route

  struct RateInfo {
    int limit = 0;
    int remaining = 0;
    std::int64_t retry_after = 0;
  };

  void configure(httplib::Server& server);
  void add_path(httplib::Server& server, const std::string& path, Methods methods);
  void add_control(httplib::Server& server);

  // The pipeline: auth -> rate limit -> fault -> operation -> (fault after) -> reply.
  void serve(const httplib::Request& req, httplib::Response& res, const Methods& methods);
  std::optional<Fault> take_fault(const std::string& method, const std::string& path);
  void count_request(const httplib::Request& req);
  RateInfo rate_peek(const httplib::Request& req);

  void send(const httplib::Request& req, httplib::Response& res, Reply reply, const RateInfo& rate,
            const std::string& trace_id, double started) const;
  void drop_connection(const httplib::Request& req, httplib::Response& res) const;

  /// Reads the body into req.body within max_body_bytes; false: a refusal was sent.
  bool read_body(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader);
  void close_after_reply(const httplib::Request& req, httplib::Response& res);
  void refuse_early(const httplib::Request& req, httplib::Response& res, int status,
                    const std::string& message);

  std::unique_ptr<httplib::Server> server_;
  std::atomic<int> listen_fd_{-1};
  std::set<std::string> routes_;  // registered paths, fixed after configure()
  std::thread thread_;
  std::mutex lifecycle_mu_;
  bool running_ = false;
  std::atomic<bool> stopping_{false};  // cuts injected latency short so stop() is prompt

  mutable std::mutex fault_mu_;
  std::vector<Fault> faults_;

  mutable std::mutex counter_mu_;
  std::map<std::string, std::uint64_t> per_route_;
  std::set<std::string> connections_;        // bounded: see count_request
  std::uint64_t connections_forgotten_ = 0;  // pairs counted, then dropped from the set
  std::uint64_t requests_total_ = 0;
};

/// Seconds on a monotonic clock, for meta.query_time.
double monotonic_seconds();

}  // namespace falcon::emulator
