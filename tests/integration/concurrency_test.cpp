// 16 threads sharing one Client, mixed create / search / delete against the emulator (issue 7
// §3.9): without faults every call succeeds under a 10 s deadline, reads open at most 17
// connections and writes one more per create; with 429s, 503-after-write and dropped
// connections nothing is lost or duplicated. The suite name starts with "Concurrency" so the
// ThreadSanitizer pass runs it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"

namespace {

using namespace std::chrono_literals;
namespace emu = falcon::emulator;

constexpr int kThreads = 16;
constexpr int kRounds = 4;  // per thread; the TSan pass runs this ~10x slower
constexpr const char* kIndicators = "/iocs/entities/indicators/v1";
constexpr const char* kSearch = "/iocs/queries/indicators/v1";

// Every call runs under a 10 s deadline.
falcon::CallOptions ten_second_deadline() {
  falcon::CallOptions call;
  call.deadline = 10'000ms;
  return call;
}

std::string value_of(int thread, int round) {
  return "t" + std::to_string(thread) + "-r" + std::to_string(round) + ".concurrency.example";
}

falcon::IndicatorCreateOptions create_for(const std::string& value) {
  falcon::IndicatorCreateOptions o;
  o.indicators = nlohmann::json::array({falcon_it::domain_item(value, "concurrency")});
  return o;
}

falcon::IndicatorSearchOptions search_for(const std::string& value) {
  falcon::IndicatorSearchOptions o;
  o.filter = "value:'" + value + "'";
  return o;
}

falcon::IndicatorDeleteOptions delete_ids(const std::string& id) {
  falcon::IndicatorDeleteOptions o;
  o.ids = std::vector<std::string>{id};
  return o;
}

// The first few failures, for the assertion message.
class Failures {
 public:
  void add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (++count_ <= 5) text_ += what + "\n";
  }
  int count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  int count_ = 0;
  std::string text_;
};

std::string describe(const falcon::Response& r) {
  return r.error ? r.error->describe() : "HTTP " + std::to_string(r.status_code);
}

class ConcurrencyMixed : public falcon_it::EmulatorTest {
 protected:
  void customize(emu::Options& o) override { o.rate_limit_per_minute = 1'000'000'000; }

  template <typename Body>
  void run_threads(Body body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([&body, t] { body(t); });
    for (auto& th : threads) th.join();
  }
};

TEST_F(ConcurrencyMixed, SixteenThreadsCreateSearchDeleteWithoutFaults) {
  falcon::Client client(config());
  const falcon::IOC ioc(client);
  const auto call = ten_second_deadline();
  std::atomic<int> ok{0};
  Failures failures;
  std::vector<std::string> ids(kThreads * kRounds);

  // Reads only: every thread keeps one keep-alive connection, the token call adds one.
  run_threads([&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      auto r = ioc.indicator_search(search_for(value_of(t, i)), call);
      if (r.ok()) {
        ++ok;
      } else {
        failures.add("search before writing: " + describe(r));
      }
    }
  });
  EXPECT_LE(emu().counters().connections, static_cast<std::uint64_t>(kThreads + 1))
      << "16 reading threads opened more than 17 connections";

  // Mixed: a create takes a fresh connection (never resent by libcurl on a dead reused one),
  // so a connection is opened per create.
  run_threads([&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      const std::string value = value_of(t, i);
      auto created = ioc.indicator_create(create_for(value), call);
      if (created.status_code != 201 || created.error || created.resources().size() != 1) {
        failures.add("create " + value + ": " + describe(created));
        continue;
      }
      ++ok;
      const std::string id = created.resources()[0]["id"].get<std::string>();
      ids[static_cast<std::size_t>(t * kRounds + i)] = id;
      auto found = ioc.indicator_search(search_for(value), call);
      if (found.ok() && found.resources() == nlohmann::json::array({id})) {
        ++ok;
      } else {
        failures.add("search " + value + ": " + describe(found) + " " + found.body().dump());
      }
      auto deleted = ioc.indicator_delete(delete_ids(id), call);
      if (deleted.ok()) {
        ++ok;
      } else {
        failures.add("delete " + id + ": " + describe(deleted));
      }
    }
  });
  EXPECT_EQ(failures.count(), 0) << failures.text();
  EXPECT_EQ(ok.load(), kThreads * kRounds * 4);
  const auto c = emu().counters();
  EXPECT_LE(c.connections, static_cast<std::uint64_t>(kThreads + 1 + kThreads * kRounds))
      << "more connections than one per thread plus one per create";
  EXPECT_EQ(c.tokens_issued, 1u);
  EXPECT_EQ(c.indicators_created, static_cast<std::uint64_t>(kThreads * kRounds));
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(emu().indicator(id).value("deleted", false)) << id << " was not deleted";
  }
}

