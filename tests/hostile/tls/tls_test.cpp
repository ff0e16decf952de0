// Writes over HTTPS (issue 17), over real loopback TLS against the in-process emulator with
// certificates generated here by openssl: the CA store is built once per client and shared by
// every connection, sessions are resumed, a write goes on a kept connection and is still never
// sent twice, and none of it weakens verification or leaks between clients.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "emulator.hpp"
#include "falcon/falcon.hpp"

namespace emu = falcon::emulator;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kClientId = "tls-client";
constexpr const char* kClientSecret = "tls-secret-0123456789abcdef";
constexpr const char* kIndicators = "/iocs/entities/indicators/v1";

// A self-signed certificate (its own CA) and its key.
struct Cert {
  std::string cert, key;
};

// Self-signed P-256 certificates in a directory of this process, made once: `good` names
// localhost and 127.0.0.1, `other` the same names under another key, `wrong_host` only
// elsewhere.example.
struct Certs {
  Cert good, other, wrong_host;
  std::string not_pem;  // a readable file that holds no certificate
};

Cert make_cert(const fs::path& dir, const std::string& name, const std::string& san) {
  Cert c{(dir / (name + ".pem")).string(), (dir / (name + "-key.pem")).string()};
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=" +
      name + " -addext subjectAltName=" + san + " -keyout " + c.key + " -out " + c.cert +
      " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
  return c;
}

const Certs& certs() {
  static const Certs all = [] {
    const fs::path dir =
        fs::temp_directory_path() / ("falcon-tls-test-" + std::to_string(getpid()));
    fs::create_directories(dir);
    Certs c;
    c.good = make_cert(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
    c.other = make_cert(dir, "impostor", "DNS:localhost,IP:127.0.0.1");
    c.wrong_host = make_cert(dir, "elsewhere.example", "DNS:elsewhere.example");
    c.not_pem = (dir / "not-a-certificate.pem").string();
    std::system(("echo 'no certificate here' > " + c.not_pem).c_str());
    return c;
  }();
  return all;
}

emu::Options tls_emulator(const Cert& served) {
  emu::Options o;
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.rate_limit_per_minute = 1'000'000;
  o.keep_alive_timeout_seconds = 30;
  o.tls_cert_file = served.cert;
  o.tls_key_file = served.key;
  return o;
}

// A Client over a CurlTransport built here (the one Client would build from the same Config),
// so the test can read its counters.
struct TlsClient {
  std::shared_ptr<falcon::CurlTransport> transport;
  std::unique_ptr<falcon::IOC> ioc;

  TlsClient(const emu::Emulator& e, const std::string& ca_bundle) {
    falcon::Config c;
    c.client_id = kClientId;
    c.client_secret = kClientSecret;
    c.base_url = e.base_url();
    c.ca_bundle = ca_bundle;
    c.retry.jitter = 0;
    c.retry.initial_backoff = 1ms;
    c.connect_timeout = 5s;
    c.timeout = 10s;
    falcon::CurlTransportOptions o;
    o.ca_bundle = ca_bundle;
    o.connect_timeout = c.connect_timeout;
    o.timeout = c.timeout;
    transport = std::make_shared<falcon::CurlTransport>(o);
    c.transport = transport;
    ioc = std::make_unique<falcon::IOC>(c);
  }
  falcon::TransportStats stats() const { return transport->stats(); }
};

falcon::IndicatorCreateOptions create_domain(const std::string& value) {
  falcon::IndicatorCreateOptions o;
  o.type = "domain";
  o.value = value;
  o.action = "detect";
  o.severity = "low";
  o.platforms = std::vector<std::string>{"windows"};
  o.applied_globally = true;
  return o;
}

emu::Fault drop(const std::string& method, bool after) {
  emu::Fault f;
  f.kind = emu::Fault::Kind::drop_connection;
  f.method = method;
  f.path = kIndicators;
  f.count = 1;
  f.after = after;
  return f;
}

std::uint64_t route_count(const emu::Emulator& e, const std::string& route) {
  const auto c = e.counters();
  const auto it = c.requests_per_route.find(route);
  return it == c.requests_per_route.end() ? 0 : it->second;
}

std::string describe(const falcon::Response& r) {
  return r.error ? r.error->describe() : "";
}

}  // namespace

