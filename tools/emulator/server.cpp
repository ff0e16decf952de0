#include "server.hpp"

#include "elastic_pool.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>

namespace falcon::emulator {

namespace {

using nlohmann::json;

constexpr int kBadTokenLimit = 15;  // per source IP, for missing/invalid tokens (gofalcon #364)
constexpr int kTokenLimit = 300;    // per source IP on /oauth2/token
// Distinct (address, port) pairs remembered to count connections; beyond it the set starts
// over, so a pair reused much later may count twice.
constexpr std::size_t kMaxTrackedConnections = 4096;
// Replies smaller than this go out uncompressed even to clients that accept gzip.
constexpr std::size_t kCompressMinBytes = 2048;

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// This process's TCP connections whose local port is `local_port` (and, when given, whose
// peer port is `peer_port`). cpp-httplib 0.11 gives handlers no socket, so the socket is found
// by its address.
std::vector<int> connection_fds(int local_port, int peer_port) {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage local{};
    sockaddr_storage peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    if (port_of(local) != local_port) continue;
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;  // listener
    if (peer_port >= 0 && port_of(peer) != peer_port) continue;
    fds.push_back(fd);
  }
  return fds;
}

// shutdown() (not close()) leaves the fd to its owner.
void shutdown_connections(int local_port, int peer_port) {
  for (int fd : connection_fds(local_port, peer_port)) ::shutdown(fd, SHUT_RDWR);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string bearer_token(const httplib::Request& req) {
  const std::string h = trim(req.get_header_value("Authorization"));
  if (h.size() < 7 || to_lower(h.substr(0, 7)) != "bearer ") return "";
  return trim(h.substr(7));
}

Reply gateway_error(int status, const std::string& message) {
  Reply r = Reply::error(status, message);
  r.meta_only = true;
  r.powered_by = "crowdstrike-api-gateway";
  return r;
}

Reply too_many_requests(std::int64_t retry_after) {
  Reply r = gateway_error(429, "API rate limit exceeded.");
  r.headers.emplace_back("X-Ratelimit-Retryafter", std::to_string(retry_after));
  return r;
}

// The API's budget is per customer account, shared by all its API clients (spec §5.8): one
// window for the tenant, or for the child CID a token was issued for (member_cid).
std::string customer_key(const TokenInfo& info) {
  return "customer:" + info.member_cid;
}

const std::vector<std::string>& http_methods() {
  static const std::vector<std::string> m{"GET",   "HEAD",   "POST",   "PUT",
                                          "PATCH", "DELETE", "OPTIONS"};
  return m;
}

// `data` as a gzip stream at compression level 1, or nullopt when zlib fails.
std::optional<std::string> gzip_fast(const std::string& data) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// Why host:port cannot be bound (httplib only says that it could not): binds a probe socket.
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      rc != 0) {
    return std::string("cannot resolve the address: ") + gai_strerror(rc);
  }
  int err = 0;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
  } else {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) err = errno;
    ::close(fd);
  }
  freeaddrinfo(found);
  if (err == EADDRINUSE) return "the address is already in use (is another server on that port?)";
  return err != 0 ? std::strerror(err) : "the server could not listen on it";
}

}  // namespace

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Emulator::Impl::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (running_) return port;
  svc.store.load();
  const Options& o = svc.opts;
  const bool tls = !o.tls_cert_file.empty() && !o.tls_key_file.empty();
  if (tls) {
    server_ = std::make_unique<httplib::SSLServer>(o.tls_cert_file.c_str(), o.tls_key_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    server_.reset();
    throw std::runtime_error("cannot load TLS certificate '" + o.tls_cert_file + "' / key '" +
                             o.tls_key_file + "'");
  }
  // A peer closing mid-reply must not kill the process (SSL_write raises SIGPIPE).
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
  configure(*server_);
  const int bound = o.port == 0 ? server_->bind_to_any_port(o.host)
                                : (server_->bind_to_port(o.host, o.port) ? o.port : -1);
  if (bound < 0) {
    server_.reset();
    throw BindError("cannot bind " + o.host + ":" + std::to_string(o.port) + ": " +
                    bind_failure(o.host, o.port));
  }
  port = bound;
  // listen() again on a listening socket only changes its backlog (Linux): a burst of
  // connections waits in the kernel rather than being refused or retried with back-off.
  if (listen_fd_ >= 0) ::listen(listen_fd_, 1024);
  const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  svc.base_url = std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(port);
  thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs, so do not return before it does.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  running_ = true;
  return port;
}

