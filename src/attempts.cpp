// The attempt loop (attempts.hpp).
#include "attempts.hpp"

#include <random>
#include <string>
#include <utility>

#include "response_internal.hpp"

namespace falcon::internal {

double jitter_sample() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

namespace {

std::string prefix(const SendPlan& plan) {
  return "falcon: " + std::string(plan.label) + ": ";
}

void log_attempt(const Runtime& rt, const SendPlan& plan, const TransportResult& tr, int attempt,
                 milliseconds elapsed) {
  if (!rt.logs(LogLevel::debug)) return;
  rt.log(
      LogLevel::debug,
      "falcon: " + std::string(plan.label) + " " + std::string(plan.method) + " " +
          std::string(plan.path) + " -> " +
          (tr.ok() ? std::to_string(tr.response.status) : std::string(to_string(tr.error->kind))) +
          " (attempt " + std::to_string(attempt) + ", " + std::to_string(elapsed.count()) + " ms)");
}

void log_retry(const Runtime& rt, const SendPlan& plan, const TransportResult& tr, int next,
               milliseconds delay) {
  if (!rt.logs(LogLevel::warning)) return;
  const std::string why =
      tr.ok() ? (tr.response.status == 429 ? std::string("429 rate limited")
                                           : "HTTP " + std::to_string(tr.response.status))
              : rt.redactor.apply(tr.error->message);
  rt.log(LogLevel::warning, prefix(plan) + why + "; retrying attempt " + std::to_string(next) +
                                " in " + std::to_string(delay.count()) + " ms");
}

}  // namespace

SendOutcome send_with_retries(const Runtime& rt, HttpTransport& transport, HttpRequest& http,
                              const SendPlan& plan, SendHooks& hooks) {
  SendOutcome out;
  int retries = 0;
  bool replayed_401 = false;
  auto stop = [&out](Error e) {
    e.attempts += out.attempts;
    out.end = SendOutcome::End::stopped;
    out.error = std::move(e);
    return std::move(out);
  };

  while (true) {
    if (auto e = hooks.before_attempt(http)) return stop(std::move(*e));
    const TimePoint t0 = rt.now();
    const auto budget = attempt_budget(plan.per_attempt, t0, plan.deadline);
    if (!budget) {
      out.end = SendOutcome::End::deadline;
      out.error = deadline_error(plan.total, out.attempts);
      return out;
    }
    http.timeout = *budget;

    ++out.attempts;
    out.last_sent = t0;
    TransportResult tr = transport.send(http);
    const TimePoint t1 = rt.now();
    log_attempt(rt, plan, tr, out.attempts, std::chrono::duration_cast<milliseconds>(t1 - t0));

    Attempt a;
    a.number = out.attempts;
    a.retries = retries;
    a.idempotent = plan.idempotent;
    a.deadline = plan.deadline;
    a.jitter_sample = jitter_sample();  // the one draw of this attempt
    a.may_replay_401 = !replayed_401 && hooks.renewable();
    if (tr.ok()) {
      a.status = tr.response.status;
      const RateLimit rl = parse_rate_limit(tr.response.headers, t1);
      hooks.on_rate_limit(rl);
      a.retry_at = rl.retry_after;
    } else {
      a.failure = tr.error;
    }
    const Decision d = decide(a, plan.policy, t1);

    switch (d.action) {
      case Decision::Action::replay_401:
        replayed_401 = true;
        hooks.on_replay_401();
        if (rt.logs(LogLevel::warning)) {
          rt.log(LogLevel::warning,
                 prefix(plan) + "401 from the API; renewing the token and replaying");
        }
        continue;
      case Decision::Action::retry:
        log_retry(rt, plan, tr, out.attempts + 1, d.delay);
        rt.sleep(d.delay);
        ++retries;
        continue;
      case Decision::Action::give_up: {
        Error e = *d.error;
        e.attempts = out.attempts;
        if (rt.logs(LogLevel::warning)) rt.log(LogLevel::warning, prefix(plan) + e.message);
        out.end = SendOutcome::End::gave_up;
        if (tr.ok()) out.reply = std::move(tr.response);
        out.error = std::move(e);
        return out;
      }
      case Decision::Action::done:
        break;
    }

    if (!tr.ok()) {
      Error e = *tr.error;
      e.attempts = out.attempts;
      if (e.kind == ErrorKind::timeout &&
          attempt_budget(plan.per_attempt, rt.now(), plan.deadline) == std::nullopt) {
        e.message +=
            " (the call's deadline of " + std::to_string(plan.total.count()) + " ms passed)";
      }
      out.end = SendOutcome::End::failed;
      out.error = std::move(e);
      return out;
    }
    std::optional<Error> stopped;
    const SendHooks::Next next = hooks.on_reply(http, tr.response, stopped);
    if (stopped) return stop(std::move(*stopped));
    if (next == SendHooks::Next::resend) continue;
    out.end = SendOutcome::End::reply;
    out.reply = std::move(tr.response);
    return out;
  }
}

}  // namespace falcon::internal
