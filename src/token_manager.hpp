// The token manager: the only place that knows how a token is obtained. It caches the token,
// renews it ahead of expiry with one request in flight at a time, follows the region, sends the
// token request through the SDK's one attempt loop (attempts.hpp) as an idempotent call, never
// sends credentials to another origin, and revokes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "falcon/http.hpp"
#include "falcon/response.hpp"
#include "runtime.hpp"

namespace falcon::internal {

class TokenManager {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// A token, or why there is none.
  struct Token {
    std::string value;
    std::uint64_t generation = 0;  ///< Pass back to invalidate() after a 401.
    std::optional<Error> error;
  };

  /// `common` are the headers of every request (User-Agent, CrowdStrike-SDK, Accept).
  TokenManager(const Runtime& rt, std::shared_ptr<HttpTransport> transport, Headers common,
               std::string base_url, bool base_is_cloud);

  /// The cached token, or a new one when none is cached or it is due for renewal. Threads that
  /// queued behind a failed refresh share its error instead of sending again.
  Token get(TimePoint deadline);
  /// Forgets the token of `generation` (a 401 said it is no longer good); a newer one is kept.
  void invalidate(std::uint64_t generation);
  /// False for a static Config::access_token, which is never renewed.
  bool renewable() const noexcept { return !rt_.cfg.access_token; }
  /// POST /oauth2/revoke with HTTP Basic (no redirect followed) and forget the token.
  Response revoke();
  /// The base URL in use: a cloud name's URL moves with the region; an explicit URL never does.
  std::string base_url() const;
  std::optional<TimePoint> expiry() const;

  /// The lifetime to use for an `expires_in` value of any type: whole seconds clamped to
  /// [60 s, 24 h]; missing, non-numeric or non-finite values give the API's usual 1799 s.
  static std::chrono::seconds lifetime(const nlohmann::json& expires_in);

 private:
  class TokenHooks;  // the token request's part of the attempt loop (redirects, region moves)
  Token refresh(TimePoint deadline);
  Token finish(std::optional<Error> error, std::string token, TimePoint issued,
               std::chrono::seconds lifetime);
  void switch_region(const HttpResponse& reply);
  bool fresh_locked(TimePoint now) const;
  HttpRequest form_request(const std::string& url, std::string body) const;

  const Runtime& rt_;
  std::shared_ptr<HttpTransport> transport_;
  Headers common_;

  mutable std::shared_mutex base_mu_;
  std::string base_url_;
  bool base_is_cloud_ = false;

  // state_mu_ guards the fields below; refresh_mu_ makes refreshes single-flight.
  mutable std::shared_mutex state_mu_;
  std::mutex refresh_mu_;
  std::string token_;
  TimePoint expires_{};
  TimePoint renew_at_{};
  std::uint64_t generation_ = 0;  // bumps on every new token or invalidation
  std::uint64_t epoch_ = 0;       // bumps after every refresh attempt
  std::optional<Error> last_error_;
};

}  // namespace falcon::internal
