// The token manager (token_manager.hpp).
#include "token_manager.hpp"

#include <cmath>

#include "attempts.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "retry.hpp"
#include "strings.hpp"

namespace falcon::internal {

namespace {

using std::chrono::seconds;

constexpr int kMaxRedirects = 3;
constexpr std::int64_t kDefaultLifetime = 1799;
constexpr std::int64_t kMinLifetime = 60;
constexpr std::int64_t kMaxLifetime = 24 * 3600;

Error auth_error(std::string message, int attempts) {
  Error e;
  e.kind = ErrorKind::auth;
  e.message = std::move(message);
  e.attempts = attempts;
  return e;
}

// Resolves a Location value against the URL it answered: absolute, or a path on the same origin.
std::string resolve_location(std::string_view location, const std::string& from) {
  location = trim(location);
  if (location.find("://") != std::string_view::npos) return std::string(location);
  if (location.substr(0, 2) == "//") {
    return from.substr(0, from.find("://") + 1) + std::string(location);
  }
  const auto scheme_end = from.find("://");
  const auto path_start = from.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string base = from.substr(0, path_start);
  if (location.empty() || location.front() != '/') base += '/';
  return base + std::string(location);
}

// The base URL (from our table) of the known cloud whose API host `url` is on; else "".
std::string known_cloud_base(const std::string& url) {
  const std::string origin = url_origin(url);
  for (std::string_view name : cloud_names()) {
    const std::string base = *cloud_base_url(name);
    if (url_origin(base) == origin) return base;
  }
  return {};
}

// The first API error message of a reply, if any (bounded: it may land in an Error).
std::string first_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return {};
  auto errs = j.find("errors");
  if (errs == j.end() || !errs->is_array() || errs->empty() || !(*errs)[0].is_object()) return {};
  auto m = (*errs)[0].find("message");
  if (m == (*errs)[0].end() || !m->is_string()) return {};
  std::string msg = m->get<std::string>();
  if (msg.size() > 300) msg.resize(300);
  return msg;
}

bool header_safe_token(const std::string& t) {
  for (unsigned char c : t) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

TokenManager::TokenManager(const Runtime& rt, std::shared_ptr<HttpTransport> transport,
                           Headers common, std::string base_url, bool base_is_cloud)
    : rt_(rt),
      transport_(std::move(transport)),
      common_(std::move(common)),
      base_url_(std::move(base_url)),
      base_is_cloud_(base_is_cloud) {}

std::chrono::seconds TokenManager::lifetime(const nlohmann::json& v) {
  std::int64_t s = kDefaultLifetime;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    s = u > static_cast<std::uint64_t>(kMaxLifetime) ? kMaxLifetime : static_cast<std::int64_t>(u);
  } else if (v.is_number_integer()) {
    s = v.get<std::int64_t>();
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d)) {
      s = d >= static_cast<double>(kMaxLifetime)   ? kMaxLifetime
          : d <= static_cast<double>(kMinLifetime) ? kMinLifetime
                                                   : static_cast<std::int64_t>(d);
    }
  }
  if (s < kMinLifetime) s = kMinLifetime;
  if (s > kMaxLifetime) s = kMaxLifetime;
  return seconds(s);
}

std::string TokenManager::base_url() const {
  std::shared_lock<std::shared_mutex> lock(base_mu_);
  return base_url_;
}

std::optional<TokenManager::TimePoint> TokenManager::expiry() const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (token_.empty()) return std::nullopt;
  return expires_;
}

bool TokenManager::fresh_locked(TimePoint now) const {
  return !token_.empty() && now < renew_at_;
}

TokenManager::Token TokenManager::get(TimePoint deadline) {
  if (rt_.cfg.access_token) return Token{*rt_.cfg.access_token, 0, std::nullopt};
  std::uint64_t epoch_seen = 0;
  {
    std::shared_lock<std::shared_mutex> lock(state_mu_);
    if (fresh_locked(rt_.now())) return Token{token_, generation_, std::nullopt};
    epoch_seen = epoch_;
  }
  std::lock_guard<std::mutex> single_flight(refresh_mu_);
  {
    std::shared_lock<std::shared_mutex> lock(state_mu_);
    if (fresh_locked(rt_.now())) return Token{token_, generation_, std::nullopt};
    if (epoch_ != epoch_seen && last_error_) {
      // The refresh we queued behind just failed: report it rather than hammer the server.
      return Token{{}, 0, last_error_};
    }
  }
  return refresh(deadline);
}

void TokenManager::invalidate(std::uint64_t generation) {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  if (generation == generation_ && !token_.empty()) {
    token_.clear();
    ++generation_;
  }
}

HttpRequest TokenManager::form_request(const std::string& url, std::string body) const {
  HttpRequest http;
  http.method = "POST";
  http.url = url;
  http.headers = common_;
  http.headers.emplace("Content-Type", "application/x-www-form-urlencoded");
  http.body = std::move(body);
  // Redirects are judged here (same origin only), never followed by the transport.
  http.follow_redirects = false;
  return http;
}

