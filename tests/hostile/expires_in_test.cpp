// Issue 7 §2.5: any expires_in is clamped to a sane lifetime without undefined behaviour (the
// ASan + UBSan pass runs this suite), and the token is not fetched again on every call.
#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileExpiresIn, AnyValueGivesOneSaneToken) {
  for (const char* raw : {"0", "-5", "9223372036854775807", "-9223372036854775808", "1e30", "-1e30",
                          "1.5", "\"abc\"", "\"1799\"", "null", "[]", "{}"}) {
    SCOPED_TRACE(raw);
    Server api;
    api.on("POST", kTokenRoute, Reply::token("tok-odd-expiry", raw));
    api.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));

    const auto before = std::chrono::system_clock::now();
    auto err = client.login();
    ASSERT_FALSE(err.has_value()) << err->describe();
    auto expiry = client.token_expiry();
    ASSERT_TRUE(expiry.has_value());
    EXPECT_GT(*expiry, before) << "the token expires in the past";
    EXPECT_LE(*expiry, std::chrono::system_clock::now() + std::chrono::hours(24))
        << "more than a day ahead";

    falcon::IOC ioc(client);
    for (int i = 0; i < 5; ++i) {
      auto r = ioc.ioc_type_query();
      ASSERT_TRUE(r.ok()) << describe(r);
    }
    EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 1u) << "the token was fetched again";
    EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 5u);
  }
}

}  // namespace
}  // namespace hostile
