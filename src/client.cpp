// Client: the call pipeline. A request is built once and sent through the attempt loop
// (attempts.hpp); before each attempt the token manager gives a token, and the reply the loop
// returns is turned into a Response here.
#include "falcon/client.hpp"
#include "falcon/version.hpp"

#include <algorithm>
#include <atomic>

#include "attempts.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "retry.hpp"
#include "runtime.hpp"
#include "strings.hpp"
#include "token_manager.hpp"
#include "value_lists.hpp"

namespace falcon {

const char* version() noexcept {
  return FALCON_CPP_VERSION_STRING;
}

namespace {

using internal::TimePoint;
using std::chrono::milliseconds;

// CallOptions::headers: HTTP tokens for names, no CR/LF/NUL in values, and none of the headers
// the SDK owns (framing and credentials).
std::optional<Error> check_call_headers(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    const std::string field = "headers." + name;
    if (!internal::is_header_name(name)) {
      std::string shown = name.substr(0, 64);
      for (auto& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      }
      return internal::validation_error("headers", "'" + shown +
                                                       "' is not a valid header name (letters, "
                                                       "digits and !#$%&'*+-.^_`|~ only)");
    }
    for (const char* owned : {"Host", "Authorization", "Content-Length", "Transfer-Encoding"}) {
      if (internal::iequals(name, owned)) {
        return internal::validation_error(field, std::string(owned) +
                                                     " is set by the SDK and cannot be given in "
                                                     "CallOptions::headers");
      }
    }
    if (internal::has_line_break_or_nul(value)) {
      return internal::validation_error(field, "header value contains CR, LF or NUL");
    }
  }
  return std::nullopt;
}

}  // namespace

struct Client::Impl {
  internal::Runtime rt;
  std::shared_ptr<HttpTransport> transport;
  Headers common;  // User-Agent, CrowdStrike-SDK, Accept: the same on every request
  std::unique_ptr<internal::TokenManager> tokens;
  internal::ValueLists value_lists;  // the API's enum lists, fetched when first needed

  // Shared rate-limit state for pacing.
  std::atomic<std::int64_t> rl_limit{-1};
  std::atomic<std::int64_t> rl_remaining{-1};

