// Client: token manager + transport + retry loop. The request is built once per call; each
// attempt only swaps the Authorization header (and the base URL after a region switch).
#include "falcon/client.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>

#include "internal.hpp"

namespace falcon {

const char* version() noexcept {
  return FALCON_VERSION;
}

namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using TimePoint = system_clock::time_point;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

long long ms_between(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

bool retryable_status(int status) {
  return status == 408 || status == 500 || status == 502 || status == 503 || status == 504;
}

Error auth_error(std::string message) {
  Error e;
  e.kind = ErrorKind::auth;
  e.message = std::move(message);
  return e;
}

}  // namespace

struct Client::Impl {
  Config cfg;
  std::shared_ptr<HttpTransport> transport;
  std::string user_agent;
  std::string sdk_header;

  // Base URL: a cloud name may move after X-CS-Region; an explicit URL never does.
  mutable std::shared_mutex base_mu;
  std::string base_url;
  bool base_is_cloud = false;

  // Token state. state_mu guards the fields; refresh_mu makes refreshes single-flight.
  mutable std::shared_mutex state_mu;
  std::mutex refresh_mu;
  std::string token;
  TimePoint token_expires{};
  std::uint64_t token_generation = 0;  // bumps on every new token or invalidation
  std::uint64_t refresh_epoch = 0;     // bumps after every refresh attempt
  std::optional<Error> last_refresh_error;

  // Shared rate-limit state for pacing.
  std::atomic<std::int64_t> rl_limit{-1};
  std::atomic<std::int64_t> rl_remaining{-1};

