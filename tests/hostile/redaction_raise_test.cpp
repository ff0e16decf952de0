// Issue 7 §2.4: Response::raise_for_status() on an API error reply that echoes the bearer token
// throws an Exception whose what() does not carry the token (it did before 1a7433a).
#include "hostile_support.hpp"

namespace hostile {
namespace {

const std::string kToken1 = "tok-echoed-9d2e4c11aa";
const std::string kToken2 = "tok-echoed-7f3b8a0cc5";

std::string echo_envelope(int code, const std::string& message) {
  return R"({"meta":{},"resources":[],"errors":[{"code":)" + std::to_string(code) +
         R"(,"message":")" + message + R"("}]})";
}

void expect_secret_free(const std::string& where, const std::string& text) {
  for (const auto& secret : {std::string(kClientSecret), kToken1, kToken2}) {
    EXPECT_FALSE(contains(text, secret)) << secret << " leaked into " << where << ":\n" << text;
  }
}

TEST(HostileRedaction, RaisedApiErrorEchoingTheBearerTokenIsRedacted) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token(kToken1));
  api.on("GET", kTypesRoute,
         Reply::json(400, echo_envelope(400, "bad request; Authorization: Bearer " + kToken1)));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_EQ(r.status_code, 400);
  try {
    r.raise_for_status();
    ADD_FAILURE() << "raise_for_status did not throw";
  } catch (const falcon::Exception& e) {
    EXPECT_TRUE(contains(e.what(), "bad request")) << e.what();
    expect_secret_free("Exception::what()", e.what());
  }
}

}  // namespace
}  // namespace hostile