void Emulator::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!running_) return;
  stopping_ = true;
  server_->stop();
  // Idle keep-alive connections would otherwise hold their worker (and this join) for the
  // keep-alive timeout.
  shutdown_connections(port, -1);
  if (thread_.joinable()) thread_.join();
  server_.reset();
  try {
    svc.store.compact();
  } catch (const std::exception&) {
    // The journal still holds every write; the next start folds it in.
  }
  running_ = false;
  stopping_ = false;
}

void Emulator::Impl::configure(httplib::Server& s) {
  const auto max_conn = static_cast<std::size_t>(std::max(1, svc.opts.max_connections));
  s.new_task_queue = [max_conn] { return new ElasticPool(max_conn, 8); };
  s.set_socket_options([this](socket_t sock) {
    // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let two emulators share a port.
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;  // httplib listens with a backlog of 5; start() widens it
  });
  s.set_tcp_nodelay(true);  // headers and body go out in separate writes: no Nagle delay
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(std::max(1, svc.opts.keep_alive_timeout_seconds));
  s.set_read_timeout(std::max(1, svc.opts.read_timeout_seconds));
  s.set_write_timeout(10);
  s.set_payload_max_length(svc.opts.max_body_bytes);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!starts_with(req.path, "/_emulator/")) count_request(req);
    // httplib picks brotli whenever the client accepts it, at quality 11 (about a second per
    // MB of JSON); offer gzip only. httplib's own Request object is not const, so this is safe.
    auto& headers = const_cast<httplib::Request&>(req).headers;
    if (auto it = headers.find("Accept-Encoding"); it != headers.end()) {
      it->second = to_lower(it->second).find("gzip") != std::string::npos ? "gzip" : "identity";
    }
    if (routes_.count(req.path) == 0) {
      // Answered before httplib would read (unbounded, if chunked) a body nobody wants.
      send(req, res, Reply::error(404, "no such route: " + req.method + " " + req.path),
           rate_peek(req), random_uuid(), monotonic_seconds());
      if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
        close_after_reply(req, res);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    // Judge Content-Length before httplib reads (or, for an absurd value, skips) the body.
    const auto [first, last] = headers.equal_range("Content-Length");
    for (auto it = first; it != last; ++it) {
      const std::string v = trim(it->second);
      const bool digits =
          !v.empty() && v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || (first != last && std::next(first) != last && it->second != first->second)) {
        refuse_early(req, res, 400,
                     "Content-Length must be one non-negative decimal number, got '" +
                         it->second.substr(0, 40) + "'");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (std::stoull(v) > svc.opts.max_body_bytes) {
        refuse_early(req, res, 413,
                     "request body too large, the limit is " +
                         std::to_string(svc.opts.max_body_bytes) + " bytes");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib raises itself (unknown route, unknown method, body too large, ...) get the
  // same envelope and headers as everything else. Replies we built already carry a trace id.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (res.has_header("X-Cs-Traceid")) return httplib::Server::HandlerResponse::Unhandled;
        const auto& m = http_methods();
        if (res.status == 400 && std::find(m.begin(), m.end(), req.method) == m.end()) {
          res.status = 405;
        }
        std::string message = "malformed HTTP request";
        if (res.status == 404) message = "no such route: " + req.method + " " + req.path;
        if (res.status == 405) message = "method " + req.method + " is not allowed";
        if (res.status == 413) {
          message = "request body too large, the limit is " +
                    std::to_string(svc.opts.max_body_bytes) + " bytes";
        }
        if (res.status == 414) message = "request URI too long";
        send(req, res, Reply::error(res.status, message), rate_peek(req), random_uuid(),
             monotonic_seconds());
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        send(req, res, Reply::error(500, "internal error"), rate_peek(req), random_uuid(),
             monotonic_seconds());
      });

  const auto bearer = [](const char* name, Operation op) { return Route{name, op, true}; };
  const auto open = [](const char* name, Operation op) { return Route{name, op, false}; };
  add_path(s, "/oauth2/token", {{"POST", open("oauth2AccessToken", op_oauth2_token)}});
  add_path(s, "/oauth2/revoke", {{"POST", open("oauth2RevokeToken", op_oauth2_revoke)}});
  if (svc.opts.wrong_region_redirect) {
    const std::string base = "/regions/" + svc.opts.region;
    add_path(s, base + "/oauth2/token", {{"POST", open("oauth2AccessToken", op_oauth2_token)}});
    add_path(s, base + "/oauth2/revoke", {{"POST", open("oauth2RevokeToken", op_oauth2_revoke)}});
  }
  add_path(s, "/iocs/aggregates/indicators/v1",
           {{"POST", bearer("indicator_aggregate_v1", op_indicator_aggregate)}});
  add_path(s, "/iocs/combined/indicator/v1",
           {{"GET", bearer("indicator_combined_v1", op_indicator_combined)}});
  add_path(s, "/iocs/entities/actions/v1", {{"GET", bearer("action_get_v1", op_action_get)}});
  add_path(s, "/iocs/entities/indicators-reports/v1",
           {{"POST", bearer("GetIndicatorsReport", op_indicators_report)}});
  add_path(s, "/iocs/entities/indicators/v1",
           {{"GET", bearer("indicator_get_v1", op_indicator_get)},
            {"POST", bearer("indicator_create_v1", op_indicator_create)},
            {"PATCH", bearer("indicator_update_v1", op_indicator_update)},
            {"DELETE", bearer("indicator_delete_v1", op_indicator_delete)}});
  add_path(s, "/iocs/queries/actions/v1", {{"GET", bearer("action_query_v1", op_action_query)}});
  add_path(s, "/iocs/queries/indicators/v1",
           {{"GET", bearer("indicator_search_v1", op_indicator_search)}});
  add_path(s, "/iocs/queries/ioc-types/v1",
           {{"GET", bearer("ioc_type_query_v1", op_ioc_type_query)}});
  add_path(s, "/iocs/queries/platforms/v1",
           {{"GET", bearer("platform_query_v1", op_platform_query)}});
  add_path(s, "/iocs/queries/severities/v1",
           {{"GET", bearer("severity_query_v1", op_severity_query)}});
  add_path(s, "/indicators/aggregates/devices-count/v1",
           {{"GET", bearer("DevicesCount", op_device_count_legacy)}});
  add_path(s, "/iocs/aggregates/indicators/device-count/v1",
           {{"GET", bearer("indicator_get_device_count_v1", op_device_count)}});
  add_path(s, "/indicators/queries/devices/v1",
           {{"GET", bearer("DevicesRanOn", op_devices_ran_on_legacy)}});
  add_path(s, "/iocs/queries/indicators/devices/v1",
           {{"GET", bearer("indicator_get_devices_ran_on_v1", op_devices_ran_on)}});
  add_path(s, "/indicators/queries/processes/v1",
           {{"GET", bearer("ProcessesRanOn", op_processes_ran_on_legacy)}});
  add_path(s, "/iocs/queries/indicators/processes/v1",
           {{"GET", bearer("indicator_get_processes_ran_on_v1", op_processes_ran_on)}});
  add_path(s, "/processes/entities/processes/v1",
           {{"GET", bearer("entities_processes", op_entities_processes)}});
  if (svc.opts.control) add_control(s);
}

