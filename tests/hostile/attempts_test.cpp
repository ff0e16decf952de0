// Issue 7 §3.11: Response::attempts counts every attempt, transport failures included.
#include "hostile_support.hpp"

namespace hostile {
namespace {

TEST(HostileAttempts, TransportFailuresCountAsAttempts) {
  Server api;
  api.set_keep_alive(false);  // no reused connection, so libcurl never resends on its own
  api.on("POST", kTokenRoute, Reply::token("tok-attempts"));
  api.on("GET", kTypesRoute, {Reply::close(), Reply::close(), Reply::json(200, kEnvelope)});
  Recorders rec;
  falcon::Client client(fast_config(api, rec));  // 3 attempts
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 3u);
  EXPECT_EQ(rec.waits->all().size(), 2u) << "a backoff before each retry";
}

TEST(HostileAttempts, AllAttemptsFailingReportsMaxAttempts) {
  Server api;
  api.set_keep_alive(false);
  api.on("POST", kTokenRoute, Reply::token("tok-attempts"));
  api.on("GET", kTypesRoute, Reply::close());
  Recorders rec;
  auto c = fast_config(api, rec);
  c.retry.max_attempts = 4;
  falcon::Client client(c);
  auto r = falcon::IOC(client).ioc_type_query();
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  EXPECT_EQ(r.error->attempts, 4);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(api.requests("GET", kTypesRoute).size(), 4u);
}

TEST(HostileAttempts, AWriteDroppedAfterSendingIsOneAttempt) {
  Server api;
  api.set_keep_alive(false);
  api.on("POST", kTokenRoute, Reply::token("tok-attempts"));
  api.on("POST", "/iocs/entities/indicators/v1", Reply::close());
  Recorders rec;
  falcon::Client client(fast_config(api, rec));
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = "dropped.example.com";
  o.action = "detect";
  o.severity = "low";
  o.applied_globally = true;
  auto r = falcon::IOC(client).indicator_create(o);
  ASSERT_TRUE(r.error.has_value()) << describe(r);
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
  EXPECT_TRUE(r.error->request_sent);
  EXPECT_EQ(r.error->attempts, 1);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(api.requests("POST", "/iocs/entities/indicators/v1").size(), 1u) << "resent a write";
}

}  // namespace
}  // namespace hostile
