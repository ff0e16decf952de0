// CurlTransport against a real loopback HTTP server (cpp-httplib, started in the test).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "falcon/http.hpp"

using namespace std::chrono_literals;

namespace {

// A page of 2,000 records, which gzip shrinks about 8 times (as the API's pages).
const std::string& page_text() {
  static const std::string text = [] {
    std::string t = R"({"resources":[)";
    for (int i = 0; i < 2000; ++i) {
      t += (i == 0 ? "" : ",") + std::string(R"({"id":")") + std::to_string(i * 7919 % 100003) +
           std::to_string(i * 104729) + R"(","type":"domain","value":"d)" + std::to_string(i) +
           R"(.example.com","created_on":"2026-12-03T17:04:45.)" + std::to_string(i * 31337) +
           R"(Z","platforms":["windows","mac","linux"]})";
    }
    return t + "]}";
  }();
  return text;
}

class LoopbackServer {
 public:
  LoopbackServer() {
    server_.Get("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      note(req);
      res.set_content(echo(req).dump(), "application/json");
    });
    server_.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      note(req);
      res.set_content(echo(req).dump(), "application/json");
    });
    server_.Patch("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      note(req);
      res.set_content(echo(req).dump(), "application/json");
    });
    server_.Delete("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      note(req);
      res.set_content(echo(req).dump(), "application/json");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(1500ms);
      res.set_content("{}", "application/json");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(3 << 20, 'x'), "text/plain");
    });
    server_.Get("/page", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(page_text(), "application/json");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/echo", 302);
    });
    server_.Post("/redirect", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/echo", 307);  // the same method and body, elsewhere
    });
    server_.Get("/status/503", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(R"({"errors":[{"code":503,"message":"down"}]})", "application/json");
    });
    server_.set_keep_alive_max_count(100000);  // httplib closes after 5 requests by default
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~LoopbackServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::size_t distinct_client_ports() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_.size();
  }

 private:
  void note(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    ports_.insert(req.remote_port);
  }
  static nlohmann::json echo(const httplib::Request& req) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : req.headers) headers[k] = v;
    nlohmann::json params = nlohmann::json::array();
    for (const auto& [k, v] : req.params) params.push_back({k, v});
    return {{"method", req.method},
            {"path", req.path},
            {"headers", headers},
            {"body", req.body},
            {"params", params}};
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::set<int> ports_;
};

// A keep-alive HTTP/1.1 server that answers every request but one: request number `close_on`
// (1-based, counted across connections) is read in full and its connection closed without a
// byte of reply, as a server that dies right after acting on a request does.
class ClosingServer {
 public:
  explicit ClosingServer(int close_on) : close_on_(close_on) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0) {
      throw std::runtime_error("ClosingServer: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ClosingServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::thread([this, c] { handle(c); }).detach();
    }
  }
  void handle(int c) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return finish(c);
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t length = 0;
      const std::string head = buf.substr(0, end);
      const auto at = head.find("Content-Length: ");
      if (at != std::string::npos) length = std::strtoul(head.c_str() + at + 16, nullptr, 10);
      while (buf.size() < end + 4 + length) {
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return finish(c);
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      buf.erase(0, end + 4 + length);
      if (++requests_ == close_on_) return finish(c);
      const std::string reply =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      if (::send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return finish(c);
    }
  }
  static void finish(int c) {
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
  }

  int close_on_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
};

falcon::HttpRequest post_write(const std::string& url) {
  falcon::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace("Content-Type", "application/json");
  req.body = std::string(R"({"indicators":[{"type":"domain","value":"once.example"}]})");
  req.fresh_connection = true;
  return req;
}

falcon::HttpRequest get(const std::string& url) {
  falcon::HttpRequest req;
  req.method = "GET";
  req.url = url;
  return req;
}

}  // namespace

TEST(CurlTransport, HundredSequentialCallsUseOneConnection) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  for (int i = 0; i < 100; ++i) {
    falcon::HttpRequest req;
    req.method = "GET";
    req.url = server.url("/echo?i=" + std::to_string(i));
    auto r = transport.send(req);
    ASSERT_TRUE(r.ok()) << r.error->message;
    ASSERT_EQ(r.response.status, 200);
  }
  EXPECT_EQ(server.distinct_client_ports(), 1u);
  EXPECT_EQ(transport.stats().new_connections, 1u);
  EXPECT_EQ(transport.stats().requests, 100u);
}

