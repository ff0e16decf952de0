// libcurl GETs for the feed sources (fetch.hpp).
#include "fetch.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>

namespace falcon_cli::sources {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string host_of(const std::string& url) {
  const auto p = url.find("://");
  if (p == std::string::npos) return "";
  std::string rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') return lower(rest.substr(1, rest.find(']') - 1));
  return lower(rest.substr(0, rest.find(':')));
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // A dotted quad whose first octet is 127 ("127.evil.example" is a name, not loopback).
  int parts = 0;
  std::size_t i = 0;
  int first = -1;
  while (i <= host.size()) {
    std::size_t j = i;
    int v = 0;
    while (j < host.size() && std::isdigit(static_cast<unsigned char>(host[j])) && j - i < 3) {
      v = v * 10 + (host[j] - '0');
      ++j;
    }
    if (j == i || v > 255) return false;
    if (parts == 0) first = v;
    ++parts;
    if (j == host.size()) break;
    if (host[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
  return parts == 4 && first == 127;
}

struct Transfer {
  std::FILE* file = nullptr;
  std::string* text = nullptr;
  std::size_t cap = 0;
  std::size_t bytes = 0;
  bool over_cap = false;
  bool write_failed = false;
  FetchReply* reply = nullptr;
};

extern "C" std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->bytes + len > t->cap) {
    t->over_cap = true;
    return 0;
  }
  t->bytes += len;
  if (t->text) {
    t->text->append(data, len);
  } else if (t->file && std::fwrite(data, 1, len, t->file) != len) {
    t->write_failed = true;
    return 0;
  }
  return len;
}

extern "C" int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel && cancel->load() ? 1 : 0;
}

extern "C" std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  const std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    t->reply->headers.clear();  // a proxy's CONNECT reply or a 100 Continue came first
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return len;
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string value = trim(line.substr(colon + 1));
  if (name == "content-length") {
    // Refuse at once what the server says is too large, rather than after reading the cap.
    char* end = nullptr;
    const unsigned long long declared = std::strtoull(value.c_str(), &end, 10);
    if (end != value.c_str() && declared > t->cap) {
      t->over_cap = true;
      return 0;
    }
  }
  t->reply->headers[name] = value;
  return len;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

void init_once() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!done) throw SourceError("libcurl could not be initialised");
}

// One request, no redirect followed. `file` or `text` receives the body.
FetchReply get_once(const std::string& url, const std::vector<std::string>& headers,
                    const FetchSettings& s, std::size_t cap, std::FILE* file, std::string* text,
                    std::string& redirect) {
  init_once();
  std::unique_ptr<CURL, CurlDeleter> h(curl_easy_init());
  if (!h) throw SourceError("libcurl could not create a handle");
  FetchReply reply;
  Transfer t;
  t.file = file;
  t.text = text;
  t.cap = cap;
  t.reply = &reply;
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& hd : headers) {
    curl_slist* next = curl_slist_append(list.get(), hd.c_str());
    if (!next) throw SourceError("out of memory building the request headers");
    (void)list.release();
    list.reset(next);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(s.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s.ssl_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s.ssl_verify ? 2L : 0L);
  if (!s.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.ca_bundle.c_str());
  if (!s.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, s.proxy.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, s.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (s.cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s.cancel);
  }
  const CURLcode rc = curl_easy_perform(c);
  const std::string where = origin_of(url);
  if (t.over_cap) {
    throw SourceError(where + ": the reply is larger than the size cap of " + std::to_string(cap) +
                      " bytes; nothing read from it");
  }
  if (t.write_failed) throw SourceError("cannot write the spool file for " + where);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw SourceError(where + ": interrupted");
  if (rc == CURLE_PARTIAL_FILE) {
    throw SourceError(where + ": the transfer was cut short (" + std::to_string(t.bytes) +
                      " bytes received, fewer than the server announced); nothing read from it");
  }
  if (rc != CURLE_OK) {
    throw SourceError(where + ": " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  reply.url = url;
  reply.bytes = t.bytes;
  char* loc = nullptr;
  redirect.clear();
  if (status >= 300 && status < 400 && status != 304 &&
      curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
    redirect = loc;
  }
  return reply;
}

template <class Once>
FetchReply follow(const std::string& start, const FetchSettings& s, Once once) {
  std::string url = start;
  for (int hop = 0;; ++hop) {
    std::string redirect;
    FetchReply r = once(url, redirect);
    if (redirect.empty()) return r;
    if (lower(redirect).rfind("https://", 0) != 0) {
      throw SourceError(origin_of(url) + " redirected to '" + redirect +
                        "': redirects are followed only to https://");
    }
    if (hop + 1 > s.max_redirects) {
      throw SourceError(origin_of(start) + ": more than " + std::to_string(s.max_redirects) +
                        " redirects");
    }
    url = redirect;
  }
}

}  // namespace

std::string FetchReply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

void check_url(const std::string& url, const std::string& what) {
  const std::string l = lower(url);
  if (l.rfind("https://", 0) == 0 && !host_of(url).empty()) return;
  if (l.rfind("http://", 0) == 0 && !host_of(url).empty()) {
    if (is_loopback(host_of(url))) return;
    throw SourceError(what + " '" + url +
                      "': plain http:// is refused for a host that is not loopback; use https://");
  }
  throw SourceError(what + " '" + url + "' is not an https:// URL");
}

std::string origin_of(const std::string& url) {
  const auto p = url.find("://");
  if (p == std::string::npos) return url;
  const auto end = url.find_first_of("/?#", p + 3);
  std::string o = url.substr(0, end);
  // Never print credentials a URL may carry.
  if (auto at = o.rfind('@'); at != std::string::npos && at > p) o.erase(p + 3, at + 1 - p - 3);
  return o;
}

FetchReply fetch_to_file(const std::string& url, const std::vector<std::string>& headers,
                         const FetchSettings& s, const std::string& path) {
  check_url(url, "feed URL");
  return follow(url, s, [&](const std::string& u, std::string& redirect) {
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
    if (!f) throw SourceError("cannot write the spool file " + path);
    FetchReply r = get_once(u, headers, s, s.max_bytes, f.get(), nullptr, redirect);
    if (std::fflush(f.get()) != 0) throw SourceError("cannot write the spool file " + path);
    return r;
  });
}

FetchReply fetch_to_string(const std::string& url, const std::vector<std::string>& headers,
                           const FetchSettings& s, std::size_t max_bytes) {
  check_url(url, "URL");
  return follow(url, s, [&](const std::string& u, std::string& redirect) {
    std::string body;
    FetchReply r = get_once(u, headers, s, max_bytes, nullptr, &body, redirect);
    r.body = std::move(body);
    return r;
  });
}

std::string media_type(const std::string& content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::string url_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace falcon_cli::sources
