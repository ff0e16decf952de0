// The one attempt loop of the SDK: API calls (Client::Impl::send) and the token request
// (TokenManager::refresh) both send through send_with_retries(). The loop owns the attempt
// budget, the send, decide() (retry.hpp), the waits and their log lines, the jitter draw and the
// give-up and deadline errors; what differs between the two kinds of request (the bearer token,
// pacing, the 401 replay, followed redirects) comes in through SendHooks.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "falcon/config.hpp"
#include "falcon/error.hpp"
#include "falcon/http.hpp"
#include "falcon/response.hpp"
#include "retry.hpp"
#include "runtime.hpp"

namespace falcon::internal {

/// A uniform sample in [0, 1) from the calling thread's generator: the jitter of one attempt.
double jitter_sample();

/// The rules and limits of one request's attempts.
struct SendPlan {
  std::string_view label;   ///< Operation id (or the route) for log lines.
  std::string_view method;  ///< HTTP method, for log lines.
  std::string_view path;    ///< Route without host and query, for log lines.
  bool idempotent = false;  ///< Safe to resend after a 5xx or a failure once sent.
  RetryPolicy policy;
  milliseconds per_attempt{0};  ///< Timeout of one attempt; 0: none (the deadline still bounds).
  milliseconds total{0};        ///< The deadline as configured, for the text of its error.
  TimePoint deadline = TimePoint::max();
};

/// What differs between the requests that share the loop. The defaults are those of a request
/// with no token of its own: nothing before an attempt, no 401 replay, no redirect followed.
class SendHooks {
 public:
  /// What to do with a reply the loop would return as it is (decide(): done).
  enum class Next { finish, resend };

  virtual ~SendHooks() = default;

  /// Before each attempt: pacing, the bearer token, a base URL that moved. An Error ends the
  /// loop (the loop's attempts are added to its own).
  virtual std::optional<Error> before_attempt(HttpRequest& /*http*/) { return std::nullopt; }
  /// True when a 401 may be answered by renewing the token and sending again; the loop replays
  /// at most once per call.
  virtual bool renewable() const { return false; }
  /// A 401 is about to be replayed: drop the token that drew it.
  virtual void on_replay_401() {}
  /// The rate-limit headers of every reply (for pacing).
  virtual void on_rate_limit(const RateLimit& /*rate_limit*/) {}
  /// A reply the loop would return: Next::resend sends `http` (as changed here, e.g. to a
  /// followed redirect's URL) as the next attempt with the loop's counts kept; an Error set in
  /// `*stop` ends the loop with it (attempts added).
  virtual Next on_reply(HttpRequest& /*http*/, const HttpResponse& /*reply*/,
                        std::optional<Error>& /*stop*/) {
    return Next::finish;
  }
};

/// How the loop ended.
struct SendOutcome {
  enum class End {
    reply,     ///< A reply to hand back as it is (any status): `reply` set, no `error`.
    gave_up,   ///< decide() gave up (rate limited): `reply` and `error` set.
    failed,    ///< The last attempt got no reply and is not retried: `error` is its failure.
    deadline,  ///< The deadline passed before an attempt could start: `error` (timeout).
    stopped,   ///< A hook ended the loop: `error` is its Error.
  };
  End end = End::reply;
  std::optional<HttpResponse> reply;  ///< The last reply, when one arrived and is returned.
  /// Why the loop ended without a usable reply; `attempts` set (and redacted only by the
  /// caller).
  std::optional<Error> error;
  int attempts = 0;       ///< HTTP attempts made (redirects followed and a 401 replay included).
  TimePoint last_sent{};  ///< When the last attempt was sent (a token's lifetime counts from it).
};

/// Sends `http` until a reply or failure is final, within `plan`. `http.timeout` is set for
/// each attempt; the hooks may change the request between attempts.
SendOutcome send_with_retries(const Runtime& rt, HttpTransport& transport, HttpRequest& http,
                              const SendPlan& plan, SendHooks& hooks);

}  // namespace falcon::internal
