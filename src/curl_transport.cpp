// libcurl transport. Keep-alive reuse comes from a LIFO pool of easy handles: a handle keeps its
// connections when returned, so sequential calls from one thread reuse one connection, and N
// busy threads use at most N. DNS and TLS sessions are shared through one CURLSH.
// Hot path: a handle is configured once when created; a call sets only what differs per
// request (URL, method, body, timeout) and rebuilds the header list only when the headers
// changed (in practice: when the token does).
// Writes (HttpRequest::fresh_connection) may go on a kept connection, but never twice: see
// on_prereq. Over TLS with libcurl's OpenSSL backend the CA store is built once per transport
// and handed to every new connection (on_ssl_ctx); docs/design-notes.md, "Writes over HTTPS".
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/http.hpp"
#include "strings.hpp"

namespace falcon {

namespace internal {
constexpr std::size_t kMaxUrl = 8192;
// Bytes kept free after a reply body so a SIMD JSON parser may read past its end
// (simdjson's SIMDJSON_PADDING); see response.cpp.
constexpr std::size_t kBodyPadding = 64;
// A write goes on a kept connection only when it has been idle for less than this (libcurl's
// CURLOPT_MAXAGE_CONN, whole seconds: 0 means under one second); an older one is closed and a
// new one opened. Far below any server's keep-alive timeout, so a server closing an idle
// connection just as a write starts on it (which would fail the write) does not happen.
constexpr long kWriteMaxIdleSeconds = 0;
// libcurl's default for everything else.
constexpr long kReadMaxIdleSeconds = 118;
}  // namespace internal

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Collects the reply. With a Content-Length the body is reserved once at its size (refused at
// once when over the cap); without one (chunked) it grows in blocks, so a reply cut at the cap
// has held about the cap, never the cap plus a doubled copy. A compressed reply's length is the
// compressed one: 16 times it (at most 64 MiB, and the cap) is reserved, what a page of records
// decodes to, so the decoded page is not copied from blocks once more at the end.
struct Sink {
  HttpResponse* response = nullptr;
  std::size_t max_bytes = 0;
  bool too_big = false;
  bool status_seen = false;  // a status line arrived since the request was last sent
  std::size_t received = 0;
  std::uint64_t declared = 0;       // the reply's Content-Length
  bool encoded = false;             // a Content-Encoding other than identity
  std::vector<std::string> blocks;  // chunked replies only; joined at the end

  void presize() {
    std::uint64_t want = declared;
    if (encoded) {
      constexpr std::uint64_t kGuessCap = std::uint64_t{64} << 20;  // a guess, so bounded
      want = std::max(declared, declared > kGuessCap / 16 ? kGuessCap : declared * 16);
    }
    want = std::min<std::uint64_t>(want, max_bytes);
    if (want > 0) response->body.reserve(static_cast<std::size_t>(want) + internal::kBodyPadding);
  }

  bool append(const char* data, std::size_t n) {
    if (n > max_bytes - received) {
      too_big = true;
      return false;
    }
    if (received == 0 && blocks.empty() && response->body.empty()) presize();
    received += n;
    std::string& body = response->body;
    if (blocks.empty() && body.capacity() - body.size() >= n + internal::kBodyPadding) {
      body.append(data, n);
      return true;
    }
    if (blocks.empty()) blocks.push_back(std::move(body));
    while (n > 0) {
      std::string& last = blocks.back();
      if (last.capacity() == last.size()) {
        const std::size_t next = std::min<std::size_t>(
            std::max<std::size_t>(last.size() * 2, 16384), std::size_t{4} << 20);
        blocks.emplace_back();
        blocks.back().reserve(std::min(next, max_bytes - (received - n)));
        continue;
      }
      const std::size_t take = std::min(n, blocks.back().capacity() - blocks.back().size());
      blocks.back().append(data, take);
      data += take;
      n -= take;
    }
    return true;
  }

  void finish() {
    if (blocks.empty()) return;
    std::string& body = response->body;
    if (blocks.size() == 1 && blocks.front().capacity() - received >= internal::kBodyPadding) {
      body = std::move(blocks.front());
    } else {
      body.clear();
      body.reserve(received + internal::kBodyPadding);
      for (auto& b : blocks) {
        body += b;
        std::string().swap(b);
      }
    }
    blocks.clear();
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * nmemb;
  return sink->append(data, n) ? n : 0;  // 0 aborts the transfer with CURLE_WRITE_ERROR
}

std::size_t on_header(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * nmemb;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    sink->response->headers.clear();  // a new response (after a redirect or 100 Continue)
    sink->status_seen = true;
    sink->declared = 0;
    sink->encoded = false;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  auto name = internal::trim(line.substr(0, colon));
  auto value = internal::trim(line.substr(colon + 1));
  if (name.empty()) return n;
  if (internal::iequals(name, "Content-Length")) {
    std::uint64_t length = 0;
    bool digits = !value.empty();
    for (char c : value) {
      if (c < '0' || c > '9' || length > (UINT64_MAX - 9) / 10) {
        digits = false;
        break;
      }
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (digits && length > sink->max_bytes) {
      sink->too_big = true;
      return 0;  // refused before reading a byte of the body
    }
    if (digits) sink->declared = length;  // reserved at the body's first bytes (presize)
  } else if (internal::iequals(name, "Content-Encoding")) {
    sink->encoded = !value.empty() && !internal::iequals(value, "identity");
  }
  sink->response->headers.emplace(std::string(name), std::string(value));
  return n;
}

Error curl_error(CURLcode code, const char* detail, bool sent, const Sink& sink,
                 std::size_t url_bytes) {
  Error e;
  e.kind = ErrorKind::transport;
  e.request_sent = sent;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      e.kind = ErrorKind::timeout;
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      e.request_sent = false;  // failed before any request byte was written
      break;
    default:
      break;
  }
  if (sink.too_big) {
    e.message = "reply larger than max_response_bytes (" + std::to_string(sink.max_bytes) +
                " bytes); refused";
  } else if (code == CURLE_OUT_OF_MEMORY || code == CURLE_RECV_ERROR) {
    // libcurl reports an oversized reply header line (over 100 KiB) or URL this way.
    e.message = std::string(curl_easy_strerror(code));
    if (detail != nullptr && *detail != '\0') e.message += std::string(" (") + detail + ")";
    if (url_bytes > internal::kMaxUrl) {
      e.message += ": the request URL is " + std::to_string(url_bytes) + " bytes, too long";
    } else if (code == CURLE_OUT_OF_MEMORY) {
      e.message += ": a reply header was larger than libcurl accepts (100 KiB per header)";
    }
  } else {
    e.message = std::string(curl_easy_strerror(code));
    if (detail != nullptr && *detail != '\0') e.message += std::string(" (") + detail + ")";
  }
  return e;
}

// ---- TLS: one CA store per transport --------------------------------------------------------
//
// libcurl 7.x builds a new SSL_CTX for every new connection and fills its certificate store from
// CURLOPT_CAINFO/CAPATH (the system bundle is ~140 PEM certificates: milliseconds of CPU); its
// own CA cache (CURLOPT_CA_CACHE_TIMEOUT) lives in the easy handle's private multi handle, so it
// is lost with the handle. Here the store is built once, on the first TLS connection, and every
// later SSL_CTX takes a reference to it (SSL_CTX_set1_cert_store; an X509_STORE is safe to share
// between threads). libcurl is then told to load nothing itself, so a connection whose callback
// did not run would fail verification rather than pass it.

// True when libcurl's TLS backend is the OpenSSL this file is compiled against: the SSL_CTX*
// libcurl hands to CURLOPT_SSL_CTX_FUNCTION is then one this code may use.
bool curl_uses_our_openssl() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr || info->ssl_version == nullptr) return false;
  const std::string_view v(info->ssl_version);     // "OpenSSL/3.0.19"; "(OpenSSL/..) X" when not
  constexpr std::string_view prefix = "OpenSSL/";  // the selected backend of a multi-SSL build
  if (v.substr(0, prefix.size()) != prefix) return false;
  unsigned long major = 0;
  for (std::size_t i = prefix.size(); i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
    major = major * 10 + static_cast<unsigned long>(v[i] - '0');
  }
  return major == (OPENSSL_VERSION_NUMBER >> 28) && major == (OpenSSL_version_num() >> 28);
}

int ssl_ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int ssl_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

struct TlsShared {
  bool verify = true;
  std::string ca_bundle;                  // empty: libcurl's built-in defaults below
  std::string default_file, default_dir;  // CURLINFO_CAINFO / CURLINFO_CAPATH
  std::mutex mu;
  X509_STORE* store = nullptr;  // one reference owned here
  std::string load_error;       // why the last load failed
  std::atomic<std::uint64_t> ca_loads{0};
  std::atomic<std::uint64_t> handshakes{0};
  std::atomic<std::uint64_t> resumed{0};

