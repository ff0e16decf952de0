// Issue 7 §2.2: plain http:// is allowed only to a host that IS loopback (127.0.0.0/8, ::1,
// localhost), parsed as a host, not matched as a prefix.
#include "hostile_support.hpp"

namespace hostile {
namespace {

falcon::Config with_base(const std::string& base) {
  falcon::Config c;
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  c.base_url = base;
  return c;
}

void expect_refused(const std::string& base) {
  SCOPED_TRACE(base);
  try {
    falcon::Client client(with_base(base));
    ADD_FAILURE() << "accepted " << base;
  } catch (const falcon::Exception& e) {
    ASSERT_TRUE(e.error().has_value());
    EXPECT_EQ(e.error()->kind, falcon::ErrorKind::configuration) << e.error()->describe();
    EXPECT_EQ(e.error()->field, "base_url") << e.error()->describe();
  }
}

TEST(HostileBaseUrl, LookalikeLoopbackHostsAreRefused) {
  for (const char* base : {"http://127.evil.example", "http://127.0.0.1.evil.example",
                           "http://localhost.evil.example", "http://127.0.0.1.nip.io:8080"}) {
    expect_refused(base);
  }
}

TEST(HostileBaseUrl, UserinfoDoesNotMakeAHostLoopback) {
  // The host of http://127.0.0.1@evil.example is evil.example.
  expect_refused("http://127.0.0.1@evil.example");
  expect_refused("http://localhost:1@evil.example:80");
}

TEST(HostileBaseUrl, RealLoopbackHostsAreAccepted) {
  for (const char* base : {"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1",
                           "http://127.0.0.2:1", "http://127.255.255.254", "http://LOCALHOST:1"}) {
    SCOPED_TRACE(base);
    EXPECT_NO_THROW(falcon::Client{with_base(base)});
  }
}

TEST(HostileBaseUrl, NonLoopbackPlainHttpNeedsTheOptIn) {
  auto c = with_base("http://127.evil.example");
  c.allow_insecure_http = true;
  EXPECT_NO_THROW(falcon::Client{c});
}

}  // namespace
}  // namespace hostile
