// Config::accept_encoding on the wire (issue 11), and a reply whose Content-Encoding lies.
#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileEncoding, TheConfiguredAcceptEncodingIsWhatIsOffered) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"gzip, deflate", "gzip, deflate"},  // the default
      {"gzip", "gzip"},
      {"identity", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& [setting, offered] : cases) {
    SCOPED_TRACE(setting);
    Server api;
    script_happy(api);
    Recorders rec;
    falcon::Config cfg = fast_config(api, rec);
    if (setting != "gzip, deflate") cfg.accept_encoding = setting;
    falcon::Client client(cfg);
    auto r = falcon::IOC(client).ioc_type_query();
    ASSERT_TRUE(r.ok()) << describe(r);
    const auto sent = api.requests("GET", kTypesRoute);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].header("Accept-Encoding"), offered);
  }
}

TEST(HostileEncoding, AReplyThatIsNotTheGzipItClaimsIsATransportErrorNotGarbage) {
  Server api;
  api.on("POST", kTokenRoute, Reply::token("tok-enc"));
  api.on("GET", kTypesRoute, Reply::json(200, kEnvelope, {"Content-Encoding: gzip"}));
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  EXPECT_TRUE(r.body().is_null());
  EXPECT_TRUE(r.resources_as<falcon::Indicator>().empty());
}

}  // namespace
}  // namespace hostile