TEST(CurlTransport, HeadersAndBodiesArriveIntact) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  const std::string body = R"({"comment":"ünïcødé ✓ + & = %","indicators":[{"value":"a b"}]})";
  for (const char* method : {"POST", "PATCH"}) {
    falcon::HttpRequest req;
    req.method = method;
    req.url = server.url("/echo?filter=type%3A%27domain%27%2Bvalue%3A%27a%20b%27&ids=1&ids=2");
    req.headers.emplace("Content-Type", "application/json");
    req.headers.emplace("X-Custom", "value with spaces");
    req.body = body;
    auto r = transport.send(req);
    ASSERT_TRUE(r.ok());
    auto echo = nlohmann::json::parse(r.response.body);
    EXPECT_EQ(echo["method"], method);
    EXPECT_EQ(echo["body"], body);
    EXPECT_EQ(echo["headers"]["X-Custom"], "value with spaces");
    EXPECT_EQ(echo["headers"]["Content-Type"], "application/json");
    EXPECT_EQ(echo["headers"].count("Expect"), 0u);
    auto expected_params = nlohmann::json::array(
        {nlohmann::json::array({"filter", "type:'domain'+value:'a b'"}),
         nlohmann::json::array({"ids", "1"}), nlohmann::json::array({"ids", "2"})});
    EXPECT_EQ(echo["params"], expected_params);
    // Response headers are case-insensitive.
    EXPECT_EQ(*falcon::header_value(r.response.headers, "content-TYPE"), "application/json");
  }
}

TEST(CurlTransport, GetAndDeleteSendNoBody) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  for (const char* method : {"GET", "DELETE"}) {
    falcon::HttpRequest req;
    req.method = method;
    req.url = server.url("/echo");
    auto r = transport.send(req);
    ASSERT_TRUE(r.ok());
    auto echo = nlohmann::json::parse(r.response.body);
    EXPECT_EQ(echo["method"], method);
    EXPECT_EQ(echo["body"], "");
    EXPECT_FALSE(echo["headers"].contains("Content-Type"));
  }
}

TEST(CurlTransport, TimeoutIsReportedAsTimeout) {
  LoopbackServer server;
  falcon::CurlTransportOptions o;
  o.timeout = 300ms;
  falcon::CurlTransport transport(o);
  falcon::HttpRequest req;
  req.method = "GET";
  req.url = server.url("/slow");
  auto r = transport.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::timeout);
  EXPECT_EQ(r.response.status, 0);
  // A per-request timeout overrides the default.
  falcon::CurlTransport patient;
  req.timeout = 200ms;
  auto r2 = patient.send(req);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error->kind, falcon::ErrorKind::timeout);
}

TEST(CurlTransport, RefusedConnectionIsATransportErrorBeforeSending) {
  // A port that was free a moment ago: bind, read it, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  falcon::CurlTransport transport;
  falcon::HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  req.body = "{}";
  auto r = transport.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_FALSE(r.error->request_sent);
}

TEST(CurlTransport, AnyStatusIsATransportSuccess) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  falcon::HttpRequest req;
  req.method = "GET";
  req.url = server.url("/status/503");
  auto r = transport.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 503);
}

TEST(CurlTransport, RedirectsAreNotFollowedUnlessAsked) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  falcon::HttpRequest req;
  req.method = "GET";
  req.url = server.url("/redirect");
  auto r = transport.send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 302);
  req.follow_redirects = true;
  auto followed = transport.send(req);
  ASSERT_TRUE(followed.ok());
  EXPECT_EQ(followed.response.status, 200);
  EXPECT_EQ(followed.response.effective_url, server.url("/echo"));
}

// A compressed reply's body is reserved from its compressed length (16 times it): a page that
// decodes to less, and one that decodes to far more (the blocks path), arrive whole, and the cap
// holds for the decoded size either way.
TEST(CurlTransport, CompressedRepliesArriveWholeAndCapped) {
  LoopbackServer server;
  for (const std::string enc : {"gzip, deflate", "identity"}) {
    SCOPED_TRACE(enc);
    falcon::CurlTransportOptions o;
    o.accept_encoding = enc;
    falcon::CurlTransport transport(o);
    falcon::HttpRequest req;
    req.method = "GET";
    req.url = server.url("/page");
    auto page = transport.send(req);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page.response.body, page_text());
    EXPECT_EQ(falcon::header_value(page.response.headers, "Content-Encoding").has_value(),
              enc != "identity");
    req.url = server.url("/big");
    auto big = transport.send(req);
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(big.response.body, std::string(3 << 20, 'x'));
    o.max_response_bytes = page_text().size() - 1;
    falcon::CurlTransport capped(o);
    req.url = server.url("/page");
    auto refused = capped.send(req);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error->message.find("larger than"), std::string::npos);
  }
}

