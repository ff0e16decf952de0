// Issue 7 §3.7: Config::max_response_bytes caps a reply; a chunked body that never ends is cut at
// the cap with a transport error naming the limit, and peak memory stays near the cap.
#include <sys/resource.h>

#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileSizeCap, DefaultIs256MiB) {
  EXPECT_EQ(falcon::Config{}.max_response_bytes, std::size_t{256} << 20);
}

TEST(HostileSizeCap, NeverEndingChunkedBodyIsCutAtTheCap) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-chunked"));
  api.on("GET", kTypesRoute, Reply::chunked_forever());
  Recorders rec;
  auto c = fast_config(api, rec);
  c.max_response_bytes = std::size_t{1} << 20;
  c.timeout = 5000ms;  // the cap, not the timeout, must end it
  falcon::Client client(c);
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  const auto& m = r.error->message;
  EXPECT_TRUE(contains(m, "1048576") || contains(m, "1 MiB") || contains(m, "max_response_bytes"))
      << "the message does not name the limit: " << m;
  EXPECT_FALSE(api.requests("GET", kTypesRoute).empty());
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(HOSTILE_ASAN)
// ASan's allocator keeps freed blocks in a quarantine, so RSS there measures the sanitizer, not
// the SDK; this test is built in the plain (CI main) build only.
long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(HostileSizeCap, PeakMemoryStaysNearTheCap) {
  constexpr std::size_t kCap = std::size_t{64} << 20;
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-rss"));
  api.on("GET", kTypesRoute, Reply::chunked_forever());
  Recorders rec;
  auto c = fast_config(api, rec);
  c.max_response_bytes = kCap;
  c.timeout = 20'000ms;
  c.deadline = 30'000ms;
  c.retry = falcon::RetryPolicy::none();
  falcon::Client client(c);
  ASSERT_FALSE(client.login().has_value());
  const long before = max_rss_kib();
  auto r = falcon::IOC(client).ioc_type_query();
  const long grown_kib = max_rss_kib() - before;
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  EXPECT_LT(grown_kib, static_cast<long>(kCap / 1024 * 3 / 2))
      << "peak memory grew by " << grown_kib / 1024 << " MiB for a 64 MiB cap";
}
#endif

}  // namespace
}  // namespace hostile