// Creates `value` exactly once the way a careful caller does: a create that failed without a
// clear answer (503, dropped connection, rate limited past the policy) is looked up before it is
// sent again. Returns the id, or "" after a bounded number of tries.
std::string create_once(const falcon::IOC& ioc, const std::string& value,
                        const falcon::CallOptions& call, Failures& failures) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto r = ioc.indicator_create(create_for(value), call);
    if (r.status_code == 201 && !r.error && r.resources().size() == 1) {
      return r.resources()[0]["id"].get<std::string>();
    }
    // Did the write happen although the reply said otherwise?
    for (int look = 0; look < 10; ++look) {
      auto found = ioc.indicator_search(search_for(value), call);
      if (!found.ok()) continue;
      if (found.resources().size() == 1) return found.resources()[0].get<std::string>();
      if (!found.resources().empty()) {
        failures.add("duplicate " + value + ": " + found.body().dump());
        return "";
      }
      break;  // provably absent: send it again
    }
  }
  failures.add("could not create " + value);
  return "";
}

TEST_F(ConcurrencyMixed, SixteenThreadsWithFaultsLoseAndDuplicateNothing) {
  auto cfg = config();
  cfg.retry.max_attempts = 6;
  cfg.retry.jitter = 0;
  std::atomic<int> waits{0};
  cfg.sleeper = [&waits](std::chrono::milliseconds) { ++waits; };  // counted, never slept
  falcon::Client client(cfg);
  const falcon::IOC ioc(client);
  ASSERT_FALSE(client.login().has_value());

  auto fault = [](emu::Fault::Kind kind, const char* method, const char* path, int count) {
    emu::Fault f;
    f.kind = kind;
    f.method = method;
    f.path = path;
    f.count = count;
    return f;
  };
  auto rate_limited = fault(emu::Fault::Kind::rate_limit, "POST", kIndicators, 8);
  rate_limited.retry_after_seconds = 1;
  emu().inject(rate_limited);
  auto written_then_503 = fault(emu::Fault::Kind::status, "POST", kIndicators, 6);
  written_then_503.status = 503;
  written_then_503.after = true;
  emu().inject(written_then_503);
  auto written_then_dropped = fault(emu::Fault::Kind::drop_connection, "POST", kIndicators, 4);
  written_then_dropped.after = true;
  emu().inject(written_then_dropped);
  auto search_503 = fault(emu::Fault::Kind::status, "GET", kSearch, 6);
  search_503.status = 503;
  emu().inject(search_503);
  emu().inject(fault(emu::Fault::Kind::drop_connection, "DELETE", kIndicators, 3));

  const auto call = ten_second_deadline();
  Failures failures;
  std::vector<std::string> ids(kThreads * kRounds);
  run_threads([&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      const std::string value = value_of(t, i);
      const std::string id = create_once(ioc, value, call, failures);
      ids[static_cast<std::size_t>(t * kRounds + i)] = id;
      if (id.empty() || i % 2 == 1) continue;  // odd rounds are kept
      bool deleted = false;
      for (int tries = 0; tries < 5 && !deleted; ++tries) {
        deleted = ioc.indicator_delete(delete_ids(id), call).ok();
      }
      if (!deleted) failures.add("could not delete " + id);
    }
  });
  EXPECT_EQ(failures.count(), 0) << failures.text();
  EXPECT_TRUE(emu().pending_faults().empty()) << "not every fault fired";
  EXPECT_GT(waits.load(), 0) << "no retry waited";

  // Exactly one record per value: nothing lost, nothing written twice.
  const auto c = emu().counters();
  EXPECT_EQ(c.indicators_created, static_cast<std::uint64_t>(kThreads * kRounds));
  EXPECT_EQ(emu().indicator_count(), static_cast<std::size_t>(kThreads * kRounds));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRounds; ++i) {
      const auto& id = ids[static_cast<std::size_t>(t * kRounds + i)];
      ASSERT_FALSE(id.empty()) << value_of(t, i);
      const auto rec = emu().indicator(id);
      ASSERT_FALSE(rec.is_null()) << id;
      EXPECT_EQ(rec["value"], value_of(t, i));
      EXPECT_EQ(rec.value("deleted", false), i % 2 == 0) << value_of(t, i);
    }
  }
}

}  // namespace