TEST(CurlTransport, OversizedReplyIsRefusedNotBuffered) {
  LoopbackServer server;
  falcon::CurlTransportOptions o;
  o.max_response_bytes = 1 << 20;
  falcon::CurlTransport transport(o);
  falcon::HttpRequest req;
  req.method = "GET";
  req.url = server.url("/big");
  auto r = transport.send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_NE(r.error->message.find("larger than"), std::string::npos);
}

TEST(CurlTransport, ThreadsShareThePoolWithAtMostOneConnectionEach) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        falcon::HttpRequest req;
        req.method = "GET";
        req.url = server.url("/echo");
        ok += transport.send(req).ok() ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * 25);
  EXPECT_LE(transport.stats().new_connections, static_cast<std::uint64_t>(kThreads));
  EXPECT_LE(server.distinct_client_ports(), static_cast<std::size_t>(kThreads));
}

// Handles are configured once and reused: a call must not inherit the previous call's method,
// body or headers.
TEST(CurlTransport, AReusedHandleSendsEachRequestAsGiven) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  struct Step {
    const char* method;
    std::optional<std::string> body;
    const char* token;
  };
  const std::vector<Step> steps = {
      {"POST", std::string(R"({"a":1})"), "one"},
      {"GET", std::nullopt, "one"},
      {"DELETE", std::nullopt, "two"},
      {"PATCH", std::string(R"({"b":2})"), "two"},
      {"GET", std::nullopt, "three"},
      {"POST", std::nullopt, "three"},
      {"DELETE", std::nullopt, "three"},
  };
  for (const auto& step : steps) {
    falcon::HttpRequest req;
    req.method = step.method;
    req.url = server.url("/echo");
    req.headers.emplace("Authorization", std::string("Bearer ") + step.token);
    if (step.body) {
      req.headers.emplace("Content-Type", "application/json");
      req.body = step.body;
    }
    auto r = transport.send(req);
    ASSERT_TRUE(r.ok()) << step.method;
    auto echo = nlohmann::json::parse(r.response.body);
    EXPECT_EQ(echo["method"], step.method);
    EXPECT_EQ(echo["body"], step.body.value_or("")) << step.method;
    EXPECT_EQ(echo["headers"]["Authorization"], std::string("Bearer ") + step.token);
    EXPECT_EQ(echo["headers"].value("Content-Type", "") == "application/json",
              step.body.has_value())
        << step.method;
  }
  EXPECT_EQ(transport.stats().new_connections, 1u) << "one handle, one connection";
}

TEST(CurlTransport, OffersTheConfiguredAcceptEncoding) {
  LoopbackServer server;
  for (const std::string enc : {"gzip, deflate", "gzip", "identity", ""}) {
    falcon::CurlTransportOptions o;
    o.accept_encoding = enc;
    falcon::CurlTransport transport(o);
    falcon::HttpRequest req;
    req.method = "GET";
    req.url = server.url("/echo");
    auto r = transport.send(req);
    ASSERT_TRUE(r.ok());
    auto echo = nlohmann::json::parse(r.response.body);
    if (enc.empty() || enc == "identity") {
      EXPECT_FALSE(echo["headers"].contains("Accept-Encoding")) << enc;
    } else {
      EXPECT_EQ(echo["headers"]["Accept-Encoding"], enc);
    }
  }
}

TEST(CurlTransport, SocketGaugeCountsWhatIsOpen) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  EXPECT_EQ(transport.stats().open_sockets, 0u);
  for (int i = 0; i < 5; ++i) {
    falcon::HttpRequest req;
    req.method = "GET";
    req.url = server.url("/echo");
    ASSERT_TRUE(transport.send(req).ok());
  }
  EXPECT_EQ(transport.stats().open_sockets, 1u) << "the keep-alive connection stays open";
  // A write right after goes on the same connection (it cannot be sent twice there).
  ASSERT_TRUE(transport.send(post_write(server.url("/echo"))).ok());
  const auto s = transport.stats();
  EXPECT_EQ(s.new_connections, 1u);
  EXPECT_EQ(s.writes_on_kept_connection, 1u);
  EXPECT_EQ(s.open_sockets, 1u);
  EXPECT_EQ(s.peak_open_sockets, 1u);
  EXPECT_EQ(server.distinct_client_ports(), 1u);
}