void Emulator::Impl::add_path(httplib::Server& s, const std::string& path, Methods methods) {
  routes_.insert(path);
  auto shared = std::make_shared<const Methods>(std::move(methods));
  // Every method is registered so a wrong one gets 405 rather than httplib's 404.
  const httplib::Server::Handler h = [this, shared](const httplib::Request& req,
                                                    httplib::Response& res) {
    serve(req, res, *shared);
  };
  const httplib::Server::HandlerWithContentReader with_body =
      [this, shared](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
        if (read_body(req, res, reader)) serve(req, res, *shared);
      };
  s.Get(path, h);
  s.Post(path, h);
  s.Put(path, h);
  s.Patch(path, h);
  s.Delete(path, h);
  s.Options(path, h);
  s.Post(path, with_body);
  s.Put(path, with_body);
  s.Patch(path, with_body);
  s.Delete(path, with_body);
}

bool Emulator::Impl::read_body(const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) {
  // Bodies are read here rather than by httplib, which sets no size limit on chunked ones.
  if (req.is_multipart_form_data()) {
    refuse_early(req, res, 400, "multipart/form-data bodies are not accepted");
    return false;
  }
  const std::size_t max = svc.opts.max_body_bytes;
  std::string body;
  bool too_big = false;
  const bool ok = reader([&](const char* data, std::size_t n) {
    if (n > max - body.size()) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_big || res.status == 413) {
    refuse_early(req, res, 413,
                 "request body too large, the limit is " + std::to_string(max) + " bytes");
    return false;
  }
  if (!ok) {
    refuse_early(req, res, 400, "malformed request body");
    return false;
  }
  const_cast<httplib::Request&>(req).body = std::move(body);
  return true;
}

void Emulator::Impl::refuse_early(const httplib::Request& req, httplib::Response& res, int status,
                                  const std::string& message) {
  send(req, res, Reply::error(status, message), rate_peek(req), random_uuid(), monotonic_seconds());
  close_after_reply(req, res);
}

void Emulator::Impl::close_after_reply(const httplib::Request& req, httplib::Response& res) {
  // The rest of the body is never read, so the connection cannot carry another request.
  // httplib 0.11 keeps a connection open whatever the reply says, so the reply's body is
  // written by a provider that then half-closes the socket: the client reads the whole
  // reply, then end of stream.
  res.set_header("Connection", "close");
  const auto fds = connection_fds(req.local_port, req.remote_port);
  if (fds.size() != 1) return;
  auto& headers = const_cast<httplib::Request&>(req).headers;
  headers.erase("Accept-Encoding");  // a provider's reply is never compressed then
  auto body = std::make_shared<std::string>(std::move(res.body));
  const std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");  // set again by set_content_provider
  res.body.clear();
  res.set_content_provider(
      body->size(), type,
      [body, fd = fds.front()](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        if (!sink.write(body->data() + offset, length)) return false;
        if (offset + length >= body->size()) ::shutdown(fd, SHUT_WR);
        return true;
      });
}

void Emulator::Impl::count_request(const httplib::Request& req) {
  std::lock_guard lock(counter_mu_);
  ++requests_total_;
  // Keys are bounded: paths and methods come from the client.
  const auto& m = http_methods();
  const std::string method =
      std::find(m.begin(), m.end(), req.method) != m.end() ? req.method : "OTHER";
  ++per_route_[method + " " + (routes_.count(req.path) != 0 ? req.path : "(unknown route)")];
  if (connections_.size() >= kMaxTrackedConnections) {
    connections_forgotten_ += connections_.size();
    connections_.clear();
  }
  connections_.insert(req.remote_addr + "|" + std::to_string(req.remote_port));
}

Emulator::Impl::RateInfo Emulator::Impl::rate_peek(const httplib::Request& req) {
  const TimePoint now = svc.now();
  const std::string token = bearer_token(req);
  if (!token.empty()) {
    if (auto info = svc.tokens.validate(token, now)) {
      auto r = svc.limiter.peek(customer_key(*info), svc.opts.rate_limit_per_minute, now);
      return {r.limit, r.remaining, 0};
    }
  }
  auto r = svc.limiter.peek("bad-token:" + req.remote_addr, kBadTokenLimit, now);
  return {r.limit, r.remaining, 0};
}

std::optional<Fault> Emulator::Impl::take_fault(const std::string& method,
                                                const std::string& path) {
  std::lock_guard lock(fault_mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->method.empty() && to_lower(it->method) != to_lower(method)) continue;
    const std::string& p = it->path;
    const bool match =
        p.empty() || p == path || (p.back() == '*' && starts_with(path, p.substr(0, p.size() - 1)));
    if (!match) continue;
    Fault f = *it;
    if (it->count > 0 && --it->count == 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

void Emulator::Impl::serve(const httplib::Request& req, httplib::Response& res,
                           const Methods& methods) {
  const double started = monotonic_seconds();
  const std::string trace_id = random_uuid();
  RateInfo rate;
  Reply reply;
  bool drop = false;
  try {
    auto route = methods.find(req.method == "HEAD" ? "GET" : req.method);
    if (route == methods.end()) {
      std::string allow;
      for (const auto& [m, r] : methods) allow += (allow.empty() ? "" : ", ") + m;
      reply = Reply::error(405, "method " + req.method + " is not allowed on " + req.path);
      reply.headers.emplace_back("Allow", allow);
      send(req, res, std::move(reply), rate_peek(req), trace_id, started);
      return;
    }
    const Route& def = route->second;
    const TimePoint now = svc.now();
    Call call{req, "", now};
    const std::string token = bearer_token(req);
    if (def.bearer) {
      const auto info = token.empty() ? std::nullopt : svc.tokens.validate(token, now);
      if (!info) {
        auto r = svc.limiter.hit("bad-token:" + req.remote_addr, kBadTokenLimit, now, false);
        send(req, res, gateway_error(401, "access denied, invalid bearer token"),
             {r.limit, r.remaining, 0}, trace_id, started);
        return;
      }
      call.client_id = info->client_id;
      auto r = svc.limiter.hit(customer_key(*info), svc.opts.rate_limit_per_minute, now);
      rate = {r.limit, r.remaining, r.retry_after};
      if (!r.allowed) {
        send(req, res, too_many_requests(r.retry_after), rate, trace_id, started);
        return;
      }
    } else {
      auto r = svc.limiter.hit("oauth:" + req.remote_addr, kTokenLimit, now, false);
      rate = {r.limit, r.remaining, 0};
    }

    const auto fault = take_fault(req.method, req.path);
    // Returns true when the fault replaces the reply.
    const auto apply = [&](const Fault& f) {
      switch (f.kind) {
        case Fault::Kind::latency: {
          const auto until =
              std::chrono::steady_clock::now() + std::chrono::milliseconds(f.latency_ms);
          while (!stopping_ && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
          return false;
        }
        case Fault::Kind::status:
          reply = Reply::error(f.status, "injected fault: status " + std::to_string(f.status));
          if (!f.body.is_null()) reply.raw = f.body;
          if (f.status == 429) {
            reply.headers.emplace_back(
                "X-Ratelimit-Retryafter",
                std::to_string(to_ns(svc.now()) / 1000000000 + f.retry_after_seconds));
          }
          return true;
        case Fault::Kind::rate_limit:
          reply = too_many_requests(to_ns(svc.now()) / 1000000000 + f.retry_after_seconds);
          rate.remaining = 0;
          return true;
        case Fault::Kind::drop_connection:
          drop = true;
          return true;
        case Fault::Kind::expire_token:
          if (token.empty() || !def.bearer) {
            svc.tokens.expire_all();
            return false;
          }
          svc.tokens.expire(token);
          if (f.after) return false;  // this reply stands; the next call gets 401
          reply = gateway_error(401, "access denied, invalid bearer token");
          return true;
      }
      return false;
    };
    if (!(fault && !fault->after && apply(*fault))) {
      reply = def.op(svc, call);
      if (fault && fault->after) apply(*fault);
    }
  } catch (const ApiError& e) {
    reply = Reply::error(e.status(), e.what());
  } catch (const PersistError& e) {
    // The store rolled the write back: the client may retry it as it is.
    reply = Reply::error(503, std::string("the write could not be made durable, so nothing was "
                                          "changed: ") +
                                  e.what());
  } catch (const std::exception& e) {
    reply = Reply::error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    reply = Reply::error(500, "internal error");
  }
  if (drop) {
    drop_connection(req, res);
    return;
  }
  if (reply.status == 429) rate.remaining = 0;
  send(req, res, std::move(reply), rate, trace_id, started);
}

void Emulator::Impl::send(const httplib::Request& req, httplib::Response& res, Reply reply,
                          const RateInfo& rate, const std::string& trace_id, double started) const {
  res.status = reply.status;
  res.set_header("X-Cs-Traceid", trace_id);
  res.set_header("X-Ratelimit-Limit", std::to_string(rate.limit));
  res.set_header("X-Ratelimit-Remaining", std::to_string(rate.remaining));
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (reply.empty) {
    res.set_header("Content-Type", "application/json");
    res.body.clear();
    return;
  }
  // Messages can echo client bytes; never let invalid UTF-8 turn a reply into an exception.
  const auto dump = [](const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  if (reply.raw) {
    res.set_content(dump(*reply.raw), "application/json");
  } else {
    json meta{{"query_time", monotonic_seconds() - started},
              {"trace_id", trace_id},
              {"powered_by", reply.powered_by}};
    if (!reply.pagination.is_null()) meta["pagination"] = reply.pagination;
    for (const auto& [k, v] : reply.meta_extra.items()) meta[k] = v;
    if (reply.resources_text && !reply.meta_only) {
      // A page rendered as text: the envelope goes around it, keys in the order dump() gives.
      const std::string head =
          "{\"errors\":" + dump(reply.errors) + ",\"meta\":" + dump(meta) + ",\"resources\":";
      std::string& text = *reply.resources_text;
      text.reserve(head.size() + text.size() + 1);
      text.insert(0, head);
      text += '}';
      res.body = std::move(text);
      res.set_header("Content-Type", "application/json");
    } else {
      json body = {{"meta", std::move(meta)}, {"errors", reply.errors}};
      if (!reply.meta_only) body["resources"] = reply.resources;
      res.set_content(dump(body), "application/json");
    }
  }
  // gzip costs a ~268 KB zlib stream per reply and saves next to nothing on a small one. A
  // large one is compressed here at level 1: httplib's default level cost a 2,000-record page
  // about 11 ms of CPU, level 1 about a third of that for a few percent more bytes.
  auto& headers = const_cast<httplib::Request&>(req).headers;
  const auto accept = headers.find("Accept-Encoding");  // "gzip" or "identity" (pre-routing)
  if (res.body.size() >= kCompressMinBytes && accept != headers.end() && accept->second == "gzip") {
    if (auto packed = gzip_fast(res.body)) {
      res.body = std::move(*packed);
      res.set_header("Content-Encoding", "gzip");
    }
  }
  headers.erase("Accept-Encoding");  // httplib never compresses (again)
}

void Emulator::Impl::drop_connection(const httplib::Request& req, httplib::Response& res) const {
  shutdown_connections(req.local_port, req.remote_port);
  // Fallback if the socket was not found: promise a body, then fail to produce it, so the
  // client sees a truncated reply rather than a valid one.
  res.status = 200;
  res.set_content_provider(1024, "application/json",
                           [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

}  // namespace falcon::emulator