  ~TlsShared() {
    if (store != nullptr) X509_STORE_free(store);
  }

  // The shared store, built on first use; nullptr (and load_error) when it cannot be.
  X509_STORE* get_store() {
    std::lock_guard<std::mutex> lock(mu);
    if (store != nullptr) return store;
    X509_STORE* s = X509_STORE_new();
    if (s == nullptr) {
      load_error = "out of memory";
      return nullptr;
    }
    // Config::ca_bundle alone when given (not the system store beside it); otherwise what
    // libcurl itself would load: its built-in bundle file and directory.
    const std::string& file = ca_bundle.empty() ? default_file : ca_bundle;
    const std::string dir = ca_bundle.empty() ? default_dir : std::string();
    ERR_clear_error();
    int ok = 1;
    if (file.empty() && dir.empty()) {
      ok = X509_STORE_set_default_paths(s);
    } else {
      ok = X509_STORE_load_locations(s, file.empty() ? nullptr : file.c_str(),
                                     dir.empty() ? nullptr : dir.c_str());
    }
    if (ok != 1) {
      char reason[256] = {0};
      ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
      ERR_clear_error();
      load_error = "cannot load CA certificates from '" + (file.empty() ? dir : file) + "'" +
                   (reason[0] != '\0' ? std::string(": ") + reason : std::string());
      X509_STORE_free(s);
      return nullptr;
    }
    // As libcurl sets them on the store it builds: prefer the trust store's issuers, and let an
    // intermediate in the store anchor a chain.
    X509_STORE_set_flags(s, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
    store = s;
    ca_loads.fetch_add(1);
    return store;
  }

  std::string last_load_error() {
    std::lock_guard<std::mutex> lock(mu);
    return load_error;
  }
};

// Counts each connection's handshake once (a TLS 1.3 session ticket arriving later may report
// HANDSHAKE_DONE again), and whether it resumed a session.
void on_tls_info(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  SSL* s = const_cast<SSL*>(ssl);  // ex_data is set through a non-const pointer
  if (SSL_get_ex_data(s, ssl_index()) != nullptr) return;
  auto* tls = static_cast<TlsShared*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ssl_ctx_index()));
  if (tls == nullptr) return;
  SSL_set_ex_data(s, ssl_index(), tls);
  tls->handshakes.fetch_add(1);
  if (SSL_session_reused(s) == 1) tls->resumed.fetch_add(1);
}

