/// @file http.hpp
/// The transport seam: a plain HttpRequest goes in, an HttpResponse (any status) or an Error
/// comes out. CurlTransport is the default; users may plug in their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "falcon/error.hpp"

namespace falcon {

/// ASCII case-insensitive ordering, so header lookups ignore case as HTTP requires.
struct CaseInsensitiveLess {
  /// Enables heterogeneous lookup: find(std::string_view) builds no std::string.
  using is_transparent = void;
  /// True when `a` sorts before `b` with ASCII letters compared case-insensitively.
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

/// HTTP header fields; names compare case-insensitively and repeated fields are kept.
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

/// The first value of header `name`, or nullopt.
std::optional<std::string_view> header_value(const Headers& headers, std::string_view name);

/// One HTTP request, built once by the SDK and handed to a transport unchanged.
struct HttpRequest {
  std::string method;  ///< "GET", "POST", "PATCH", "DELETE".
  std::string url;     ///< Absolute URL with an already percent-encoded query.
  /// Header fields to send. Client::send() sets Authorization; build_http_request() leaves it
  /// out.
  Headers headers;
  std::optional<std::string> body;  ///< nullopt: no body at all (GET, DELETE).
  /// Overrides the transport's total timeout for this request when non-zero.
  std::chrono::milliseconds timeout{0};
  /// Follow 3xx replies (only the OAuth2 calls set this).
  bool follow_redirects = false;
  /// Never send this request twice. Set for non-idempotent requests: libcurl silently resends a
  /// request once when a reused keep-alive connection turns out to be dead, which for a create
  /// whose first copy did reach the server would write twice. CurlTransport sends such a request
  /// on a connection used less than a second ago, or on a new one, and refuses libcurl's resend
  /// (the call fails with Error::request_sent set); without that guard it opens a new
  /// connection. A custom transport must never send it twice either.
  bool fresh_connection = false;
};

/// One HTTP reply. Any status, 5xx included, is a transport success.
struct HttpResponse {
  int status = 0;    ///< HTTP status code.
  Headers headers;   ///< Reply header fields.
  std::string body;  ///< Reply body as received (decompressed), possibly empty.
  /// The URL that finally answered (differs from the request URL after a followed redirect).
  std::string effective_url;
};

/// What a transport returns: a response, or an error of kind transport or timeout.
struct TransportResult {
  HttpResponse response;       ///< The reply; meaningful only when ok().
  std::optional<Error> error;  ///< The failure, kind transport or timeout.
  /// True when a reply arrived (whatever its status).
  bool ok() const noexcept { return !error.has_value(); }
};

/// The transport interface. Implementations must be safe to call from many threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Sends one request. Never throws for network problems: those come back as an Error.
  virtual TransportResult send(const HttpRequest& request) = 0;
};

/// Settings of the libcurl transport (Client fills them from its Config).
struct CurlTransportOptions {
  /// Time allowed to open a connection (TCP and TLS).
  std::chrono::milliseconds connect_timeout{10'000};
  /// Total time of one request, unless HttpRequest::timeout overrides it.
  std::chrono::milliseconds timeout{60'000};
  std::string proxy;       ///< e.g. "http://proxy:3128"; empty: none (curl's env vars still apply).
  bool ssl_verify = true;  ///< Verify the server's certificate and host name.
  std::string ca_bundle;   ///< PEM file used to verify the server; empty: the system store.
  /// Replies larger than this are refused with a transport error instead of filling memory.
  std::size_t max_response_bytes = 256u << 20;
  /// Accept-Encoding offered (Config::accept_encoding); "" or "identity": none, no decoding.
  std::string accept_encoding = "gzip, deflate";
};

/// Connection statistics of a CurlTransport, for benchmarks and tests.
struct TransportStats {
  std::uint64_t requests = 0;         ///< Requests that got a reply.
  std::uint64_t new_connections = 0;  ///< TCP connections opened (curl's CURLINFO_NUM_CONNECTS).
  std::uint64_t open_sockets = 0;     ///< Sockets open right now (idle keep-alive ones included).
  /// Most sockets open at once since construction: what the transport held at its peak.
  std::uint64_t peak_open_sockets = 0;
  /// Writes (HttpRequest::fresh_connection) that went on a kept connection.
  std::uint64_t writes_on_kept_connection = 0;
  /// Writes whose connection died after sending and that libcurl would have sent again:
  /// refused, and reported as a transport error with request_sent.
  std::uint64_t resends_refused = 0;
  /// CA certificate stores built (the CA bundle read and parsed): at most one per transport
  /// with libcurl's OpenSSL backend, whatever the number of connections and threads.
  std::uint64_t ca_loads = 0;
  /// TLS handshakes completed, one per new TLS connection (OpenSSL backend).
  std::uint64_t tls_handshakes = 0;
  /// Of tls_handshakes, those that resumed an earlier session (no certificate exchange).
  std::uint64_t tls_resumed = 0;
};

/// The default transport: pooled libcurl easy handles, each keeping its connection, sharing one
/// DNS cache, one TLS session cache and (with libcurl's OpenSSL backend) one CA store loaded on
/// the first TLS connection, so keep-alive connections are reused across calls and threads.
/// @par Thread safety
/// send() may be called from any number of threads at once.
class CurlTransport final : public HttpTransport {
 public:
  /// Sets up the shared DNS and TLS session caches; no connection is opened and no file read
  /// yet.
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  TransportResult send(const HttpRequest& request) override;
  /// Counters since construction.
  TransportStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace falcon