  TimePoint now() const { return cfg.clock ? cfg.clock() : system_clock::now(); }
  void sleep(milliseconds d) const {
    if (d.count() <= 0) return;
    if (cfg.sleeper) {
      cfg.sleeper(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  std::string current_base() const {
    std::shared_lock<std::shared_mutex> lock(base_mu);
    return base_url;
  }

  void add_common_headers(HttpRequest& http) const {
    http.headers.emplace("User-Agent", user_agent);
    http.headers.emplace("CrowdStrike-SDK", sdk_header);
    http.headers.emplace("Accept", "application/json");
  }

  struct TokenResult {
    std::string token;
    std::uint64_t generation = 0;
    std::optional<Error> error;
  };

  bool fresh_locked(TimePoint t) const {
    return !token.empty() && t + cfg.renew_window < token_expires;
  }

  TokenResult get_token() {
    if (cfg.access_token) return TokenResult{*cfg.access_token, 0, std::nullopt};
    std::uint64_t epoch_seen = 0;
    {
      std::shared_lock<std::shared_mutex> lock(state_mu);
      if (fresh_locked(now())) return TokenResult{token, token_generation, std::nullopt};
      epoch_seen = refresh_epoch;
    }
    std::lock_guard<std::mutex> single_flight(refresh_mu);
    {
      std::shared_lock<std::shared_mutex> lock(state_mu);
      if (fresh_locked(now())) return TokenResult{token, token_generation, std::nullopt};
      if (refresh_epoch != epoch_seen && last_refresh_error) {
        // The refresh we queued behind just failed: report it rather than hammer the server.
        return TokenResult{{}, 0, last_refresh_error};
      }
    }
    return refresh();
  }

  // Called with refresh_mu held.
  TokenResult refresh() {
    HttpRequest http;
    http.method = "POST";
    http.url = current_base() + "/oauth2/token";
    http.follow_redirects = true;  // a 308 to the right cloud is followed for this call only
    add_common_headers(http);
    http.headers.emplace("Content-Type", "application/x-www-form-urlencoded");
    std::vector<std::pair<std::string, std::string>> form = {{"client_id", cfg.client_id},
                                                             {"client_secret", cfg.client_secret}};
    if (cfg.member_cid) form.emplace_back("member_cid", *cfg.member_cid);
    http.body = internal::form_encode(form);

    const TimePoint t0 = now();
    TransportResult tr = transport->send(http);
    const TimePoint t1 = now();
    auto finish = [&](std::optional<Error> err, std::string tok, TimePoint expires) {
      std::unique_lock<std::shared_mutex> lock(state_mu);
      ++refresh_epoch;
      last_refresh_error = err;
      if (!err) {
        token = std::move(tok);
        token_expires = expires;
        ++token_generation;
        return TokenResult{token, token_generation, std::nullopt};
      }
      // Keep serving an old token that is still valid; the next call tries again.
      if (!token.empty() && t1 < token_expires) {
        return TokenResult{token, token_generation, std::nullopt};
      }
      token.clear();
      return TokenResult{{}, 0, err};
    };

    if (!tr.ok()) {
      Error e = *tr.error;
      e.message = "token request failed: " + e.message;
      internal::log(cfg, LogLevel::warning, "falcon: POST /oauth2/token failed: " + e.message);
      return finish(e, {}, {});
    }
    const int status = tr.response.status;
    internal::log(cfg, LogLevel::debug,
                  "falcon: oauth2AccessToken POST /oauth2/token -> " + std::to_string(status) +
                      " (" + std::to_string(ms_between(t0, t1)) + " ms)");
    auto body = nlohmann::json::parse(tr.response.body, nullptr, false);
    if (status != 201 && status != 200) {
      std::string msg = "token request refused with HTTP " + std::to_string(status);
      if (body.is_object() && body.contains("errors") && body["errors"].is_array() &&
          !body["errors"].empty() && body["errors"][0].is_object() &&
          body["errors"][0].contains("message") && body["errors"][0]["message"].is_string()) {
        msg += ": " + body["errors"][0]["message"].get<std::string>();
      }
      Error e = auth_error(msg);
      e.attempts = 1;
      return finish(e, {}, {});
    }
    if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
        body["access_token"].get<std::string>().empty()) {
      Error e;
      e.kind = ErrorKind::auth;
      e.message = "token reply has no access_token";
      return finish(e, {}, {});
    }
    std::int64_t expires_in = 1799;
    if (body.contains("expires_in") && body["expires_in"].is_number()) {
      expires_in = body["expires_in"].get<std::int64_t>();
    }
    switch_region(tr.response);
    return finish(std::nullopt, body["access_token"].get<std::string>(),
                  t0 + std::chrono::seconds(expires_in));
  }

  void switch_region(const HttpResponse& reply) {
    std::unique_lock<std::shared_mutex> lock(base_mu);
    if (!base_is_cloud) return;  // an explicit URL is never overwritten
    std::optional<std::string> target;
    if (auto region = header_value(reply.headers, "X-CS-Region")) {
      target = cloud_base_url(internal::trim(*region));
    }
    if (!target && !reply.effective_url.empty()) {
      auto origin = internal::url_origin(reply.effective_url);
      if (!origin.empty() && origin != internal::url_origin(base_url)) target = origin;
    }
    if (target && *target != base_url) {
      internal::log(cfg, LogLevel::info,
                    "falcon: credentials belong to another cloud; using " + *target);
      base_url = *target;
    }
  }

  void invalidate(std::uint64_t generation) {
    std::unique_lock<std::shared_mutex> lock(state_mu);
    if (generation == token_generation && !token.empty()) {
      token.clear();
      ++token_generation;
    }
  }

  milliseconds backoff(const RetryPolicy& p, int retry_index) const {
    double base = static_cast<double>(p.initial_backoff.count()) *
                  std::pow(p.multiplier, static_cast<double>(retry_index));
    base = std::min(base, static_cast<double>(p.max_backoff.count()));
    if (p.jitter > 0) {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      std::uniform_real_distribution<double> dist(1.0 - p.jitter, 1.0 + p.jitter);
      base *= dist(rng);
    }
    return milliseconds(static_cast<long long>(base));
  }

  void pace(const RetryPolicy& p, const std::string& op) const {
    if (!p.slow_down_near_limit) return;
    const auto limit = rl_limit.load(std::memory_order_relaxed);
    const auto remaining = rl_remaining.load(std::memory_order_relaxed);
    if (limit <= 0 || remaining < 0) return;
    const std::int64_t threshold = std::max<std::int64_t>(2, limit / 20);
    if (remaining > threshold) return;
    // Spread the rest of the window: the average spacing that stays within the limit.
    const milliseconds delay(std::min<std::int64_t>(1000, 60'000 / limit));
    internal::log(cfg, LogLevel::warning,
                  "falcon: " + op + ": X-RateLimit-Remaining is " + std::to_string(remaining) +
                      "; slowing down " + std::to_string(delay.count()) + " ms");
    sleep(delay);
  }

  void note_rate_limit(const Headers& h) {
    if (auto v = header_value(h, "X-RateLimit-Limit")) {
      try {
        rl_limit.store(std::stoll(std::string(*v)), std::memory_order_relaxed);
      } catch (...) {
      }
    }
    if (auto v = header_value(h, "X-RateLimit-Remaining")) {
      try {
        rl_remaining.store(std::stoll(std::string(*v)), std::memory_order_relaxed);
      } catch (...) {
      }
    }
  }

  HttpRequest build(const ApiRequest& req, const CallOptions& call) const {
    HttpRequest http;
    http.method = req.method;
    http.url.reserve(64 + req.path.size() + req.query.size());
    http.url = current_base();
    http.url += req.path;
    if (!req.query.empty()) {
      http.url += '?';
      http.url += req.query;
    }
    add_common_headers(http);
    // GET and DELETE never carry a body.
    if (req.body && req.method != "GET" && req.method != "DELETE") {
      http.body = req.body;
      http.headers.emplace("Content-Type", "application/json");
    }
    for (const auto& [k, v] : call.headers) {
      if (internal::iequals(k, "Authorization")) continue;
      http.headers.erase(k);
      http.headers.emplace(k, v);
    }
    if (call.timeout) http.timeout = *call.timeout;
    http.fresh_connection = !req.idempotent;
    return http;
  }

  Response send(const ApiRequest& req, const CallOptions& call) {
    const RetryPolicy policy = call.retry.value_or(cfg.retry);
    HttpRequest http = build(req, call);
    std::string built_base = current_base();
    const std::string& op = req.operation.empty() ? req.path : req.operation;
    int attempts = 0;
    int retries = 0;
    bool replayed_401 = false;

    while (true) {
      pace(policy, op);
      TokenResult tok = get_token();
      if (tok.error) {
        Error e = *tok.error;
        e.attempts = attempts;
        internal::log(cfg, LogLevel::error, "falcon: " + op + ": " + e.describe());
        return make_error_response(std::move(e));
      }
      // The base URL can move once the first token names the cloud.
      if (auto base = current_base(); base != built_base) {
        http.url = base + http.url.substr(built_base.size());
        built_base = std::move(base);
      }
      http.headers.erase("Authorization");
      http.headers.emplace("Authorization", "Bearer " + tok.token);

      ++attempts;
      const TimePoint t0 = now();
      TransportResult tr = transport->send(http);
      const auto elapsed = ms_between(t0, now());

      if (!tr.ok()) {
        Error e = *tr.error;
        e.attempts = attempts;
        const bool may_retry = req.idempotent || !e.request_sent;
        internal::log(cfg, LogLevel::debug,
                      "falcon: " + op + " " + req.method + " " + req.path + " -> " +
                          std::string(to_string(e.kind)) + " (attempt " + std::to_string(attempts) +
                          ", " + std::to_string(elapsed) + " ms)");
        if (may_retry && attempts < policy.max_attempts) {
          auto d = backoff(policy, retries++);
          internal::log(cfg, LogLevel::warning,
                        "falcon: " + op + ": " + e.message + "; retrying attempt " +
                            std::to_string(attempts + 1) + " in " + std::to_string(d.count()) +
                            " ms");
          sleep(d);
          continue;
        }
        return make_error_response(std::move(e));
      }

      const int status = tr.response.status;
      internal::log(cfg, LogLevel::debug,
                    "falcon: " + op + " " + req.method + " " + req.path + " -> " +
                        std::to_string(status) + " (attempt " + std::to_string(attempts) + ", " +
                        std::to_string(elapsed) + " ms)");
      note_rate_limit(tr.response.headers);

      if (status == 401 && !cfg.access_token && !replayed_401) {
        // Drop the token, fetch a new one (single flight) and replay once; not an attempt.
        replayed_401 = true;
        --attempts;
        invalidate(tok.generation);
        internal::log(cfg, LogLevel::warning,
                      "falcon: " + op + ": 401 from the API; renewing the token and replaying");
        continue;
      }

      if (status == 429) {
        Response r = make_response(std::move(tr.response));
        r.attempts = attempts;
        const TimePoint t = now();
        auto when = r.rate_limit().retry_after;
        // Re-read a relative Retry-After against the injected clock.
        if (auto ra = header_value(r.headers, "Retry-After");
            ra && !header_value(r.headers, "X-RateLimit-RetryAfter")) {
          when = parse_retry_after(*ra, true, t);
        }
        milliseconds wait =
            when ? std::chrono::duration_cast<milliseconds>(*when - t) : backoff(policy, retries);
        if (wait.count() < 0) wait = milliseconds(0);
        if (wait > policy.max_rate_limit_wait) {
          Error e;
          e.kind = ErrorKind::rate_limited;
          e.message = "rate limited; the server asks to wait " + std::to_string(wait.count()) +
                      " ms, more than max_rate_limit_wait (" +
                      std::to_string(policy.max_rate_limit_wait.count()) + " ms)";
          e.retry_at = t + wait;
          e.attempts = attempts;
          r.error = std::move(e);
          internal::log(cfg, LogLevel::warning, "falcon: " + op + ": " + r.error->message);
          return r;
        }
        if (attempts < policy.max_attempts) {
          ++retries;
          internal::log(cfg, LogLevel::warning,
                        "falcon: " + op + ": 429 rate limited; waiting " +
                            std::to_string(wait.count()) + " ms before attempt " +
                            std::to_string(attempts + 1));
          sleep(wait);
          continue;
        }
        Error e;
        e.kind = ErrorKind::rate_limited;
        e.message = "still rate limited after " + std::to_string(attempts) + " attempts";
        e.retry_at = t + wait;
        e.attempts = attempts;
        r.error = std::move(e);
        return r;
      }

      if (retryable_status(status) && req.idempotent && attempts < policy.max_attempts) {
        auto d = backoff(policy, retries++);
        internal::log(cfg, LogLevel::warning,
                      "falcon: " + op + ": HTTP " + std::to_string(status) + "; retrying attempt " +
                          std::to_string(attempts + 1) + " in " + std::to_string(d.count()) +
                          " ms");
        sleep(d);
        continue;
      }

      Response r = make_response(std::move(tr.response));
      r.attempts = attempts;
      if (status == 401) {
        Error e =
            auth_error(cfg.access_token ? "401 from the API: the access_token given is not accepted"
                                        : "401 from the API after renewing the token");
        e.attempts = attempts;
        r.error = std::move(e);
      }
      return r;
    }
  }

  Response revoke() {
    std::string tok;
    {
      std::unique_lock<std::shared_mutex> lock(state_mu);
      tok = cfg.access_token ? *cfg.access_token : token;
      token.clear();
      ++token_generation;
    }
    if (tok.empty()) {
      Response r;
      r.status_code = 200;
      r.body = {{"meta", nlohmann::json::object()},
                {"errors", nlohmann::json::array()},
                {"resources", nlohmann::json::array()}};
      return r;  // nothing to revoke
    }
    HttpRequest http;
    http.method = "POST";
    http.url = current_base() + "/oauth2/revoke";
    http.follow_redirects = true;
    add_common_headers(http);
    http.headers.emplace("Content-Type", "application/x-www-form-urlencoded");
    http.headers.emplace("Authorization",
                         "basic " + base64(cfg.client_id + ":" + cfg.client_secret));
    std::vector<std::pair<std::string, std::string>> form = {{"token", tok}};
    if (!cfg.client_id.empty()) form.emplace_back("client_id", cfg.client_id);
    http.body = internal::form_encode(form);
    TransportResult tr = transport->send(http);
    if (!tr.ok()) return make_error_response(*tr.error);
    internal::log(
        cfg, LogLevel::debug,
        "falcon: oauth2RevokeToken POST /oauth2/revoke -> " + std::to_string(tr.response.status));
    Response r = make_response(std::move(tr.response));
    r.attempts = 1;
    return r;
  }
};

Client::Client(Config config) : impl_(std::make_shared<Impl>()) {
  if (auto err = config.check()) throw Exception(*err);
  auto& im = *impl_;
  im.cfg = std::move(config);
  auto resolved = resolve_base_url(im.cfg.base_url);
  im.base_url = resolved->url;
  im.base_is_cloud = resolved->is_cloud_name;
  im.sdk_header = std::string("falcon-cpp/") + FALCON_VERSION;
  im.user_agent = im.cfg.user_agent.empty() ? im.sdk_header : im.cfg.user_agent;
  if (im.cfg.transport) {
    im.transport = im.cfg.transport;
  } else {
    CurlTransportOptions o;
    o.connect_timeout = im.cfg.connect_timeout;
    o.timeout = im.cfg.timeout;
    o.proxy = im.cfg.proxy;
    o.ssl_verify = im.cfg.ssl_verify;
    o.ca_bundle = im.cfg.ca_bundle;
    im.transport = std::make_shared<CurlTransport>(o);
  }
  if (!im.cfg.ssl_verify) {
    internal::log(im.cfg, LogLevel::warning,
                  "falcon: ssl_verify is off: the server's certificate is not checked");
  }
}

Response Client::send(const ApiRequest& request, const CallOptions& call) const {
  return impl_->send(request, call);
}

std::optional<Error> Client::login() const {
  return impl_->get_token().error;
}

Response Client::revoke() const {
  return impl_->revoke();
}

std::string Client::base_url() const {
  return impl_->current_base();
}

std::optional<std::chrono::system_clock::time_point> Client::token_expiry() const {
  std::shared_lock<std::shared_mutex> lock(impl_->state_mu);
  if (impl_->token.empty()) return std::nullopt;
  return impl_->token_expires;
}

const Config& Client::config() const {
  return impl_->cfg;
}

HttpRequest Client::build_http_request(const ApiRequest& request, const CallOptions& call) const {
  return impl_->build(request, call);
}

}  // namespace falcon