// CURLOPT_SSL_CTX_FUNCTION: runs for every new TLS connection, after libcurl set the context up
// and before the handshake.
CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
  auto* tls = static_cast<TlsShared*>(user);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (tls->verify) {
    X509_STORE* store = tls->get_store();
    if (store == nullptr) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store(ctx, store);  // takes its own reference
  }
  SSL_CTX_set_ex_data(ctx, ssl_ctx_index(), tls);
  if (SSL_CTX_get_info_callback(ctx) == nullptr) SSL_CTX_set_info_callback(ctx, &on_tls_info);
  return CURLE_OK;
}

// One pooled easy handle with everything that stays the same from call to call.
struct Conn {
  EasyHandle handle;
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  Slist header_list;
  std::vector<std::pair<std::string, std::string>> header_fields;  // what header_list holds
  long timeout_ms = -1;
  long max_idle_s = -1;
  bool follow = false;
  bool guarded = false;    // CURLOPT_PREREQFUNCTION is set: on_prereq sees every send
  bool no_resend = false;  // this call's request must not be sent twice
  int sends = 0;           // times libcurl started sending this call's request
  bool resend_refused = false;

  // Rebuilds the curl header list only when `headers` differ from the last call's.
  void set_headers(const Headers& headers) {
    bool same = header_list != nullptr && header_fields.size() == headers.size();
    if (same) {
      auto it = header_fields.begin();
      for (const auto& [name, value] : headers) {
        if (it->first != name || it->second != value) {
          same = false;
          break;
        }
        ++it;
      }
    }
    if (same) return;
    header_fields.assign(headers.begin(), headers.end());
    curl_slist* raw = nullptr;
    std::string line;
    for (const auto& [name, value] : headers) {
      line.assign(name).append(": ").append(value);
      raw = curl_slist_append(raw, line.c_str());
    }
    raw = curl_slist_append(raw, "Expect:");  // no 100-continue round trip for bodies
    header_list.reset(raw);
    curl_easy_setopt(handle.get(), CURLOPT_HTTPHEADER, header_list.get());
  }
};