TokenManager::Token TokenManager::finish(std::optional<Error> error, std::string token,
                                         TimePoint issued, std::chrono::seconds life) {
  if (error) rt_.redactor.apply_to(*error);
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  ++epoch_;
  last_error_ = error;
  if (!error) {
    token_ = std::move(token);
    expires_ = issued + life;
    // Renew ahead of expiry, but never so early that a short-lived token is fetched every call.
    const auto margin = std::min<std::chrono::seconds>(rt_.cfg.renew_window, life / 2);
    renew_at_ = expires_ - margin;
    ++generation_;
    return Token{token_, generation_, std::nullopt};
  }
  // Keep serving an old token that is still valid; the next call tries again.
  if (!token_.empty() && rt_.now() < expires_) return Token{token_, generation_, std::nullopt};
  token_.clear();
  return Token{{}, 0, error};
}

// The token request's part of the attempt loop: it follows a redirect to the same origin (the
// region path of spec §4.1) and, for a cloud-name base URL, a move to another cloud of our own
// table; anything else is refused before the credentials go anywhere.
class TokenManager::TokenHooks final : public SendHooks {
 public:
  explicit TokenHooks(TokenManager& tm) : tm_(tm) {}

  Next on_reply(HttpRequest& http, const HttpResponse& reply, std::optional<Error>& stop) override {
    const int status = reply.status;
    if (status < 300 || status >= 400 || status == 304) return Next::finish;
    const auto location = header_value(reply.headers, "Location");
    if (!location) {
      stop = auth_error(
          "token request answered HTTP " + std::to_string(status) + " without a Location", 0);
      return Next::finish;
    }
    const std::string target = resolve_location(*location, http.url);
    std::string host = url_host(target);
    if (host.size() > 200) host.resize(200);
    if (++redirects_ > kMaxRedirects) {
      stop = auth_error(
          "token request redirected more than " + std::to_string(kMaxRedirects) + " times", 0);
      return Next::finish;
    }
    if (url_origin(target) == url_origin(http.url) && !url_origin(http.url).empty()) {
      http.url = target;  // the region path on the same host (spec §4.1)
      return Next::resend;
    }
    // A cloud name may move to another CrowdStrike cloud of our own table, never elsewhere.
    std::optional<std::string> cloud;
    if (auto region = header_value(reply.headers, "X-CS-Region")) {
      cloud = cloud_base_url(trim(*region));
    }
    if (!cloud && !known_cloud_base(target).empty()) cloud = known_cloud_base(target);
    bool moved = false;
    if (cloud) {
      std::unique_lock<std::shared_mutex> lock(tm_.base_mu_);
      if (tm_.base_is_cloud_) {
        tm_.base_url_ = *cloud;
        moved = true;
      }
    }
    if (moved) {
      if (tm_.rt_.logs(LogLevel::info))
        tm_.rt_.log(LogLevel::info, "falcon: credentials belong to another cloud; using " + *cloud);
      http.url = *cloud + "/oauth2/token";
      return Next::resend;
    }
    stop = auth_error("token request was redirected (HTTP " + std::to_string(status) +
                          ") to another host, '" + host + "'; credentials are only sent to " +
                          url_origin(http.url) +
                          " (set base_url to the cloud the credentials belong to)",
                      0);
    return Next::finish;
  }

 private:
  TokenManager& tm_;
  int redirects_ = 0;
};

