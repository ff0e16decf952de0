// libcurl transport. Keep-alive reuse comes from a LIFO pool of easy handles: a handle keeps its
// connections when returned, so sequential calls from one thread reuse one connection, and N
// busy threads use at most N. DNS and TLS sessions are shared through one CURLSH.
#include <curl/curl.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "falcon/http.hpp"
#include "strings.hpp"

namespace falcon {

namespace internal {
constexpr std::size_t kMaxUrl = 8192;
}

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
// has held about the cap, never the cap plus a doubled copy.
struct Sink {
  HttpResponse* response = nullptr;
  std::size_t max_bytes = 0;
  bool too_big = false;
  std::size_t received = 0;
  std::vector<std::string> blocks;  // chunked replies only; joined at the end

  bool append(const char* data, std::size_t n) {
    if (n > max_bytes - received) {
      too_big = true;
      return false;
    }
    received += n;
    std::string& body = response->body;
    if (blocks.empty() && body.capacity() - body.size() >= n) {
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
    if (blocks.size() == 1) {
      body = std::move(blocks.front());
    } else {
      body.clear();
      body.reserve(received);
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
    if (digits && sink->response->body.empty() && sink->blocks.empty()) {
      sink->response->body.reserve(static_cast<std::size_t>(length));
    }
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

}  // namespace

struct CurlTransport::Impl {
  CurlTransportOptions options;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
  std::mutex pool_mu;
  std::vector<EasyHandle> pool;  // LIFO: the most recently used handle has warm connections
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].unlock();
  }

  EasyHandle acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        EasyHandle h = std::move(pool.back());
        pool.pop_back();
        return h;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  void release(EasyHandle h) {
    std::lock_guard<std::mutex> lock(pool_mu);
    pool.push_back(std::move(h));
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
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
  return TransportStats{impl_->requests.load(), impl_->connections.load()};
}

TransportResult CurlTransport::send(const HttpRequest& request) {
  TransportResult result;
  EasyHandle handle = impl_->acquire();
  if (request.fresh_connection && handle) {
    // A write must not reuse a connection; closing the handle's idle one first (instead of
    // letting FRESH_CONNECT open a second beside it) keeps one connection per busy thread.
    handle.reset(curl_easy_init());
  }
  CURL* h = handle.get();
  if (h == nullptr) {
    result.error = Error{ErrorKind::transport, "curl_easy_init failed", "", false, {}, 0};
    return result;
  }
  curl_easy_reset(h);  // keeps the handle's live connections
  const auto& opt = impl_->options;
  Sink sink;
  sink.response = &result.response;
  sink.max_bytes = opt.max_response_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (impl_->share != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, impl_->share);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  // One cached connection per pooled handle: N threads hold at most N connections, and a write
  // that opens a fresh one closes the idle one it replaces.
  curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
  const auto total = request.timeout.count() > 0 ? request.timeout : opt.timeout;
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  if (!opt.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, opt.proxy.c_str());
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, opt.ssl_verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, opt.ssl_verify ? 2L : 0L);
  if (!opt.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opt.ca_bundle.c_str());
  if (request.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
    // Never downgrade https to http on a redirect.
    const bool https = internal::lower(request.url.substr(0, 8)) == "https://";
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
  }
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (request.fresh_connection) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }

  curl_slist* raw = nullptr;
  std::string line;
  for (const auto& [name, value] : request.headers) {
    line.assign(name).append(": ").append(value);
    raw = curl_slist_append(raw, line.c_str());
  }
  raw = curl_slist_append(raw, "Expect:");  // no 100-continue round trip for bodies
  Slist headers(raw);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(h);
  long connects = 0;
  if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    impl_->connections.fetch_add(static_cast<std::uint64_t>(connects));
  }
  if (rc != CURLE_OK) {
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    const bool sent = pretransfer > 0;
    result.error = curl_error(rc, errbuf, sent, sink, request.url.size());
    result.response = HttpResponse{};
    sink.blocks.clear();
    // A handle whose transfer failed may hold a broken connection: drop it.
    return result;
  }
  sink.finish();
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  result.response.status = static_cast<int>(status);
  char* effective = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) {
    result.response.effective_url = effective;
  }
  impl_->requests.fetch_add(1);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  impl_->release(std::move(handle));
  return result;
}

}  // namespace falcon
