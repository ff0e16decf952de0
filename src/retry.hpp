// The retry decision: a pure function of one attempt's outcome, the policy and the time, so every
// rule (backoff, 429 waits, 401 replay, the call's deadline) is unit-tested as a table with no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "falcon/config.hpp"
#include "falcon/error.hpp"

namespace falcon::internal {

using TimePoint = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;

/// What one attempt produced, and what the call has spent so far.
struct Attempt {
  int number = 1;   ///< Attempts made so far, this one included (1-based).
  int retries = 0;  ///< Retries already waited for: the backoff exponent.
  bool idempotent = false;
  /// Set when no HTTP reply arrived (transport or timeout); `status` is then 0.
  std::optional<Error> failure;
  int status = 0;  ///< HTTP status of the reply.
  /// When the server said to come back (429): X-RateLimit-RetryAfter or Retry-After.
  std::optional<TimePoint> retry_at;
  /// A 401 may be answered by renewing the token and replaying once.
  bool may_replay_401 = false;
  /// The call's total deadline; TimePoint::max() for none.
  TimePoint deadline = TimePoint::max();
  /// A uniform sample in [0, 1) for the jitter; the caller draws it, tests fix it.
  double jitter_sample = 0.5;
};

/// What to do next.
struct Decision {
  enum class Action {
    done,        ///< Return this reply (or transport error) to the caller as it is.
    retry,       ///< Wait `delay`, then send again.
    replay_401,  ///< Renew the token and send again now; once per call.
    give_up,     ///< Return `error` (rate_limited, or timeout at the deadline).
  };
  Action action = Action::done;
  milliseconds delay{0};
  std::optional<Error> error;  ///< For give_up.
};

/// The backoff before retry number `retry_index` (0 for the first), jitter applied with `sample`.
milliseconds backoff(const RetryPolicy& policy, int retry_index, double sample);

/// 408, 500, 502, 503, 504: worth retrying for an idempotent request.
bool retryable_status(int status) noexcept;

/// Decides what follows `attempt` at time `now`.
Decision decide(const Attempt& attempt, const RetryPolicy& policy, TimePoint now);

}  // namespace falcon::internal

namespace falcon::internal {

/// The timeout of the next attempt: `per_attempt` (0: no limit) cut to what is left before
/// `deadline`. nullopt when the deadline has passed (do not send); 0 ms means no limit.
std::optional<milliseconds> attempt_budget(milliseconds per_attempt, TimePoint now,
                                           TimePoint deadline);

/// The call's deadline: `total` (0: none) from `now`.
TimePoint deadline_after(milliseconds total, TimePoint now);

/// A timeout Error for a call whose deadline passed.
Error deadline_error(milliseconds total, int attempts);

}  // namespace falcon::internal