// CURLOPT_PREREQFUNCTION: runs each time libcurl is about to send the request, on a new or a
// kept connection. libcurl sends a request again, unasked, when a kept connection dies before a
// byte of reply (the server may well have acted on the first copy); that is a second send with
// no status line since the first. For a write it is refused, so a write is sent at most once
// whatever connection it goes on. A redirect's new request follows a status line: not refused.
int on_prereq(void* user, char*, char*, int, int) {
  auto* c = static_cast<Conn*>(user);
  const bool resend = c->sends > 0 && !c->sink.status_seen;
  ++c->sends;
  c->sink.status_seen = false;
  if (resend && c->no_resend) {
    c->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

}  // namespace

struct CurlTransport::Impl {
  CurlTransportOptions options;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
  std::mutex pool_mu;
  std::vector<std::unique_ptr<Conn>> pool;  // LIFO: the last one used has a warm connection
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> open_sockets{0};
  std::atomic<std::uint64_t> peak_open_sockets{0};
  std::atomic<std::uint64_t> writes_on_kept{0};
  std::atomic<std::uint64_t> resends_refused{0};
  std::unique_ptr<TlsShared> tls;  // null: libcurl's TLS backend is not our OpenSSL

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].unlock();
  }

  // Every socket the transport uses is opened and closed here, so the gauge is exact.
  static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
    const curl_socket_t fd = ::socket(address->family, address->socktype, address->protocol);
    if (fd == CURL_SOCKET_BAD) return fd;
    auto* self = static_cast<Impl*>(user);
    const std::uint64_t now = self->open_sockets.fetch_add(1) + 1;
    std::uint64_t peak = self->peak_open_sockets.load();
    while (now > peak && !self->peak_open_sockets.compare_exchange_weak(peak, now)) {
    }
    return fd;
  }
  static int close_socket(void* user, curl_socket_t fd) {
    static_cast<Impl*>(user)->open_sockets.fetch_sub(1);
    return ::close(fd);
  }

  // A new handle with the per-transport settings applied once.
  std::unique_ptr<Conn> make_conn() {
    auto c = std::make_unique<Conn>();
    c->handle.reset(curl_easy_init());
    CURL* h = c->handle.get();
    if (h == nullptr) return nullptr;
    const auto& opt = options;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (share != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &c->sink);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &Impl::close_socket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, this);
    // "" would offer every encoding this libcurl decodes (brotli, zstd too); the choice is the
    // caller's (Config::accept_encoding). identity: no header, nothing to decode.
    const std::string& enc = opt.accept_encoding;
    if (!enc.empty() && enc != "identity") {
      curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, enc.c_str());
    }
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // One cached connection per pooled handle: N threads hold at most N connections, and a write
    // that opens a fresh one closes the idle one it replaces.
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
    if (!opt.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, opt.proxy.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, opt.ssl_verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, opt.ssl_verify ? 2L : 0L);
    if (tls != nullptr && curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_ctx) == CURLE_OK) {
      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, tls.get());
      // The shared store is the only one: libcurl loads no file or directory of its own.
      curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
    } else if (!opt.ca_bundle.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, opt.ca_bundle.c_str());
    }
    c->guarded = curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, &on_prereq) == CURLE_OK &&
                 curl_easy_setopt(h, CURLOPT_PREREQDATA, c.get()) == CURLE_OK;
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    return c;
  }

  std::unique_ptr<Conn> acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        std::unique_ptr<Conn> c = std::move(pool.back());
        pool.pop_back();
        return c;
      }
    }
    return make_conn();
  }

  void release(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> lock(pool_mu);
    pool.push_back(std::move(c));
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
  // Offering a coding this libcurl cannot decode would turn every compressed reply into an error.
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  const std::string& enc = impl_->options.accept_encoding;
  for (const auto& [coding, feature] : {std::pair<const char*, int>{"br", CURL_VERSION_BROTLI},
                                        std::pair<const char*, int>{"zstd", CURL_VERSION_ZSTD},
                                        std::pair<const char*, int>{"gzip", CURL_VERSION_LIBZ}}) {
    bool offered = false;
    for (std::size_t at = enc.find(coding); at != std::string::npos;
         at = enc.find(coding, at + 1)) {
      const std::size_t end = at + std::strlen(coding);
      offered |= (at == 0 || enc[at - 1] == ',' || enc[at - 1] == ' ') &&
                 (end == enc.size() || enc[end] == ',' || enc[end] == ' ');
    }
    if (offered && (info == nullptr || (info->features & feature) == 0)) {
      throw Exception(Error{
          ErrorKind::configuration,
          std::string("accept_encoding offers ") + coding + ", which this libcurl cannot decode",
          "accept_encoding",
          false,
          {},
          0});
    }
  }
  if (curl_uses_our_openssl()) {
    auto tls = std::make_unique<TlsShared>();
    tls->verify = impl_->options.ssl_verify;
    tls->ca_bundle = impl_->options.ca_bundle;
    // libcurl's built-in CA locations, read from a handle before anything overrides them.
    if (CURL* probe = curl_easy_init()) {
      char* path = nullptr;
      if (curl_easy_getinfo(probe, CURLINFO_CAINFO, &path) == CURLE_OK && path != nullptr) {
        tls->default_file = path;
      }
      path = nullptr;
      if (curl_easy_getinfo(probe, CURLINFO_CAPATH, &path) == CURLE_OK && path != nullptr) {
        tls->default_dir = path;
      }
      curl_easy_cleanup(probe);
    }
    impl_->tls = std::move(tls);
  }
  impl_->share = curl_share_init();
  if (impl_->share != nullptr) {
    curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::lock);
    curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
    curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
    curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
}