// The issue: every write took a new handle, and with it a new SSL_CTX filled from the CA file.
// Now a write goes on the connection the previous call kept: N writes, one connection, one
// handshake, one CA load.
TEST(TlsWrites, SequentialWritesKeepOneConnectionAndLoadTheCaOnce) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  TlsClient client(e, certs().good.cert);
  constexpr int kWrites = 12;
  for (int i = 0; i < kWrites; ++i) {
    const auto r =
        client.ioc->indicator_create(create_domain("w" + std::to_string(i) + ".tls.example"));
    ASSERT_EQ(r.status_code, 201) << describe(r);
  }
  const auto s = client.stats();
  EXPECT_EQ(e.counters().indicators_created, static_cast<std::uint64_t>(kWrites));
  EXPECT_EQ(s.ca_loads, 1u);
  EXPECT_EQ(s.new_connections, 1u) << "the token's connection carries every write";
  EXPECT_EQ(s.tls_handshakes, 1u);
  EXPECT_EQ(s.writes_on_kept_connection, static_cast<std::uint64_t>(kWrites));
  EXPECT_EQ(s.resends_refused, 0u);
  EXPECT_EQ(e.counters().connections, 1u);
}

// Every new connection (here: one per write, each read before it dropped by the server) takes
// the one CA store and resumes the first connection's session.
TEST(TlsWrites, NewConnectionsShareTheCaStoreAndResumeTheSession) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  const std::string id = e.add_indicators(nlohmann::json::array({{{"type", "domain"},
                                                                  {"value", "seed.tls.example"},
                                                                  {"action", "detect"},
                                                                  {"severity", "low"},
                                                                  {"platforms", {"windows"}},
                                                                  {"applied_globally", true}}}))[0];
  TlsClient client(e, certs().good.cert);
  falcon::IndicatorGetOptions get;
  get.ids = falcon::StringList{id};
  ASSERT_TRUE(client.ioc->indicator_get(get).ok());
  constexpr std::uint64_t kWrites = 6;
  for (std::uint64_t i = 0; i < kWrites; ++i) {
    // The server drops the kept connection under the read; libcurl sends the read again on a
    // new connection, and the write after it goes on that one.
    e.inject(drop("GET", false));
    const auto r = client.ioc->indicator_get(get);
    ASSERT_TRUE(r.ok()) << describe(r);
    const auto w =
        client.ioc->indicator_create(create_domain("n" + std::to_string(i) + ".tls.example"));
    ASSERT_EQ(w.status_code, 201) << describe(w);
  }
  const auto s = client.stats();
  EXPECT_EQ(s.new_connections, 1 + kWrites);
  EXPECT_EQ(s.tls_handshakes, 1 + kWrites);
  EXPECT_EQ(s.tls_resumed, kWrites) << "every connection after the first resumed its session";
  EXPECT_EQ(s.ca_loads, 1u) << "one CA store for every connection";
  EXPECT_EQ(s.writes_on_kept_connection, kWrites);
  EXPECT_EQ(e.counters().indicators_created, 1 + kWrites);  // the seed and the writes
}