TokenManager::Token TokenManager::refresh(TimePoint deadline) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"client_id", rt_.cfg.client_id}, {"client_secret", rt_.cfg.client_secret}};
  if (rt_.cfg.member_cid) form.emplace_back("member_cid", *rt_.cfg.member_cid);
  HttpRequest http = form_request(base_url() + "/oauth2/token", form_encode(form));

  SendPlan plan;
  plan.label = "oauth2AccessToken";
  plan.method = "POST";
  plan.path = "/oauth2/token";
  plan.idempotent = true;  // a token request writes nothing
  plan.policy = rt_.cfg.retry;
  plan.per_attempt = rt_.cfg.timeout;
  plan.total = rt_.cfg.deadline;
  plan.deadline = deadline;
  TokenHooks hooks(*this);  // never replays a 401: there is no token to renew
  SendOutcome out = send_with_retries(rt_, *transport_, http, plan, hooks);
  const int attempts = out.attempts;

  switch (out.end) {
    case SendOutcome::End::deadline:
    case SendOutcome::End::gave_up: {
      Error e = std::move(*out.error);
      e.message = "token request: " + e.message;
      return finish(std::move(e), {}, {}, {});
    }
    case SendOutcome::End::failed: {
      Error e = std::move(*out.error);
      e.message = "token request failed: " + e.message;
      if (rt_.logs(LogLevel::warning)) {
        rt_.log(LogLevel::warning, "falcon: POST /oauth2/token failed: " + e.message);
      }
      return finish(std::move(e), {}, {}, {});
    }
    case SendOutcome::End::stopped:
      return finish(std::move(*out.error), {}, {}, {});
    case SendOutcome::End::reply:
      break;
  }

  const HttpResponse& reply = *out.reply;
  const int status = reply.status;
  if (status == 429 || retryable_status(status)) {
    // decide() let it be (no attempts or time left for another): report it as what it is.
    Error e;
    e.kind = status == 429 ? ErrorKind::rate_limited : ErrorKind::transport;
    e.message = "token request failed with HTTP " + std::to_string(status) + " after " +
                std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    if (auto m = first_message(reply.body); !m.empty()) e.message += ": " + m;
    e.attempts = attempts;
    return finish(e, {}, {}, {});
  }

  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (status != 201 && status != 200) {
    std::string msg = "token request refused with HTTP " + std::to_string(status);
    if (auto m = first_message(reply.body); !m.empty()) msg += ": " + m;
    return finish(auth_error(msg, attempts), {}, {}, {});
  }
  const nlohmann::json* tok = nullptr;
  if (body.is_object()) {
    auto it = body.find("access_token");
    if (it != body.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      tok = &*it;
    }
  }
  if (tok == nullptr) {
    return finish(auth_error("token reply has no access_token", attempts), {}, {}, {});
  }
  std::string token = tok->get<std::string>();
  // Added before any check so that no error or log line can carry it.
  rt_.redactor.add(token, false);
  if (!header_safe_token(token)) {
    return finish(auth_error("token reply's access_token holds characters an HTTP header "
                             "cannot carry (control characters, spaces or non-ASCII); refused",
                             attempts),
                  {}, {}, {});
  }
  nlohmann::json expires_in;
  if (auto it = body.find("expires_in"); it != body.end()) expires_in = *it;
  switch_region(reply);
  return finish(std::nullopt, std::move(token), out.last_sent, lifetime(expires_in));
}

void TokenManager::switch_region(const HttpResponse& reply) {
  std::unique_lock<std::shared_mutex> lock(base_mu_);
  if (!base_is_cloud_) return;  // an explicit URL is never overwritten
  auto region = header_value(reply.headers, "X-CS-Region");
  if (!region) return;
  auto target = cloud_base_url(trim(*region));
  if (target && *target != base_url_) {
    if (rt_.logs(LogLevel::info))
      rt_.log(LogLevel::info, "falcon: credentials belong to another cloud; using " + *target);
    base_url_ = *target;
  }
}

Response TokenManager::revoke() {
  std::string tok;
  {
    std::unique_lock<std::shared_mutex> lock(state_mu_);
    tok = rt_.cfg.access_token ? *rt_.cfg.access_token : token_;
    token_.clear();
    ++generation_;
  }
  if (tok.empty()) {
    Response r;
    r.status_code = 200;
    r.set_body({{"meta", nlohmann::json::object()},
                {"errors", nlohmann::json::array()},
                {"resources", nlohmann::json::array()}});
    return r;  // nothing to revoke
  }
  std::vector<std::pair<std::string, std::string>> form = {{"token", tok}};
  if (!rt_.cfg.client_id.empty()) form.emplace_back("client_id", rt_.cfg.client_id);
  const std::string url = base_url() + "/oauth2/revoke";
  HttpRequest http = form_request(url, form_encode(form));
  http.headers.emplace("Authorization",
                       "basic " + base64(rt_.cfg.client_id + ":" + rt_.cfg.client_secret));
  const TimePoint now = rt_.now();
  if (auto budget = attempt_budget(rt_.cfg.timeout, now, deadline_after(rt_.cfg.deadline, now))) {
    http.timeout = *budget;
  }
  TransportResult tr = transport_->send(http);
  if (!tr.ok()) {
    Error e = *tr.error;
    e.attempts = 1;
    rt_.redactor.apply_to(e);
    return make_error_response(std::move(e));
  }
  if (rt_.logs(LogLevel::debug))
    rt_.log(LogLevel::debug, "falcon: oauth2RevokeToken POST /oauth2/revoke -> " +
                                 std::to_string(tr.response.status));
  const int status = tr.response.status;
  std::string target;
  if (auto loc = header_value(tr.response.headers, "Location")) {
    target = url_host(resolve_location(*loc, url));
  }
  Response r = make_response(std::move(tr.response), status < 300 || status >= 400);
  r.attempts = 1;
  if (status >= 300 && status < 400) {
    // Revoke carries the token and the client's Basic credentials: a redirect is never followed.
    r.error = auth_error("revoke was redirected (HTTP " + std::to_string(status) + ") to '" +
                             (target.empty() ? std::string("?") : target) + "'; not followed",
                         1);
  }
  if (r.error) rt_.redactor.apply_to(*r.error);
  return r;
}

}  // namespace falcon::internal