CurlTransport::~CurlTransport() {
  impl_->pool.clear();  // easy handles go before the share they use
  if (impl_->share != nullptr) curl_share_cleanup(impl_->share);
}

TransportStats CurlTransport::stats() const {
  TransportStats s;
  s.requests = impl_->requests.load();
  s.new_connections = impl_->connections.load();
  s.open_sockets = impl_->open_sockets.load();
  s.peak_open_sockets = impl_->peak_open_sockets.load();
  s.writes_on_kept_connection = impl_->writes_on_kept.load();
  s.resends_refused = impl_->resends_refused.load();
  if (impl_->tls != nullptr) {
    s.ca_loads = impl_->tls->ca_loads.load();
    s.tls_handshakes = impl_->tls->handshakes.load();
    s.tls_resumed = impl_->tls->resumed.load();
  }
  return s;
}

TransportResult CurlTransport::send(const HttpRequest& request) {
  TransportResult result;
  std::unique_ptr<Conn> conn = impl_->acquire();
  // A write goes on the handle's kept connection when on_prereq can stop libcurl from sending
  // it twice. Without that guard it takes a fresh connection: on a new handle, closing the idle
  // one first (rather than FRESH_CONNECT opening a second beside it) keeps one per busy thread.
  const bool write = request.fresh_connection;
  if (write && conn && !conn->guarded) {
    conn.reset();
    conn = impl_->make_conn();
  }
  if (!conn) {
    result.error = Error{ErrorKind::transport, "curl_easy_init failed", "", false, {}, 0};
    return result;
  }
  CURL* h = conn->handle.get();
  const auto& opt = impl_->options;
  Sink& sink = conn->sink;
  sink = Sink{};
  sink.response = &result.response;
  sink.max_bytes = opt.max_response_bytes;
  conn->errbuf[0] = '\0';

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  const auto total = request.timeout.count() > 0 ? request.timeout : opt.timeout;
  const long timeout_ms = static_cast<long>(total.count());
  if (timeout_ms != conn->timeout_ms) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    conn->timeout_ms = timeout_ms;
  }
  if (request.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    // Never downgrade https to http on a redirect.
    const bool https = internal::lower(request.url.substr(0, 8)) == "https://";
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    conn->follow = true;
  } else if (conn->follow) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    conn->follow = false;
  }
  const bool fresh = write && !conn->guarded;
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
  conn->no_resend = write;
  conn->sends = 0;
  conn->resend_refused = false;
  const long max_idle = write ? internal::kWriteMaxIdleSeconds : internal::kReadMaxIdleSeconds;
  if (max_idle != conn->max_idle_s) {
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, max_idle);
    conn->max_idle_s = max_idle;
  }

  // HTTPGET/POST reset the previous call's method; CUSTOMREQUEST names any other verb.
  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, nullptr);
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, nullptr);
  } else {
    curl_easy_setopt(h, request.body ? CURLOPT_POST : CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }
  conn->set_headers(request.headers);

  const CURLcode rc = curl_easy_perform(h);
  long connects = 0;
  if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    impl_->connections.fetch_add(static_cast<std::uint64_t>(connects));
  }
  if (rc != CURLE_OK) {
    if (conn->resend_refused) {
      impl_->resends_refused.fetch_add(1);
      result.error = Error{ErrorKind::transport,
                           "the connection closed after the request was sent and before any "
                           "reply; a write is never sent twice, so it was not sent again (it "
                           "may or may not have been applied)",
                           "",
                           true,
                           {},
                           0};
    } else {
      curl_off_t pretransfer = 0;
      curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
      const bool sent = pretransfer > 0;
      result.error = curl_error(rc, conn->errbuf, sent, sink, request.url.size());
      if (rc == CURLE_SSL_CACERT_BADFILE && impl_->tls != nullptr) {
        const std::string why = impl_->tls->last_load_error();
        if (!why.empty()) result.error->message = why;
      }
    }
    result.response = HttpResponse{};
    // A handle whose transfer failed may hold a broken connection: drop it.
    return result;
  }
  if (write && connects == 0) impl_->writes_on_kept.fetch_add(1);
  sink.finish();
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  result.response.status = static_cast<int>(status);
  if (request.follow_redirects) {
    char* effective = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) {
      result.response.effective_url = effective;
    }
  } else {
    result.response.effective_url = request.url;
  }
  impl_->requests.fetch_add(1);
  sink = Sink{};
  impl_->release(std::move(conn));
  return result;
}

}  // namespace falcon
