// The control endpoint, injected faults, rate limiting and counters.
#include <atomic>
#include <chrono>
#include <thread>

#include "emulator_test_support.hpp"

namespace falcon::emulator::testing {
namespace {

constexpr const char* kSearch = "/iocs/queries/indicators/v1";

class FaultsTest : public EmulatorTest {
 protected:
  void fault(const json& f) { control("POST", "/_emulator/faults", f.dump(), 201); }
};

TEST_F(FaultsTest, StatusFaultSkipsTheOperation) {
  auth();
  fault({{"method", "POST"},
         {"path", "/iocs/entities/indicators/v1"},
         {"kind", "status"},
         {"status", 503},
         {"count", 2}});
  create({domain_item("a.example.com")}, 503);
  json r = create({domain_item("a.example.com")}, 503);
  EXPECT_EQ(r["errors"][0]["code"], 503);
  EXPECT_EQ(emu_->indicator_count(), 0u);
  create({domain_item("a.example.com")}, 201);  // the fault is used up
  // A custom body is sent as is; a prefix path matches.
  fault({{"path", "/iocs/queries/*"},
         {"kind", "status"},
         {"status", 500},
         {"body", {{"custom", true}}}});
  auto raw = call("GET", kSearch);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 500);
  EXPECT_EQ(json::parse(raw->body), json({{"custom", true}}));
  EXPECT_TRUE(raw->has_header("X-CS-TRACEID"));
}

TEST_F(FaultsTest, StatusFaultAfterTheOperation) {
  auth();
  fault({{"method", "POST"},
         {"path", "/iocs/entities/indicators/v1"},
         {"kind", "status"},
         {"status", 502},
         {"after", true}});
  create({domain_item("b.example.com")}, 502);
  EXPECT_EQ(emu_->indicator_count(), 1u);  // written although the client saw a failure
}

TEST_F(FaultsTest, LatencyFault) {
  auth();
  fault({{"path", kSearch}, {"kind", "latency"}, {"latency_ms", 300}});
  const auto start = std::chrono::steady_clock::now();
  call_json("GET", kSearch, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(FaultsTest, RateLimitFault) {
  auth();
  fault({{"kind", "rate_limit"}, {"retry_after_seconds", 5}});
  auto r = call("GET", kSearch);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), "0");
  const auto retry = std::stoll(r->get_header_value("X-RateLimit-RetryAfter"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_GE(retry, now + 4);
  EXPECT_LE(retry, now + 6);
  call_json("GET", kSearch, 200);
}

TEST_F(FaultsTest, DropConnectionGivesATransportError) {
  auth();
  fault({{"method", "GET"}, {"path", kSearch}, {"kind", "drop_connection"}});
  auto r = call("GET", kSearch);
  EXPECT_FALSE(r);                 // no HTTP reply at all
  call_json("GET", kSearch, 200);  // the server keeps serving (on a new connection)
  // After the operation: the indicator exists although the client never heard back.
  fault({{"method", "POST"}, {"kind", "drop_connection"}, {"after", true}});
  auto w = call("POST", "/iocs/entities/indicators/v1",
                json{{"indicators", json::array({domain_item("c.example.com")})}}.dump());
  EXPECT_FALSE(w);
  EXPECT_EQ(emu_->indicator_count(), 1u);
}

TEST_F(FaultsTest, ExpireTokenFault) {
  auth();
  fault({{"kind", "expire_token"}});
  json r = call_json("GET", kSearch, 401);
  EXPECT_EQ(r["errors"][0]["message"], "access denied, invalid bearer token");
  call_json("GET", kSearch, 401);  // the token stays expired
  token_.clear();
  call_json("GET", kSearch, 200);
}

TEST_F(FaultsTest, BadFaultsAreRefused) {
  control("POST", "/_emulator/faults", R"({"kind":"explode"})", 400);
  control("POST", "/_emulator/faults", R"({"kind":"status","status":"x"})", 400);
  control("POST", "/_emulator/faults", R"({"kind":"status","colour":1})", 400);
  control("POST", "/_emulator/faults", R"({"kind":"status","count":0})", 400);
  EXPECT_TRUE(emu_->pending_faults().empty());
}

TEST_F(FaultsTest, CountersAndReset) {
  auth();
  call_json("GET", kSearch, 200);
  call_json("GET", kSearch, 200);
  create({domain_item("d.example.com")});
  json c = control("GET", "/_emulator/counters")["resources"][0];
  EXPECT_EQ(c["requests_per_route"]["GET /iocs/queries/indicators/v1"], 2);
  EXPECT_EQ(c["requests_per_route"]["POST /oauth2/token"], 1);
  EXPECT_EQ(c["requests_total"], 4);
  EXPECT_EQ(c["tokens_issued"], 1);
  EXPECT_EQ(c["indicators_created"], 1);
  EXPECT_EQ(c["connections"], 1);  // keep-alive: one connection for everything

  httplib::Client other("127.0.0.1", port_);
  other.Get(kSearch);
  EXPECT_EQ(emu_->counters().connections, 2u);

  control("POST", "/_emulator/expire-tokens");
  call_json("GET", kSearch, 401);
  control("POST", "/_emulator/reset");
  EXPECT_EQ(emu_->indicator_count(), 0u);
  EXPECT_EQ(emu_->counters().requests_total, 0u);
  EXPECT_EQ(emu_->counters().tokens_issued, 0u);
}

class RateLimitTest : public EmulatorTest {
 protected:
  Options make_options() override {
    Options o = EmulatorTest::make_options();
    o.rate_limit_per_minute = 5;
    return o;
  }
};

TEST_F(RateLimitTest, SlidingWindowAnswers429) {
  auth();
  for (int i = 0; i < 5; ++i) {
    auto r = call("GET", kSearch);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "5");
    EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), std::to_string(4 - i));
  }
  auto r = call("GET", kSearch);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), "0");
  const auto retry = std::stoll(r->get_header_value("X-RateLimit-RetryAfter"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_GT(retry, now);
  EXPECT_LE(retry, now + 61);
  EXPECT_EQ(json::parse(r->body)["errors"][0]["code"], 429);
  emu_->advance_clock(std::chrono::seconds(61));  // the window slides past
  call_json("GET", kSearch, 200);
}

class NoControlTest : public EmulatorTest {
 protected:
  Options make_options() override { return Options{}; }
};

TEST_F(NoControlTest, ControlEndpointIsOffByDefault) {
  auto r = client_->Post("/_emulator/reset", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace falcon::emulator::testing

namespace falcon::emulator::testing {
namespace {

using ConcurrencyTest = EmulatorTest;

// Many clients writing and reading at once: every write lands once, nothing errors.
TEST_F(ConcurrencyTest, ParallelClientsSeeConsistentData) {
  const std::string token = fetch_token();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port_);
      c.set_keep_alive(true);
      const httplib::Headers h{{"Authorization", "Bearer " + token}};
      for (int i = 0; i < kPerThread; ++i) {
        const std::string value =
            "t" + std::to_string(t) + "-" + std::to_string(i) + ".example.com";
        auto w = c.Post("/iocs/entities/indicators/v1", h,
                        json{{"indicators", json::array({domain_item(value)})}}.dump(),
                        "application/json");
        if (!w || w->status != 201) {
          ++failures;
          continue;
        }
        const std::string id = json::parse(w->body)["resources"][0]["id"];
        auto g = c.Get(("/iocs/entities/indicators/v1?ids=" + id).c_str(), h);
        auto s = c.Get("/iocs/combined/indicator/v1?limit=50&sort=modified_on.desc", h);
        auto u =
            c.Patch("/iocs/entities/indicators/v1", h,
                    json{{"indicators", json::array({json{{"id", id}, {"tags", {"x"}}}})}}.dump(),
                    "application/json");
        if (!g || g->status != 200 || !s || s->status != 200 || !u || u->status != 200) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(emu_->indicator_count(), static_cast<std::size_t>(kThreads * kPerThread));
  const Counters c = emu_->counters();
  EXPECT_EQ(c.indicators_created, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(c.requests_total, static_cast<std::uint64_t>(1 + kThreads * kPerThread * 4));
  EXPECT_EQ(c.connections, static_cast<std::uint64_t>(1 + kThreads));
}

}  // namespace
}  // namespace falcon::emulator::testing
