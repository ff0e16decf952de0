// The retry decision as a table: every rule of decide() with no I/O and a fixed clock.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "retry.hpp"

namespace {

using falcon::ErrorKind;
using falcon::RetryPolicy;
using falcon::internal::Attempt;
using falcon::internal::Decision;
using falcon::internal::TimePoint;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Action = Decision::Action;

const TimePoint kNow = TimePoint(seconds(1'700'000'000));

RetryPolicy policy() {
  RetryPolicy p;
  p.max_attempts = 4;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  p.multiplier = 2.0;
  p.jitter = 0.0;  // deterministic delays
  p.max_rate_limit_wait = milliseconds(5000);
  return p;
}

falcon::Error transport(bool sent, ErrorKind kind = ErrorKind::transport) {
  falcon::Error e;
  e.kind = kind;
  e.message = "connection reset";
  e.request_sent = sent;
  return e;
}

struct Case {
  std::string name;
  Attempt attempt;
  Action action;
  long long delay_ms;
  ErrorKind error_kind = ErrorKind::transport;  // checked for give_up only
};

Attempt status(int code, bool idempotent, int number = 1, int retries = 0) {
  Attempt a;
  a.status = code;
  a.idempotent = idempotent;
  a.number = number;
  a.retries = retries;
  return a;
}

Attempt failure(bool sent, bool idempotent, int number = 1, int retries = 0) {
  Attempt a;
  a.failure = transport(sent);
  a.idempotent = idempotent;
  a.number = number;
  a.retries = retries;
  return a;
}

Attempt with_retry_at(Attempt a, TimePoint at) {
  a.retry_at = at;
  return a;
}

Attempt with_deadline(Attempt a, TimePoint d) {
  a.deadline = d;
  return a;
}

Attempt replayable(Attempt a, bool may) {
  a.may_replay_401 = may;
  return a;
}

}  // namespace

TEST(Decide, TableOfCases) {
  const std::vector<Case> cases = {
      {"200 is done", status(200, true), Action::done, 0},
      {"404 is done", status(404, true), Action::done, 0},
      {"400 on a write is done", status(400, false), Action::done, 0},
      {"503 on a GET retries after the first backoff", status(503, true), Action::retry, 100},
      {"503 third retry doubles twice", status(503, true, 3, 2), Action::retry, 400},
      {"backoff is capped by max_backoff", status(502, true, 3, 10), Action::retry, 1000},
      {"408 504 500 retry too", status(504, true), Action::retry, 100},
      {"503 on a create is never resent", status(503, false), Action::done, 0},
      {"503 with no attempts left is done", status(503, true, 4, 3), Action::done, 0},
      {"connection refused before sending: even a create is resent", failure(false, false),
       Action::retry, 100},
      {"reset after sending a create: not resent", failure(true, false), Action::done, 0},
      {"reset after sending a GET: resent", failure(true, true), Action::retry, 100},
      {"transport failure, no attempts left", failure(true, true, 4, 3), Action::done, 0},
      {"401 with a renewable token replays", replayable(status(401, true), true),
       Action::replay_401, 0},
      {"401 already replayed (or static token) is done", replayable(status(401, true), false),
       Action::done, 0},
      {"429 waits what X-RateLimit-RetryAfter says",
       with_retry_at(status(429, false), kNow + milliseconds(2500)), Action::retry, 2500},
      {"429 with a time already past retries at once",
       with_retry_at(status(429, false), kNow - seconds(3)), Action::retry, 0},
      {"429 without a header backs off", status(429, false, 2, 1), Action::retry, 200},
      {"429 asking more than max_rate_limit_wait gives up",
       with_retry_at(status(429, true), kNow + seconds(60)), Action::give_up, 0,
       ErrorKind::rate_limited},
      {"429 with no attempts left gives up", status(429, true, 4, 3), Action::give_up, 0,
       ErrorKind::rate_limited},
      {"429 whose wait passes the deadline gives up",
       with_deadline(with_retry_at(status(429, true), kNow + seconds(3)), kNow + seconds(1)),
       Action::give_up, 0, ErrorKind::rate_limited},
      {"503 whose backoff passes the deadline is done",
       with_deadline(status(503, true), kNow + milliseconds(50)), Action::done, 0},
      {"failure whose backoff passes the deadline is done",
       with_deadline(failure(true, true), kNow + milliseconds(99)), Action::done, 0},
      {"deadline with room left still retries",
       with_deadline(status(503, true), kNow + seconds(10)), Action::retry, 100},
  };
  for (const auto& c : cases) {
    const Decision d = falcon::internal::decide(c.attempt, policy(), kNow);
    EXPECT_EQ(d.action, c.action) << c.name;
    if (c.action == Action::retry) {
      EXPECT_EQ(d.delay.count(), c.delay_ms) << c.name;
    }
    if (c.action == Action::give_up) {
      ASSERT_TRUE(d.error.has_value()) << c.name;
      EXPECT_EQ(d.error->kind, c.error_kind) << c.name;
      EXPECT_EQ(d.error->attempts, c.attempt.number) << c.name;
      EXPECT_FALSE(d.error->message.empty()) << c.name;
    } else {
      EXPECT_FALSE(d.error.has_value()) << c.name;
    }
  }
}

TEST(Decide, RateLimitGiveUpSaysWhenToComeBack) {
  auto a = with_retry_at(status(429, true), kNow + seconds(60));
  const Decision d = falcon::internal::decide(a, policy(), kNow);
  ASSERT_EQ(d.action, Action::give_up);
  ASSERT_TRUE(d.error->retry_at.has_value());
  EXPECT_EQ(*d.error->retry_at, kNow + seconds(60));
  EXPECT_NE(d.error->message.find("60000 ms"), std::string::npos) << d.error->message;
  EXPECT_NE(d.error->message.find("max_rate_limit_wait"), std::string::npos);
}

TEST(Decide, JitterStaysInsideItsBand) {
  RetryPolicy p = policy();
  p.jitter = 0.2;
  EXPECT_EQ(falcon::internal::backoff(p, 0, 0.0).count(), 80);
  EXPECT_EQ(falcon::internal::backoff(p, 0, 0.5).count(), 100);
  EXPECT_EQ(falcon::internal::backoff(p, 0, 1.0).count(), 120);
  // Out-of-range samples are clamped, absurd exponents saturate at max_backoff.
  EXPECT_EQ(falcon::internal::backoff(p, 0, 7.0).count(), 120);
  EXPECT_LE(falcon::internal::backoff(p, 100000, 1.0).count(), 1200);
}

TEST(Decide, AttemptBudgetCutsTheLastAttemptToTheDeadline) {
  using falcon::internal::attempt_budget;
  using falcon::internal::deadline_after;
  EXPECT_EQ(attempt_budget(milliseconds(60'000), kNow, kNow + seconds(2))->count(), 2000);
  EXPECT_EQ(attempt_budget(milliseconds(500), kNow, kNow + seconds(2))->count(), 500);
  EXPECT_EQ(attempt_budget(milliseconds(0), kNow, kNow + seconds(2))->count(), 2000);
  EXPECT_EQ(attempt_budget(milliseconds(0), kNow, TimePoint::max())->count(), 0);  // no limit
  EXPECT_FALSE(attempt_budget(milliseconds(500), kNow, kNow).has_value());
  EXPECT_EQ(deadline_after(milliseconds(0), kNow), TimePoint::max());
  EXPECT_EQ(deadline_after(milliseconds(1500), kNow), kNow + milliseconds(1500));
  EXPECT_EQ(deadline_after(milliseconds(1500), TimePoint::max() - milliseconds(1)),
            TimePoint::max());
}