// The write-never-sent-twice guarantee on a kept connection: the server drops it after reading
// a create (after applying it, or before). libcurl would send the create again on a new
// connection; the transport refuses, and the call fails as "sent, outcome unknown".
TEST(TlsWrites, DroppedAfterAWriteOnAKeptConnectionIsNeverSentTwice) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  TlsClient client(e, certs().good.cert);
  ASSERT_FALSE(client.ioc->action_query().error.has_value());
  const std::string route = std::string("POST ") + kIndicators;
  std::uint64_t refused = 0;
  for (const bool applied : {true, false}) {
    const auto created = e.counters().indicators_created;
    const auto posts = route_count(e, route);
    e.inject(drop("POST", applied));
    const auto r = client.ioc->indicator_create(
        create_domain(applied ? "applied.tls.example" : "dropped.tls.example"));
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport) << r.error->describe();
    EXPECT_TRUE(r.error->request_sent);
    EXPECT_EQ(r.error->attempts, 1);
    EXPECT_NE(r.error->message.find("never sent twice"), std::string::npos) << r.error->message;
    EXPECT_EQ(route_count(e, route) - posts, 1u) << "the create reached the server once";
    EXPECT_EQ(e.counters().indicators_created - created, applied ? 1u : 0u);
    EXPECT_EQ(client.stats().resends_refused, ++refused)
        << "the write was on a kept connection, and libcurl's resend was refused";
    // The next write works, on a new connection (the dropped one is gone).
    const auto next = client.ioc->indicator_create(
        create_domain(applied ? "next-a.tls.example" : "next-b.tls.example"));
    EXPECT_EQ(next.status_code, 201) << describe(next);
  }
  EXPECT_EQ(e.indicator_count(), 3u);
}

// The shared store still verifies: a certificate from another CA is refused before a byte of
// the request leaves, and nothing reaches the server.
TEST(TlsVerification, CertificateOfAnotherCaIsRefused) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  TlsClient client(e, certs().other.cert);
  const auto r = client.ioc->indicator_create(create_domain("never.tls.example"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_FALSE(r.error->request_sent);
  EXPECT_EQ(e.counters().requests_total, 0u);
  EXPECT_EQ(e.counters().tokens_issued, 0u);
  EXPECT_EQ(client.stats().ca_loads, 1u);
  EXPECT_EQ(client.stats().tls_handshakes, 0u);
}

// Trusting the certificate does not excuse its name: host names are still checked.
TEST(TlsVerification, TrustedCertificateForAnotherHostIsRefused) {
  emu::Emulator e(tls_emulator(certs().wrong_host));
  e.start();
  TlsClient client(e, certs().wrong_host.cert);
  const auto r = client.ioc->ioc_type_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_FALSE(r.error->request_sent);
  EXPECT_EQ(e.counters().requests_total, 0u);
}

// Each client verifies with its own ca_bundle: a client that trusts another CA fails against
// the server even after (and before) one that trusts the right CA has connected in the same
// process, and neither's store nor sessions reach the other.
TEST(TlsVerification, EachClientKeepsItsOwnCaBundle) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  TlsClient wrong_first(e, certs().other.cert);
  EXPECT_TRUE(wrong_first.ioc->ioc_type_query().error.has_value());
  TlsClient right(e, certs().good.cert);
  ASSERT_TRUE(right.ioc->ioc_type_query().ok());
  ASSERT_EQ(right.ioc->indicator_create(create_domain("right.tls.example")).status_code, 201);
  TlsClient wrong_after(e, certs().other.cert);
  const auto r = wrong_after.ioc->indicator_create(create_domain("wrong.tls.example"));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_FALSE(r.error->request_sent);
  EXPECT_EQ(wrong_after.stats().tls_handshakes, 0u);
  // The right client goes on working, on its own kept connection.
  EXPECT_EQ(right.ioc->indicator_create(create_domain("right2.tls.example")).status_code, 201);
  EXPECT_EQ(right.stats().ca_loads, 1u);
  EXPECT_EQ(e.counters().indicators_created, 2u);
}

// A ca_bundle that holds no certificate is an error naming the file, before anything is sent.
TEST(TlsVerification, CaBundleWithoutCertificatesNamesTheFile) {
  emu::Emulator e(tls_emulator(certs().good));
  e.start();
  TlsClient client(e, certs().not_pem);
  const auto r = client.ioc->ioc_type_query();
  ASSERT_TRUE(r.error.has_value());
  EXPECT_FALSE(r.error->request_sent);
  EXPECT_NE(r.error->message.find(certs().not_pem), std::string::npos) << r.error->message;
  EXPECT_EQ(client.stats().ca_loads, 0u);
  EXPECT_EQ(e.counters().requests_total, 0u);
}
