// Issue 7 §2.3: no header injection from any source. A CR, LF or NUL in a header value from the
// server (access_token) is an auth error; from the caller (Config::access_token,
// Config::user_agent, CallOptions::headers) a configuration / validation error; nothing goes out.
#include "hostile_support.hpp"

namespace hostile {
namespace {

// No request carried an X-Evil header, or a line mentioning it.
void expect_no_injected_header(const Server& s) {
  for (const auto& req : s.requests()) {
    for (const auto& [name, value] : req.headers) {
      EXPECT_FALSE(contains(name, "X-Evil") || contains(value, "X-Evil"))
          << req.method << " " << req.target << " carried '" << name << ": " << value << "'";
    }
  }
}

TEST(HostileHeaders, ServerTokenWithCrLfIsAnAuthErrorAndNeverSent) {
  const std::string evil[] = {"tok\r\nX-Evil: 1", "tok\nX-Evil: 1", "tok\rX-Evil: 1",
                              std::string("tok\0X-Evil: 1", 13)};
  for (const auto& token : evil) {
    SCOPED_TRACE(::testing::PrintToString(token));
    Server api;
    api.on("POST", kTokenRoute, Reply::token(token));
    api.on("GET", kTypesRoute, Reply::json(200, kEnvelope));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));

    auto err = client.login();
    ASSERT_TRUE(err.has_value()) << "a token with a control character was accepted";
    EXPECT_EQ(err->kind, falcon::ErrorKind::auth) << err->describe();

    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.error.has_value()) << describe(r);
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::auth) << r.error->describe();
    EXPECT_TRUE(api.requests("GET", kTypesRoute).empty()) << "the API call went out";
    expect_no_injected_header(api);
    EXPECT_FALSE(contains(rec.log->text(), "X-Evil")) << rec.log->text();
  }
}

void expect_config_refused(const falcon::Config& c, const std::string& field) {
  try {
    falcon::Client client(c);
    ADD_FAILURE() << "accepted a control character in " << field;
  } catch (const falcon::Exception& e) {
    ASSERT_TRUE(e.error().has_value());
    EXPECT_EQ(e.error()->kind, falcon::ErrorKind::configuration) << e.error()->describe();
    EXPECT_EQ(e.error()->field, field) << e.error()->describe();
  }
}

TEST(HostileHeaders, ConfigValuesWithControlCharactersAreRefused) {
  Server api;
  script_happy(api);
  Recorders rec;
  for (const std::string& bad : {std::string("tok\r\nX-Evil: 1"), std::string("tok\nX-Evil: 1"),
                                 std::string("tok\rX"), std::string("tok\0X", 5)}) {
    SCOPED_TRACE(::testing::PrintToString(bad));
    auto c = fast_config(api, rec);
    c.access_token = bad;
    expect_config_refused(c, "access_token");
    c = fast_config(api, rec);
    c.user_agent = bad;
    expect_config_refused(c, "user_agent");
  }
  EXPECT_TRUE(api.requests().empty());
  // The same fields without control characters are fine.
  auto c = fast_config(api, rec);
  c.user_agent = "my-tool/1.0 (falcon-cpp)";
  EXPECT_NO_THROW(falcon::Client{c});
}

falcon::Response call_with_header(const Server& api, const Recorders& rec, const std::string& name,
                                  const std::string& value) {
  falcon::Client client(fast_config(api, rec));
  falcon::CallOptions call;
  call.headers.emplace(name, value);
  return falcon::IOC(client).ioc_type_query({}, call);
}

TEST(HostileHeaders, CallHeadersWithControlCharactersAreRefused) {
  struct Case {
    std::string name, value, named;
  };
  const Case cases[] = {
      {"X-Custom", "v\r\nX-Evil: 1", "X-Custom"},
      {"X-Custom", "v\nX-Evil: 1", "X-Custom"},
      {"X-Custom", std::string("v\0X-Evil", 8), "X-Custom"},
      {"X-Custom\r\nX-Evil", "1", "X-Custom"},
      {"X-Evil\n", "1", "X-Evil"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.name) + ": " + ::testing::PrintToString(c.value));
    Server api;
    script_happy(api);
    Recorders rec;
    auto r = call_with_header(api, rec, c.name, c.value);
    ASSERT_TRUE(r.error.has_value()) << describe(r);
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation) << r.error->describe();
    EXPECT_TRUE(contains(r.error->describe(), c.named)) << r.error->describe();
    EXPECT_EQ(r.status_code, 0);
    EXPECT_TRUE(api.requests().empty()) << "a request went out, e.g. " << api.requests()[0].target;
  }
}

TEST(HostileHeaders, CallHeadersCannotSetFramingOrCredentials) {
  for (const char* name : {"Host", "host", "Authorization", "AUTHORIZATION", "Content-Length",
                           "content-length", "Transfer-Encoding", "transfer-ENCODING"}) {
    SCOPED_TRACE(name);
    Server api;
    script_happy(api);
    Recorders rec;
    auto r = call_with_header(api, rec, name, "1");
    ASSERT_TRUE(r.error.has_value()) << describe(r);
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::validation) << r.error->describe();
    EXPECT_TRUE(icontains(r.error->describe(), name)) << r.error->describe();
    EXPECT_TRUE(api.requests().empty());
  }
}

TEST(HostileHeaders, AnOrdinaryCallHeaderGoesOut) {
  Server api;
  script_happy(api);
  Recorders rec;
  auto r = call_with_header(api, rec, "X-Request-Tag", "batch-7");
  ASSERT_TRUE(r.ok()) << describe(r);
  auto calls = api.requests("GET", kTypesRoute);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].header("X-Request-Tag").value_or("<none>"), "batch-7");
}

}  // namespace
}  // namespace hostile