// The guarantee writes rest on: the server reads a write on a kept connection and closes it
// without replying. libcurl would send the request again on a new connection (it cannot know
// the first copy was acted on); the transport refuses, and says the request was sent.
TEST(CurlTransport, AWriteOnAKeptConnectionIsNeverSentTwice) {
  ClosingServer server(2);
  falcon::CurlTransport transport;
  ASSERT_TRUE(transport.send(get(server.url("/x"))).ok());
  const auto r = transport.send(post_write(server.url("/x")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, falcon::ErrorKind::transport);
  EXPECT_TRUE(r.error->request_sent);
  EXPECT_NE(r.error->message.find("never sent twice"), std::string::npos) << r.error->message;
  EXPECT_EQ(server.requests(), 2) << "the write reached the server once";
  EXPECT_EQ(transport.stats().resends_refused, 1u);
  EXPECT_EQ(transport.stats().open_sockets, 0u);
  // libcurl connects before it asks the guard, so the refused resend opened (and closed) a
  // connection that carried nothing. The server's thread counts it when it gets to accept()
  // (late on a loaded machine): wait for that, bounded. The next call opens its own and works.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.connections() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(server.connections(), 2);
  EXPECT_TRUE(transport.send(post_write(server.url("/x"))).ok());
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 3);
}

// The same closed connection under a read: libcurl's resend is welcome there, and is what the
// guard above stops for writes (three requests reach the server, the third on a new connection).
TEST(CurlTransport, AReadOnAKeptConnectionIsSentAgainByLibcurl) {
  ClosingServer server(2);
  falcon::CurlTransport transport;
  ASSERT_TRUE(transport.send(get(server.url("/x"))).ok());
  const auto r = transport.send(get(server.url("/x")));
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(transport.stats().resends_refused, 0u);
}

// A write goes on a kept connection only when it was used under a second ago; an older one is
// closed first and the write opens its own (one socket at a time either way).
TEST(CurlTransport, AWriteAfterAnIdleSecondOpensItsOwnConnection) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  ASSERT_TRUE(transport.send(get(server.url("/echo"))).ok());
  std::this_thread::sleep_for(1100ms);  // past the write idle limit (the input, not a timing)
  ASSERT_TRUE(transport.send(post_write(server.url("/echo"))).ok());
  const auto s = transport.stats();
  EXPECT_EQ(s.new_connections, 2u);
  EXPECT_EQ(s.writes_on_kept_connection, 0u);
  EXPECT_EQ(s.open_sockets, 1u);
  EXPECT_EQ(s.peak_open_sockets, 1u);
  // Reads keep using an idle connection for much longer.
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(transport.send(get(server.url("/echo"))).ok());
  EXPECT_EQ(transport.stats().new_connections, 2u);
}

// A redirect the caller asked to follow is a new request after a reply, not a resend: a write
// that follows one is not refused.
TEST(CurlTransport, AFollowedRedirectOfAWriteIsNotAResend) {
  LoopbackServer server;
  falcon::CurlTransport transport;
  auto req = post_write(server.url("/redirect"));
  req.follow_redirects = true;
  const auto r = transport.send(req);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.response.status, 200);
  const auto echo = nlohmann::json::parse(r.response.body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["body"], *req.body);
  EXPECT_EQ(transport.stats().resends_refused, 0u);
}

// A coding is offered only when this libcurl decodes it; otherwise every compressed reply would
// be an error, so the transport refuses it when built (a configuration error naming the field).
TEST(CurlTransport, OffersOnlyCodingsThisLibcurlDecodes) {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info, nullptr);
  const std::vector<std::pair<std::string, int>> codings = {
      {"gzip", CURL_VERSION_LIBZ}, {"br", CURL_VERSION_BROTLI}, {"zstd", CURL_VERSION_ZSTD}};
  for (const auto& [coding, feature] : codings) {
    for (const std::string& offer : {coding, "deflate, " + coding, coding + ",deflate"}) {
      falcon::CurlTransportOptions o;
      o.accept_encoding = offer;
      if ((info->features & feature) != 0) {
        EXPECT_NO_THROW(falcon::CurlTransport{o}) << offer;
      } else {
        try {
          falcon::CurlTransport t(o);
          ADD_FAILURE() << offer << " was accepted by a libcurl without " << coding;
        } catch (const falcon::Exception& e) {
          ASSERT_TRUE(e.error().has_value());
          EXPECT_EQ(e.error()->field, "accept_encoding");
          EXPECT_NE(e.error()->message.find(coding), std::string::npos);
        }
      }
    }
  }
}
