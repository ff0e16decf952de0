/// @file client.hpp
/// The Client: one per set of credentials. Holds the token manager, the transport (one
/// connection pool), the retry policy and the log sink, shared by every service object.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "falcon/config.hpp"
#include "falcon/error.hpp"
#include "falcon/http.hpp"
#include "falcon/response.hpp"

namespace falcon {

namespace internal {
struct ClientAccess;
}  // namespace internal

/// Per-call overrides.
struct CallOptions {
  std::optional<RetryPolicy> retry{};                  ///< Replaces Config::retry for this call.
  std::optional<std::chrono::milliseconds> timeout{};  ///< Replaces Config::timeout per attempt.
  /// Replaces Config::deadline (the whole call, retries and waits included); 0: no limit.
  std::optional<std::chrono::milliseconds> deadline{};
  /// Extra request headers. Names must be HTTP tokens and values free of CR, LF and NUL; Host,
  /// Authorization, Content-Length and Transfer-Encoding cannot be set. A header that breaks
  /// these rules is a validation error and nothing is sent.
  Headers headers{};
};

/// A fully built API request, ready for the client to authorise and send.
struct ApiRequest {
  std::string operation;  ///< Operation id, used in log lines.
  std::string method;     ///< "GET", "POST", "PATCH", "DELETE".
  std::string path;       ///< Route starting with '/', e.g. "/iocs/entities/indicators/v1".
  std::string query;      ///< Percent-encoded query without '?', may be empty.
  std::optional<std::string> body;  ///< JSON text; nullopt sends no body.
  /// Safe to resend after a 5xx or a connection failure (GET, DELETE, read-only POSTs).
  bool idempotent = false;
};

/// A connection to one Falcon cloud with one set of credentials.
///
/// The constructor does no I/O; the token is fetched on the first call. It throws
/// falcon::Exception (kind configuration) when Config::check() finds a bad setting.
///
/// @par Thread safety
/// A Client is a cheap handle (a shared pointer): copies share the token, the connection pool
/// and the rate-limit state. All member functions are const and may be called from any number
/// of threads at once; at most one token request is in flight at any time.
class Client {
 public:
  /// Checks `config` and sets up the transport; no I/O.
  /// @throws falcon::Exception (kind configuration) when Config::check() fails.
  explicit Client(Config config);

  /// Authorises and sends one request, with retries, rate-limit waits and a single 401 replay,
  /// all within the call's deadline.
  [[nodiscard]] Response send(const ApiRequest& request, const CallOptions& call = {}) const;

  /// Fetches a token now (if none is cached or it is due for renewal). Returns the error (auth,
  /// transport, timeout or rate_limited), or nullopt when a token is ready.
  [[nodiscard]] std::optional<Error> login() const;

  /// Revokes the cached token (POST /oauth2/revoke with HTTP Basic) and forgets it; the next
  /// call logs in again. With no token cached nothing is sent and an empty 200 envelope is
  /// returned (attempts == 0).
  [[nodiscard]] Response revoke() const;

  /// The base URL in use (it may move after a region switch).
  std::string base_url() const;

  /// When the cached token expires; nullopt when there is none.
  std::optional<std::chrono::system_clock::time_point> token_expiry() const;

  /// The settings this client was built from.
  const Config& config() const;

 private:
  friend struct internal::ClientAccess;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// The SDK version, "MAJOR.MINOR.PATCH".
const char* version() noexcept;

}  // namespace falcon
