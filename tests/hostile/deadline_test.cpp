// Issue 7 §3.6: Config::timeout bounds one attempt; a per-call deadline (Config::deadline,
// CallOptions::deadline) bounds the whole call, retries and waits included.
#include "hostile_support.hpp"

namespace hostile {
namespace {

using Clock = std::chrono::steady_clock;

// A server that issues tokens and never answers the API route.
void script_silent(Server& api) {
  api.on("POST", kTokenRoute, Reply::token("tok-silence"));
  api.on("GET", kTypesRoute, Reply::silence());
}

falcon::Config silent_config(const Server& api, const Recorders& rec) {
  auto c = fast_config(api, rec);
  c.timeout = 600ms;  // 4 attempts would take 2.4 s
  c.retry.max_attempts = 4;
  c.deadline = 120'000ms;
  return c;
}

void expect_cut_by_deadline(const Server& api, const falcon::Response& r, Clock::duration elapsed) {
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::timeout) << r.error->describe();
  EXPECT_LT(elapsed, 2000ms) << "the deadline did not stop the retries";
  EXPECT_LE(api.requests("GET", kTypesRoute).size(), 2u);
  EXPECT_LE(r.error->attempts, 2) << r.error->describe();
  EXPECT_GE(r.error->attempts, 1) << r.error->describe();
}

TEST(HostileDeadline, CallDeadlineStopsRetriesOfASilentServer) {
  Server api;
  script_silent(api);
  Recorders rec;
  falcon::Client client(silent_config(api, rec));
  ASSERT_FALSE(client.login().has_value());
  falcon::CallOptions call;
  call.deadline = 1000ms;
  const auto t0 = Clock::now();
  auto r = falcon::IOC(client).ioc_type_query({}, call);
  expect_cut_by_deadline(api, r, Clock::now() - t0);
}

TEST(HostileDeadline, ConfigDeadlineAppliesWithoutACallOverride) {
  Server api;
  script_silent(api);
  Recorders rec;
  auto c = silent_config(api, rec);
  c.deadline = 1000ms;
  falcon::Client client(c);
  ASSERT_FALSE(client.login().has_value());
  const auto t0 = Clock::now();
  auto r = falcon::IOC(client).ioc_type_query();
  expect_cut_by_deadline(api, r, Clock::now() - t0);
}

TEST(HostileDeadline, DefaultDeadlineIsAtMostTwoMinutes) {
  const falcon::Config defaults;
  EXPECT_GT(defaults.deadline.count(), 0);
  EXPECT_LE(defaults.deadline, std::chrono::milliseconds(120'000));
}

TEST(HostileDeadline, ARateLimitWaitBeyondTheDeadlineIsNotSlept) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-429"));
  api.on("GET", kTypesRoute,
         Reply::json(429, R"({"meta":{},"resources":[],"errors":[{"code":429,"message":"slow"}]})",
                     {"Retry-After: 3"}));
  Recorders rec;
  auto c = fast_config(api, rec);
  c.retry.max_rate_limit_wait = 10'000ms;  // the 3 s wait is allowed by the policy...
  falcon::Client client(c);
  falcon::CallOptions call;
  call.deadline = 1000ms;  // ...but not by the deadline
  auto r = falcon::IOC(client).ioc_type_query({}, call);
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  for (auto w : rec.waits->all()) EXPECT_LT(w, 1000ms) << "slept past the deadline";
  EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 1u);
}

}  // namespace
}  // namespace hostile
