// Issue 7 §3.12: error text a user can act on.
#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileErrorText, HtmlReplyNamesItsContentTypeAndSuggestsBaseUrl) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-html"));
  Reply html;
  html.status = 200;
  html.headers = {"Content-Type: text/html; charset=utf-8"};
  html.body = "<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>";
  api.on("GET", kTypesRoute, html);
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::decode) << r.error->describe();
  EXPECT_TRUE(contains(r.error->message, "text/html")) << r.error->message;
  EXPECT_TRUE(contains(r.error->message, "base_url")) << r.error->message;
  EXPECT_EQ(r.text(), html.body) << "the raw body is kept for inspection";
}

TEST(HostileErrorText, ApiRedirectIsReturnedNamingItsTargetHost) {
  for (int status : {301, 302, 307, 308}) {
    SCOPED_TRACE(status);
    Server api;
    Server other("127.0.0.2");
    script_happy(other);
    api.on("POST", kTokenRoute, Reply::token("tok-api-redirect"));
    api.on("GET", kTypesRoute, Reply::redirect(status, other.url() + kTypesRoute));
    Recorders rec;
    falcon::Client client(fast_config(api, rec));
    auto r = falcon::IOC(client).ioc_type_query();
    EXPECT_EQ(r.status_code, status) << "returned to the caller";
    ASSERT_TRUE(r.error.has_value()) << describe(r);
    EXPECT_TRUE(contains(r.error->message, "127.0.0.2")) << r.error->message;
    EXPECT_TRUE(other.requests().empty()) << "the bearer token went to the other host";
    EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 1u);
  }
}

}  // namespace
}  // namespace hostile
