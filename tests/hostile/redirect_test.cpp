// Issue 7 §2.1: the token request and revoke never send credentials or a token to another
// origin. The "other host" is a second server on 127.0.0.2.
#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileRedirect, TokenRedirectToAnotherHostIsAnAuthErrorAndSendsNothingThere) {
  for (int status : {302, 307, 308}) {
    SCOPED_TRACE(status);
    Server api;
    Server other("127.0.0.2");
    script_happy(other, "tok-from-the-other-host");
    api.on("POST", kTokenRoute, Reply::redirect(status, other.url() + kTokenRoute));
    api.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));

    auto err = client.login();
    ASSERT_TRUE(err.has_value()) << "the redirect was followed";
    EXPECT_EQ(err->kind, falcon::ErrorKind::auth) << err->describe();
    EXPECT_TRUE(contains(err->message, "127.0.0.2")) << err->message;
    EXPECT_TRUE(other.requests().empty()) << "the other host received a request";
    EXPECT_EQ(other.connections(), 0u);

    // An API call neither reaches the other host nor sends a bearer token anywhere.
    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.error.has_value()) << describe(r);
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth) << r.error->describe();
    EXPECT_TRUE(other.requests().empty());
    EXPECT_TRUE(api.requests("GET", kTypesRoute).empty());
  }
}

TEST(HostileRedirect, TokenRedirectToAnotherPortOfTheSameHostIsAnotherOrigin) {
  Server api;
  Server other;  // 127.0.0.1 too, another port
  script_happy(other);
  api.on("POST", kTokenRoute, Reply::redirect(307, other.url() + kTokenRoute));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto err = client.login();
  ASSERT_TRUE(err.has_value()) << "the redirect was followed";
  EXPECT_EQ(err->kind, falcon::ErrorKind::auth) << err->describe();
  EXPECT_TRUE(contains(err->message, "127.0.0.1")) << err->message;
  EXPECT_TRUE(other.requests().empty());
}

TEST(HostileRedirect, TokenRedirectWithinTheSameOriginIsFollowed) {
  for (int status : {307, 308}) {
    SCOPED_TRACE(status);
    Server api;
    const std::string region_path = "/regions/us-2/oauth2/token";
    api.on("POST", kTokenRoute, Reply::redirect(status, api.url() + region_path));
    api.on("POST", region_path, Reply::token("tok-same-origin"));
    api.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));
    auto err = client.login();
    ASSERT_FALSE(err.has_value()) << err->describe();

    auto followed = api.requests("POST", region_path);
    ASSERT_EQ(followed.size(), 1u);
    EXPECT_TRUE(contains(followed[0].body, "client_id=hostile-client-id")) << followed[0].body;

    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.ok()) << describe(r);
    auto calls = api.requests("GET", kTypesRoute);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].header("Authorization").value_or(""), "Bearer tok-same-origin");
    EXPECT_EQ(client.base_url(), api.url()) << "an explicit base URL never moves";
  }
}

TEST(HostileRedirect, RevokeFollowsNoRedirect) {
  for (int status : {302, 307, 308}) {
    SCOPED_TRACE(status);
    Server api;
    Server other("127.0.0.2");
    script_happy(api, "tok-to-revoke");
    other.on("POST", "/oauth2/revoke", Reply::json(200, kEnvelope));
    api.on("POST", "/oauth2/revoke", Reply::redirect(status, other.url() + "/oauth2/revoke"));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));
    ASSERT_FALSE(client.login().has_value());

    auto r = client.revoke();
    EXPECT_FALSE(r.ok()) << "a redirected revoke is not a success";
    EXPECT_TRUE(other.requests().empty()) << "the token or the secret went to the other host";
    EXPECT_EQ(other.connections(), 0u);
    EXPECT_EQ(api.requests("POST", "/oauth2/revoke").size(), 1u);
  }
}

}  // namespace
}  // namespace hostile
