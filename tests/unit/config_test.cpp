// Config checks and cloud names: bad settings fail before any request, naming the setting.
#include <gtest/gtest.h>

#include <cstdlib>

#include "falcon/falcon.hpp"
#include "falcon/testing/fake_transport.hpp"

namespace {
falcon::Config good() {
  falcon::Config c;
  c.client_id = "id";
  c.client_secret = "secret";
  return c;
}
}  // namespace

TEST(Config, CloudNamesMapToTheirHosts) {
  struct Case {
    const char* name;
    const char* url;
  } cases[] = {{"us-1", "https://api.crowdstrike.com"},
               {"us1", "https://api.crowdstrike.com"},
               {"US-1", "https://api.crowdstrike.com"},
               {"auto", "https://api.crowdstrike.com"},
               {"us-2", "https://api.us-2.crowdstrike.com"},
               {"US2", "https://api.us-2.crowdstrike.com"},
               {"us-3", "https://api.us-3.crowdstrike.com"},
               {"eu-1", "https://api.eu-1.crowdstrike.com"},
               {"us-gov-1", "https://api.laggar.gcw.crowdstrike.com"},
               {"usgov1", "https://api.laggar.gcw.crowdstrike.com"},
               {"us-gov-2", "https://api.us-gov-2.crowdstrike.mil"}};
  for (const auto& c : cases) {
    auto r = falcon::resolve_base_url(c.name);
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(r->url, c.url) << c.name;
    EXPECT_TRUE(r->is_cloud_name);
  }
}

TEST(Config, UrlsAreUsedAsGivenMinusATrailingSlash) {
  auto r = falcon::resolve_base_url("https://gateway.example.com:8443/");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->url, "https://gateway.example.com:8443");
  EXPECT_FALSE(r->is_cloud_name);
}

TEST(Config, GarbageBaseUrlIsAConfigurationErrorNamingTheSetting) {
  for (const char* bad : {"nowhere", "us-9", "", "ftp://x", "https://", "https://a b"}) {
    falcon::Error e;
    EXPECT_FALSE(falcon::resolve_base_url(bad, &e).has_value()) << bad;
    EXPECT_EQ(e.kind, falcon::ErrorKind::configuration);
    EXPECT_EQ(e.field, "base_url");
    auto cfg = good();
    cfg.base_url = bad;
    auto err = cfg.check();
    ASSERT_TRUE(err.has_value()) << bad;
    EXPECT_EQ(err->field, "base_url");
  }
}

TEST(Config, MissingCredentialsAreNamed) {
  falcon::Config c;
  auto e = c.check();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "client_id");
  c.client_id = "x";
  e = c.check();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "client_secret");
  falcon::Config token_only;
  token_only.access_token = "t";
  EXPECT_FALSE(token_only.check().has_value());
}

TEST(Config, ClientConstructorThrowsBeforeAnyRequest) {
  auto fake = std::make_shared<falcon::testing::FakeTransport>();
  auto cfg = good();
  cfg.base_url = "not a cloud";
  cfg.transport = fake;
  try {
    falcon::Client client(cfg);
    FAIL() << "expected falcon::Exception";
  } catch (const falcon::Exception& e) {
    ASSERT_TRUE(e.error().has_value());
    EXPECT_EQ(e.error()->kind, falcon::ErrorKind::configuration);
    EXPECT_NE(std::string(e.what()).find("base_url"), std::string::npos);
  }
  EXPECT_TRUE(fake->requests().empty());
}

TEST(Config, PlainHttpOnlyForLoopbackUnlessAllowed) {
  auto cfg = good();
  cfg.base_url = "http://falcon.example.com";
  auto e = cfg.check();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "base_url");
  EXPECT_NE(e->message.find("http://"), std::string::npos);
  cfg.allow_insecure_http = true;
  EXPECT_FALSE(cfg.check().has_value());
  for (const char* ok : {"http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"}) {
    auto c = good();
    c.base_url = ok;
    EXPECT_FALSE(c.check().has_value()) << ok;
  }
}

TEST(Config, OtherSettingsAreChecked) {
  auto cfg = good();
  cfg.retry.max_attempts = 0;
  EXPECT_EQ(cfg.check()->field, "retry.max_attempts");
  cfg = good();
  cfg.ca_bundle = "/nonexistent/ca.pem";
  EXPECT_EQ(cfg.check()->field, "ca_bundle");
  cfg = good();
  cfg.retry.jitter = 2;
  EXPECT_EQ(cfg.check()->field, "retry.jitter");
}

TEST(Config, AcceptEncodingIsAListOfCodingsTheSdkDecodes) {
  EXPECT_EQ(good().accept_encoding, "gzip, deflate") << "FalconPy's offer is the default";
  for (const char* ok : {"gzip, deflate", "gzip", "deflate,gzip", "identity", "", "br, zstd"}) {
    auto cfg = good();
    cfg.accept_encoding = ok;
    EXPECT_FALSE(cfg.check().has_value()) << ok;
  }
  for (const char* bad :
       {"brotli", "gzip,", "gzip;q=1", "gzip\r\nX-Evil: 1", "*", "identity, gzip"}) {
    auto cfg = good();
    cfg.accept_encoding = bad;
    auto e = cfg.check();
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->field, "accept_encoding");
    EXPECT_NE(e->message.find("gzip, deflate, br, zstd"), std::string::npos) << e->message;
    EXPECT_EQ(e->message.find('\n'), std::string::npos) << "control bytes are not echoed";
  }
}

TEST(Config, FromEnvReadsTheFourVariables) {
  setenv("FALCON_CLIENT_ID", "env-id", 1);
  setenv("FALCON_CLIENT_SECRET", "env-secret", 1);
  setenv("FALCON_MEMBER_CID", "child", 1);
  setenv("FALCON_BASE_URL", "eu-1", 1);
  auto c = falcon::Config::from_env();
  EXPECT_EQ(c.client_id, "env-id");
  EXPECT_EQ(c.client_secret, "env-secret");
  EXPECT_EQ(*c.member_cid, "child");
  EXPECT_EQ(c.base_url, "eu-1");
  unsetenv("FALCON_MEMBER_CID");
  unsetenv("FALCON_BASE_URL");
  auto d = falcon::Config::from_env();
  EXPECT_FALSE(d.member_cid.has_value());
  EXPECT_EQ(d.base_url, "us-1");
  unsetenv("FALCON_CLIENT_ID");
  unsetenv("FALCON_CLIENT_SECRET");
}

TEST(Config, RequestsCarryTheSdkHeadersAndUserAgent) {
  auto fake = std::make_shared<falcon::testing::FakeTransport>();
  auto cfg = good();
  cfg.base_url = "https://api.test.local";
  cfg.transport = fake;
  cfg.user_agent = "acme-soar/2.1";
  fake->reply_token().reply(200, {{"resources", nlohmann::json::array()}});
  ASSERT_TRUE(falcon::IOC(cfg).action_query().ok());
  auto req = fake->last_request();
  EXPECT_EQ(*falcon::header_value(req.headers, "User-Agent"), "acme-soar/2.1");
  EXPECT_EQ(*falcon::header_value(req.headers, "CrowdStrike-SDK"),
            std::string("falcon-cpp/") + falcon::version());
}
