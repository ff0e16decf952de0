// Issue 7 §2.4: a secret or token never appears in an Error's text or a log line, even when the
// server echoes the request in its error reply.
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

TEST(HostileRedaction, TokenErrorEchoingTheSecret) {
  for (int status : {400, 401, 403}) {
    SCOPED_TRACE(status);
    Server api;
    api.on("POST", kTokenRoute,
           Reply::json(status,
                       echo_envelope(status, std::string("invalid client: client_id=") + kClientId +
                                                 "&client_secret=" + kClientSecret)));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));
    auto err = client.login();
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->kind, falcon::ErrorKind::auth) << err->describe();
    EXPECT_TRUE(contains(err->message, std::to_string(status))) << err->message;
    expect_secret_free("Error::message", err->message);
    expect_secret_free("Error::describe()", err->describe());

    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.error.has_value());
    expect_secret_free("the call's Error::describe()", r.error->describe());
    try {
      r.raise_for_status();
      ADD_FAILURE() << "raise_for_status did not throw";
    } catch (const falcon::Exception& e) {
      expect_secret_free("Exception::what()", e.what());
    }
    EXPECT_GT(rec.log->lines(), 0u) << "nothing was logged at trace level";
    expect_secret_free("the log", rec.log->text());
    ASSERT_FALSE(api.requests("POST", kTokenRoute).empty());
  }
}

TEST(HostileRedaction, ApiErrorEchoingTheBearerTokenIsNotLogged) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token(kToken1));
  api.on("GET", kTypesRoute,
         Reply::json(400, echo_envelope(400, "bad request; Authorization: Bearer " + kToken1)));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto r = falcon::IOC(client).ioc_type_query();
  EXPECT_EQ(r.status_code, 400);
  if (r.error) expect_secret_free("Error::describe()", r.error->describe());
  EXPECT_GT(rec.log->lines(), 0u);
  expect_secret_free("the log", rec.log->text());
  ASSERT_EQ(api.requests("GET", kTypesRoute).size(), 1u);
}

TEST(HostileRedaction, UnauthorizedAfterRenewalEchoingBothTokens) {
  Server api;
  api.on("POST", kTokenRoute, {Reply::token(kToken1), Reply::token(kToken2)});
  api.on("GET", kTypesRoute,
         Reply::json(401, echo_envelope(401, "access denied, invalid bearer token " + kToken1 +
                                                 " / " + kToken2)));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth) << r.error->describe();
  expect_secret_free("Error::message", r.error->message);
  expect_secret_free("Error::describe()", r.error->describe());
  expect_secret_free("the log", rec.log->text());
  EXPECT_EQ(api.requests("POST", kTokenRoute).size(), 2u);  // renewed once
  EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 2u);   // replayed once
}

}  // namespace
}  // namespace hostile
