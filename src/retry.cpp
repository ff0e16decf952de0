// The retry decision (retry.hpp).
#include "retry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace falcon::internal {

// Milliseconds from `now` to `deadline`, saturating instead of overflowing at TimePoint::max().
static long long ms_left(TimePoint now, TimePoint deadline) {
  if (deadline == TimePoint::max()) return std::numeric_limits<long long>::max();
  if (deadline <= now) return 0;
  return std::chrono::duration_cast<milliseconds>(deadline - now).count();
}

namespace {

Error rate_limited(std::string message, TimePoint retry_at, int attempts) {
  Error e;
  e.kind = ErrorKind::rate_limited;
  e.message = std::move(message);
  e.retry_at = retry_at;
  e.attempts = attempts;
  return e;
}

}  // namespace

bool retryable_status(int status) noexcept {
  return status == 408 || status == 500 || status == 502 || status == 503 || status == 504;
}

milliseconds backoff(const RetryPolicy& p, int retry_index, double sample) {
  double base =
      static_cast<double>(p.initial_backoff.count()) *
      std::pow(std::max(1.0, p.multiplier), static_cast<double>(std::max(0, retry_index)));
  base = std::min(base, static_cast<double>(p.max_backoff.count()));
  if (p.jitter > 0) base *= 1.0 - p.jitter + 2.0 * p.jitter * std::clamp(sample, 0.0, 1.0);
  if (!(base > 0)) return milliseconds(0);  // also catches NaN
  return milliseconds(static_cast<long long>(std::min(base, 1e12)));
}

Decision decide(const Attempt& a, const RetryPolicy& p, TimePoint now) {
  Decision d;
  const bool attempts_left = a.number < p.max_attempts;
  const long long left = ms_left(now, a.deadline);

  if (a.failure) {
    // A request that never left may be resent even when it is not idempotent.
    if (!(a.idempotent || !a.failure->request_sent) || !attempts_left) return d;
    d.delay = backoff(p, a.retries, a.jitter_sample);
    if (d.delay.count() >= left) return d;  // no time for another attempt: report this failure
    d.action = Decision::Action::retry;
    return d;
  }

  if (a.status == 401 && a.may_replay_401) {
    d.action = Decision::Action::replay_401;
    return d;
  }

  if (a.status == 429) {
    milliseconds wait = backoff(p, a.retries, a.jitter_sample);
    if (a.retry_at) {
      wait = *a.retry_at > now ? std::chrono::duration_cast<milliseconds>(*a.retry_at - now)
                               : milliseconds(0);
    }
    const TimePoint at = now + wait;
    if (wait > p.max_rate_limit_wait) {
      d.action = Decision::Action::give_up;
      d.error =
          rate_limited("rate limited; the server asks to wait " + std::to_string(wait.count()) +
                           " ms, more than max_rate_limit_wait (" +
                           std::to_string(p.max_rate_limit_wait.count()) + " ms)",
                       at, a.number);
      return d;
    }
    if (!attempts_left) {
      d.action = Decision::Action::give_up;
      d.error = rate_limited("still rate limited after " + std::to_string(a.number) + " attempts",
                             at, a.number);
      return d;
    }
    if (wait.count() >= left) {
      d.action = Decision::Action::give_up;
      d.error = rate_limited("rate limited; the server asks to wait " +
                                 std::to_string(wait.count()) + " ms, past the call's deadline",
                             at, a.number);
      return d;
    }
    d.action = Decision::Action::retry;
    d.delay = wait;
    return d;
  }

  if (retryable_status(a.status) && a.idempotent && attempts_left) {
    d.delay = backoff(p, a.retries, a.jitter_sample);
    if (d.delay.count() < left) d.action = Decision::Action::retry;
    return d;
  }
  return d;
}

}  // namespace falcon::internal

namespace falcon::internal {

std::optional<milliseconds> attempt_budget(milliseconds per_attempt, TimePoint now,
                                           TimePoint deadline) {
  const long long left = ms_left(now, deadline);
  if (left <= 0) return std::nullopt;
  if (per_attempt.count() <= 0) {
    return deadline == TimePoint::max() ? milliseconds(0) : milliseconds(left);
  }
  return milliseconds(std::min<long long>(per_attempt.count(), left));
}

TimePoint deadline_after(milliseconds total, TimePoint now) {
  if (total.count() <= 0) return TimePoint::max();
  if (now > TimePoint::max() - total) return TimePoint::max();
  return now + total;
}

Error deadline_error(milliseconds total, int attempts) {
  Error e;
  e.kind = ErrorKind::timeout;
  e.message = "the call's deadline of " + std::to_string(total.count()) + " ms passed after " +
              std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  e.attempts = attempts;
  e.request_sent = attempts > 0;
  return e;
}

}  // namespace falcon::internal
