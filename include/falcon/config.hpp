/// @file config.hpp
/// Client configuration: credentials, cloud, timeouts, TLS, retries, logging.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/error.hpp"
#include "falcon/http.hpp"

namespace falcon {

/// Severity of a log line.
enum class LogLevel { trace = 0, debug = 1, info = 2, warning = 3, error = 4, off = 5 };

/// The lower-case name of a level ("debug", "warning", ...).
std::string_view to_string(LogLevel level) noexcept;

/// Receives the client's log lines. Secrets (Authorization, client_secret, tokens) are never
/// passed to it; IOC values in bodies are not logged. Called from the calling thread.
using LogSink = std::function<void(LogLevel level, std::string_view line)>;

/// Wall clock used for token expiry and rate-limit times; injectable for tests.
using Clock = std::function<std::chrono::system_clock::time_point()>;
/// Blocks the calling thread; injectable so tests never sleep.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

/// When and how calls are retried. A value type: copy it, change it, pass it per call.
struct RetryPolicy {
  int max_attempts = 4;  ///< Total tries including the first; 1 disables retries.
  /// Wait before the first retry of a 5xx or connection failure.
  std::chrono::milliseconds initial_backoff{250};
  /// Cap on one backoff (before jitter).
  std::chrono::milliseconds max_backoff{30'000};
  /// Growth of the backoff per retry: initial_backoff * multiplier^n; at least 1.0.
  double multiplier = 2.0;
  /// Each backoff is scaled by a random factor in [1-jitter, 1+jitter]; 0 to 1.
  double jitter = 0.2;
  /// Longest wait a 429 may ask for; a longer one returns a rate_limited error instead.
  std::chrono::milliseconds max_rate_limit_wait{60'000};
  /// Pace requests when X-RateLimit-Remaining runs low, before the server answers 429.
  bool slow_down_near_limit = true;

  /// A policy that makes exactly one attempt.
  static RetryPolicy none() {
    RetryPolicy p;
    p.max_attempts = 1;
    return p;
  }
};

/// Everything a Client needs. Plain data: set the fields you need, leave the rest.
struct Config {
  /// API client id; required unless access_token is set (Config::from_env: FALCON_CLIENT_ID).
  std::string client_id;
  /// API client secret; required unless access_token is set. Never logged.
  std::string client_secret;
  /// MSSP: lock the token to this child CID.
  std::optional<std::string> member_cid;
  /// Token-only use: send this bearer token and never call /oauth2/token. Printable ASCII only.
  std::optional<std::string> access_token;
  /// A cloud name (us-1, us1, US-1, us-2, us-3, eu-1, us-gov-1, us-gov-2, auto) or a full URL
  /// ("https://host[:port]"). A cloud name may be moved by X-CS-Region; a URL never is.
  std::string base_url = "us-1";
  /// Replaces the default "falcon-cpp/<version>" User-Agent when non-empty (no CR, LF or NUL).
  std::string user_agent;
  /// Time allowed to open a connection (TCP and TLS); must not be negative.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Total time for one attempt (connect, send, wait, receive); 0: no per-attempt limit (the
  /// deadline still bounds the call).
  std::chrono::milliseconds timeout{60'000};
  /// Total time for one call: every attempt, retry backoff and rate-limit wait, and the token
  /// request it may need. CallOptions::deadline replaces it for one call; 0: no limit.
  std::chrono::milliseconds deadline{120'000};
  /// Largest reply body accepted; a larger one (or a chunked one that never ends) is cut at this
  /// size and reported as a transport error. Must be at least 1 KiB.
  std::size_t max_response_bytes = 256u << 20;
  /// Accept-Encoding offered to the API, a comma-separated list of gzip, deflate, br, zstd; or
  /// "identity" (or "") for uncompressed replies. The default, "gzip, deflate", is what FalconPy
  /// sends: a 2,000-record page shrinks about 10x, while a small reply is left uncompressed by
  /// most servers anyway. br and zstd need a libcurl built with them (checked by Client).
  /// See docs/performance.md for the measured cost of each choice.
  std::string accept_encoding = "gzip, deflate";
  /// Proxy URL, e.g. "http://proxy:3128"; empty: none (curl's environment variables still apply).
  std::string proxy;
  /// Verify the server's TLS certificate and host name. Turning it off is logged as a warning.
  bool ssl_verify = true;
  /// PEM file of CA certificates to verify the server with; empty: the system store. Must be
  /// readable when set.
  std::string ca_bundle;
  /// Renew the token this long before it expires.
  std::chrono::seconds renew_window{120};
  /// Retry policy of every call; CallOptions::retry replaces it for one call.
  RetryPolicy retry;
  LogSink log;  ///< Empty: no logging.
  /// Least severe level passed to `log`; LogLevel::off silences it.
  LogLevel log_level = LogLevel::info;
  /// Custom transport; nullptr: a CurlTransport built from the settings above.
  std::shared_ptr<HttpTransport> transport;
  /// Client-side input checks before sending; false sends whatever it is given.
  bool validate = true;
  /// Allow plain http:// to hosts other than loopback (never needed against the real API).
  bool allow_insecure_http = false;
  Clock clock;      ///< Empty: std::chrono::system_clock::now.
  Sleeper sleeper;  ///< Empty: std::this_thread::sleep_for.

  /// Reads FALCON_CLIENT_ID, FALCON_CLIENT_SECRET, FALCON_MEMBER_CID and FALCON_BASE_URL;
  /// unset variables leave the defaults.
  static Config from_env();

  /// Checks the settings without any I/O: the error names the setting and the rule; nullopt
  /// when the settings are usable.
  [[nodiscard]] std::optional<Error> check() const;
};

/// The canonical names of the Falcon clouds, in a fixed order: "us-1", "us-2", "us-3", "eu-1",
/// "us-gov-1", "us-gov-2". Each is accepted by cloud_base_url() and Config::base_url (which also
/// take "auto", an alias of us-1 that the token request moves to the credentials' cloud). The
/// SDK's one list of clouds: tools that offer or print cloud names read it from here.
const std::vector<std::string_view>& cloud_names();

/// The API base URL ("https://api.us-2.crowdstrike.com") of a cloud name, case-insensitive and
/// with or without the dash; nullopt when `name` is not a cloud name.
std::optional<std::string> cloud_base_url(std::string_view name);

/// The result of resolve_base_url().
struct ResolvedBaseUrl {
  /// Absolute base URL without a trailing '/', e.g. "https://api.crowdstrike.com".
  std::string url;
  bool is_cloud_name = false;  ///< Only then may X-CS-Region move it.
};
/// Resolves Config::base_url: a cloud name to its URL, a URL ("scheme://...") as given minus a
/// trailing '/'. Anything else is a configuration Error naming base_url: nullopt is returned and
/// the error stored in `*why` when `why` is not null.
std::optional<ResolvedBaseUrl> resolve_base_url(std::string_view value, Error* why = nullptr);

}  // namespace falcon
