// HTTP GETs for falcon-ioc's feed sources (HTTPS feed URLs, TAXII, MISP): libcurl with TLS
// verification, the SDK's proxy/CA settings, connect and total timeouts, a byte cap, and
// redirects followed by hand and only to https. Every byte of a reply is untrusted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace falcon_cli::sources {

/// A source failed (unreachable, refused, over a cap, malformed): nothing may be planned from it.
struct SourceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How to fetch (from falcon::Config and the feed options).
struct FetchSettings {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{300'000};
  std::string proxy;  ///< empty: libcurl's environment variables apply
  bool ssl_verify = true;
  std::string ca_bundle;  ///< empty: the system store
  std::size_t max_bytes = std::size_t{1} << 30;
  std::string user_agent = "falcon-ioc";
  int max_redirects = 5;
  /// Set (by Ctrl-C) to abandon a transfer at once; nullptr: never.
  const std::atomic<bool>* cancel = nullptr;
};

/// One reply. Header names are lower-cased; a repeated header keeps its last value.
struct FetchReply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string url;  ///< The URL that answered (after redirects).
  std::size_t bytes = 0;
  std::string body;  ///< fetch_to_string only.
  std::string header(const std::string& lower_name) const;
};

/// Refuses what is not https:// (plain http:// is for loopback hosts only, the SDK's rule),
/// naming `what` (e.g. "feed URL") in the message.
void check_url(const std::string& url, const std::string& what);

/// The host[:port] of an absolute URL, for messages.
std::string origin_of(const std::string& url);

/// GETs `url` into the file `path` (created, truncated). Any status comes back (a 304 with no
/// body too); a transport failure, a truncated transfer or a body past settings.max_bytes
/// throws SourceError. A redirect is followed only to https, at most max_redirects times.
FetchReply fetch_to_file(const std::string& url, const std::vector<std::string>& headers,
                         const FetchSettings& settings, const std::string& path);

/// The same into memory, with its own cap (`max_bytes`).
FetchReply fetch_to_string(const std::string& url, const std::vector<std::string>& headers,
                           const FetchSettings& settings, std::size_t max_bytes);

/// The media type of a Content-Type value, lower-cased, parameters removed ("text/html").
std::string media_type(const std::string& content_type);

/// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

}  // namespace falcon_cli::sources