  void pace(const RetryPolicy& p, const std::string& op) const {
    if (!p.slow_down_near_limit) return;
    const auto limit = rl_limit.load(std::memory_order_relaxed);
    const auto remaining = rl_remaining.load(std::memory_order_relaxed);
    if (limit <= 0 || remaining < 0) return;
    const std::int64_t threshold = std::max<std::int64_t>(2, limit / 20);
    if (remaining > threshold) return;
    // Spread the rest of the window: the average spacing that stays within the limit.
    const milliseconds delay(std::min<std::int64_t>(1000, 60'000 / limit));
    if (rt.logs(LogLevel::warning)) {
      rt.log(LogLevel::warning, "falcon: " + op + ": X-RateLimit-Remaining is " +
                                    std::to_string(remaining) + "; slowing down " +
                                    std::to_string(delay.count()) + " ms");
    }
    rt.sleep(delay);
  }

  void note_rate_limit(const RateLimit& rl) {
    if (rl.limit) rl_limit.store(*rl.limit, std::memory_order_relaxed);
    if (rl.remaining) rl_remaining.store(*rl.remaining, std::memory_order_relaxed);
  }

  HttpRequest build(const ApiRequest& req, const CallOptions& call, const std::string& base) const {
    HttpRequest http;
    http.method = req.method;
    http.url.reserve(base.size() + req.path.size() + req.query.size() + 1);
    http.url = base;
    http.url += req.path;
    if (!req.query.empty()) {
      http.url += '?';
      http.url += req.query;
    }
    http.headers = common;
    // GET and DELETE never carry a body.
    if (req.body && req.method != "GET" && req.method != "DELETE") {
      http.body = req.body;
      http.headers.emplace("Content-Type", "application/json");
    }
    for (const auto& [k, v] : call.headers) {
      http.headers.erase(k);
      http.headers.emplace(k, v);
    }
    http.fresh_connection = !req.idempotent;
    return http;
  }

  // An error reply may echo the request (the bearer token); its messages are text for humans
  // that raise_for_status() and callers print, so known secrets are taken out of them.
  // The raw text is redacted before the Response is built (redact_reply), the decoded messages
  // here as well, since a secret may appear there only once JSON escapes are undone.
  void redact_api_errors(Response& r) const {
    if (!r.body().is_object()) return;
    auto& body = r.mutable_body();
    auto errs = body.find("errors");
    if (errs == body.end() || !errs->is_array()) return;
    for (auto& e : *errs) {
      if (!e.is_object()) continue;
      auto m = e.find("message");
      if (m != e.end() && m->is_string()) *m = rt.redactor.apply(m->get<std::string>());
    }
  }

  void redact_reply(HttpResponse& http) const {
    if (http.status >= 400) http.body = rt.redactor.apply(http.body);
  }

  Response fail(Error e, const std::string& op) const {
    rt.redactor.apply_to(e);
    if (rt.logs(LogLevel::error)) rt.log(LogLevel::error, "falcon: " + op + ": " + e.describe());
    return make_error_response(std::move(e));
  }

  // An API call's part of the attempt loop: pacing, the bearer token (and the base URL it
  // may move), the 401 replay and the rate-limit state.
  class ApiHooks final : public internal::SendHooks {
   public:
    ApiHooks(Impl& im, const RetryPolicy& policy, const std::string& op, TimePoint deadline,
             std::string base)
        : im_(im), policy_(policy), op_(op), deadline_(deadline), base_(std::move(base)) {}

    std::optional<Error> before_attempt(HttpRequest& http) override {
      im_.pace(policy_, op_);
      internal::TokenManager::Token tok = im_.tokens->get(deadline_);
      if (tok.error) return std::move(tok.error);
      // The base URL can move once the first token names the cloud.
      if (auto base = im_.tokens->base_url(); base != base_) {
        http.url = base + http.url.substr(base_.size());
        base_ = std::move(base);
      }
      http.headers.erase("Authorization");
      http.headers.emplace("Authorization", "Bearer " + tok.value);
      generation_ = tok.generation;
      return std::nullopt;
    }
    bool renewable() const override { return im_.tokens->renewable(); }
    // Drop the token; the next attempt fetches a new one (single flight).
    void on_replay_401() override { im_.tokens->invalidate(generation_); }
    void on_rate_limit(const RateLimit& rl) override { im_.note_rate_limit(rl); }

   private:
    Impl& im_;
    const RetryPolicy& policy_;
    const std::string& op_;
    TimePoint deadline_;
    std::string base_;  // the base URL `http.url` was built on
    std::uint64_t generation_ = 0;
  };

  Response send(const ApiRequest& req, const CallOptions& call) {
    const std::string& op = req.operation.empty() ? req.path : req.operation;
    if (auto e = check_call_headers(call.headers)) return fail(std::move(*e), op);
    internal::SendPlan plan;
    plan.label = op;
    plan.method = req.method;
    plan.path = req.path;
    plan.idempotent = req.idempotent;
    plan.policy = call.retry.value_or(rt.cfg.retry);
    plan.total = call.deadline.value_or(rt.cfg.deadline);
    plan.per_attempt = call.timeout.value_or(rt.cfg.timeout);
    plan.deadline = internal::deadline_after(plan.total, rt.now());

    std::string base = tokens->base_url();
    HttpRequest http = build(req, call, base);
    ApiHooks hooks(*this, plan.policy, op, plan.deadline, std::move(base));
    internal::SendOutcome out = internal::send_with_retries(rt, *transport, http, plan, hooks);
    if (!out.reply) return fail(std::move(*out.error), op);

    HttpResponse& reply = *out.reply;
    const int status = reply.status;
    if (out.end == internal::SendOutcome::End::gave_up) {
      redact_reply(reply);
      Response r = make_response(std::move(reply));
      r.attempts = out.attempts;
      r.error = std::move(out.error);
      rt.redactor.apply_to(*r.error);
      redact_api_errors(r);
      return r;
    }
    std::string redirect_host;
    if (status >= 300 && status < 400) {
      if (auto loc = header_value(reply.headers, "Location")) {
        redirect_host = internal::url_host(*loc);
        if (redirect_host.empty()) redirect_host = internal::url_host(http.url);
      }
    }
    redact_reply(reply);
    Response r = make_response(std::move(reply), status < 300 || status >= 400);
    r.attempts = out.attempts;
    if (status == 401) {
      Error e;
      e.kind = ErrorKind::auth;
      e.message = tokens->renewable() ? "401 from the API after renewing the token"
                                      : "401 from the API: the access_token given is not accepted";
      e.attempts = out.attempts;
      r.error = std::move(e);
    } else if (status >= 300 && status < 400) {
      // API calls never follow redirects: the bearer token must not travel to another host.
      Error e;
      e.kind = ErrorKind::transport;
      e.message = "HTTP " + std::to_string(status) + " redirect to '" +
                  (redirect_host.empty() ? std::string("?") : redirect_host.substr(0, 200)) +
                  "' not followed (API calls never follow redirects); check base_url";
      e.attempts = out.attempts;
      r.error = std::move(e);
    }
    if (r.error) rt.redactor.apply_to(*r.error);
    if (status >= 400) redact_api_errors(r);
    return r;
  }
};

Client::Client(Config config) : impl_(std::make_shared<Impl>()) {
  if (auto err = config.check()) throw Exception(*err);
  auto& im = *impl_;
  im.rt.cfg = std::move(config);
  const Config& cfg = im.rt.cfg;
  im.rt.redactor.add(cfg.client_secret, true);
  if (!cfg.client_secret.empty()) {
    im.rt.redactor.add(internal::base64(cfg.client_id + ":" + cfg.client_secret), true);
  }
  if (cfg.access_token) im.rt.redactor.add(*cfg.access_token, true);
  auto resolved = resolve_base_url(cfg.base_url);
  const std::string sdk_header = std::string("falcon-cpp/") + FALCON_CPP_VERSION_STRING;
  im.common.emplace("User-Agent", cfg.user_agent.empty() ? sdk_header : cfg.user_agent);
  im.common.emplace("CrowdStrike-SDK", sdk_header);
  im.common.emplace("Accept", "application/json");
  if (cfg.transport) {
    im.transport = cfg.transport;
  } else {
    CurlTransportOptions o;
    o.connect_timeout = cfg.connect_timeout;
    o.timeout = cfg.timeout;
    o.proxy = cfg.proxy;
    o.ssl_verify = cfg.ssl_verify;
    o.ca_bundle = cfg.ca_bundle;
    o.max_response_bytes = cfg.max_response_bytes;
    o.accept_encoding = cfg.accept_encoding;
    im.transport = std::make_shared<CurlTransport>(o);
  }
  im.tokens = std::make_unique<internal::TokenManager>(im.rt, im.transport, im.common,
                                                       resolved->url, resolved->is_cloud_name);
  if (!cfg.ssl_verify) {
    im.rt.log(LogLevel::warning,
              "falcon: ssl_verify is off: the server's certificate is not checked");
  }
}

Response Client::send(const ApiRequest& request, const CallOptions& call) const {
  return impl_->send(request, call);
}

std::optional<Error> Client::login() const {
  auto& im = *impl_;
  return im.tokens->get(internal::deadline_after(im.rt.cfg.deadline, im.rt.now())).error;
}

Response Client::revoke() const {
  return impl_->tokens->revoke();
}

std::string Client::base_url() const {
  return impl_->tokens->base_url();
}

std::optional<std::chrono::system_clock::time_point> Client::token_expiry() const {
  return impl_->tokens->expiry();
}

const Config& Client::config() const {
  return impl_->rt.cfg;
}

namespace internal {

struct ClientAccess {
  static ValueLists& value_lists(const Client& c) { return c.impl_->value_lists; }
};

ValueLists& value_lists(const Client& client) {
  return ClientAccess::value_lists(client);
}

}  // namespace internal

}  // namespace falcon
