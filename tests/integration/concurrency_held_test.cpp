// Issue 7 §3.9: 16 writing threads sharing one Client hold at most 17 connections AT ONCE. A
// create took a fresh connection until issue 17 (it now goes on the thread's kept connection);
// before 1a7433a the handle's cached keep-alive connection stayed open while the fresh one was
// in use, so up to two per writing thread were open.
// Held = the transport's own gauge of open sockets (CURLOPT_OPENSOCKETFUNCTION and
// CLOSESOCKETFUNCTION count every socket libcurl opens and closes), whose peak is exact. An
// earlier version sampled /proc/net/tcp every 2 ms and saw 21-22 "held" in about one run in
// twenty: a reading of that file is not a snapshot (the kernel prints it in pieces while 16
// threads open and close sockets), so a socket closed after it was printed and one opened before
// its bucket was reached both counted. The suite name starts with "Concurrency" so the
// ThreadSanitizer pass runs it.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"

namespace {

constexpr int kThreads = 16;
constexpr int kRounds = 4;

class ConcurrencyHeld : public falcon_it::EmulatorTest {
 protected:
  void customize(falcon::emulator::Options& o) override { o.rate_limit_per_minute = 1'000'000'000; }
};

TEST_F(ConcurrencyHeld, SixteenWritingThreadsHoldAtMostSeventeenConnections) {
  auto transport = std::make_shared<falcon::CurlTransport>();
  falcon::Config cfg = config();
  cfg.transport = transport;
  falcon::Client client(cfg);
  const falcon::IOC ioc(client);
  ASSERT_FALSE(client.login().has_value());
  std::atomic<int> created{0};
  std::atomic<int> searched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        falcon::IndicatorCreateOptions o;
        o.indicators = nlohmann::json::array({falcon_it::domain_item(
            "t" + std::to_string(t) + "-r" + std::to_string(i) + ".held.example", "held")});
        created += ioc.indicator_create(o).status_code == 201 ? 1 : 0;
        falcon::IndicatorSearchOptions s;
        s.filter = "source:'held'";
        searched += ioc.indicator_search(s).ok() ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  const falcon::TransportStats s = transport->stats();
  RecordProperty("peak_open_sockets", static_cast<int>(s.peak_open_sockets));
  RecordProperty("new_connections", static_cast<int>(s.new_connections));
  EXPECT_EQ(created.load(), kThreads * kRounds);
  EXPECT_EQ(searched.load(), kThreads * kRounds);
  // Creates share the threads' kept connections with the searches (issue 17).
  EXPECT_GT(s.writes_on_kept_connection, 0u);
  EXPECT_GT(s.peak_open_sockets, 1u) << "the threads never overlapped";
  EXPECT_LE(s.peak_open_sockets, static_cast<std::uint64_t>(kThreads + 1))
      << "16 threads held more than 17 connections at once";
  EXPECT_LE(s.open_sockets, static_cast<std::uint64_t>(kThreads + 1));
}

}  // namespace
