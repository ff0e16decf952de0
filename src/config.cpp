#include "falcon/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "strings.hpp"

namespace falcon {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
    case LogLevel::off:
      return "off";
  }
  return "unknown";
}

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

Error config_error(std::string field, std::string message) {
  Error e;
  e.kind = ErrorKind::configuration;
  e.field = std::move(field);
  e.message = std::move(message);
  e.attempts = 0;
  return e;
}

}  // namespace

Config Config::from_env() {
  Config c;
  c.client_id = env_or("FALCON_CLIENT_ID", "");
  c.client_secret = env_or("FALCON_CLIENT_SECRET", "");
  if (auto m = env_or("FALCON_MEMBER_CID", ""); !m.empty()) c.member_cid = m;
  c.base_url = env_or("FALCON_BASE_URL", c.base_url);
  return c;
}

namespace {

// The one table of Falcon clouds: canonical name and API base URL. "auto" is an alias of us-1
// (the token request's X-CS-Region moves a cloud name to the cloud of the credentials).
struct Cloud {
  std::string_view name;
  std::string_view url;
};
constexpr Cloud kClouds[] = {
    {"us-1", "https://api.crowdstrike.com"},
    {"us-2", "https://api.us-2.crowdstrike.com"},
    {"us-3", "https://api.us-3.crowdstrike.com"},
    {"eu-1", "https://api.eu-1.crowdstrike.com"},
    {"us-gov-1", "https://api.laggar.gcw.crowdstrike.com"},
    {"us-gov-2", "https://api.us-gov-2.crowdstrike.mil"},
};
constexpr std::string_view kAutoCloud = "auto";

// Case-insensitive, dashes and underscores optional: "US-1", "us1", "usgov1", "us_gov_1".
std::string cloud_key(std::string_view name) {
  std::string key;
  for (char ch : name) {
    if (ch == '-' || ch == '_') continue;
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return key;
}

// "us-1, us-2, ..., auto": the names an error message offers.
std::string cloud_name_list() {
  std::string out;
  for (std::string_view name : cloud_names()) {
    out += name;
    out += ", ";
  }
  return out + std::string(kAutoCloud);
}

}  // namespace

const std::vector<std::string_view>& cloud_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const Cloud& c : kClouds) v.push_back(c.name);
    return v;
  }();
  return names;
}

std::optional<std::string> cloud_base_url(std::string_view name) {
  const std::string key = cloud_key(name);
  if (key == cloud_key(kAutoCloud)) return std::string(kClouds[0].url);
  for (const Cloud& c : kClouds) {
    if (key == cloud_key(c.name)) return std::string(c.url);
  }
  return std::nullopt;
}

std::optional<ResolvedBaseUrl> resolve_base_url(std::string_view value, Error* why) {
  auto fail = [&](std::string msg) -> std::optional<ResolvedBaseUrl> {
    if (why != nullptr) *why = config_error("base_url", std::move(msg));
    return std::nullopt;
  };
  std::string v(internal::trim(value));
  if (v.empty()) {
    return fail("base_url is empty; give a cloud name (" + cloud_name_list() + ") or a URL");
  }
  if (auto url = cloud_base_url(v)) return ResolvedBaseUrl{*url, true};
  auto scheme_end = v.find("://");
  if (scheme_end == std::string::npos) {
    return fail("'" + v + "' is neither a cloud name (" + cloud_name_list() +
                ") nor a URL such as https://host");
  }
  std::string scheme = internal::lower(v.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") {
    return fail("scheme '" + scheme + "' is not supported; use https://");
  }
  if (!v.empty() && v.back() == '/') v.pop_back();
  auto host = internal::url_host(v);
  if (host.empty()) return fail("'" + v + "' has no host");
  if (v.find_first_of(" \t\r\n") != std::string::npos) return fail("'" + v + "' contains blanks");
  return ResolvedBaseUrl{v, false};
}

namespace {

// A comma-separated list of codings curl can decode; "identity" alone or "" for none.
std::optional<std::string> check_accept_encoding(std::string_view value) {
  if (value.empty() || value == "identity") return std::nullopt;
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    const std::string_view token = internal::trim(value.substr(start, comma - start));
    if (token != "gzip" && token != "deflate" && token != "br" && token != "zstd") {
      std::string shown(token.substr(0, 32));
      for (auto& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      }
      return "'" + shown +
             "' is not a coding the SDK decodes (a comma-separated list of gzip, deflate, br, "
             "zstd; or identity)";
    }
    start = comma + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> Config::check() const {
  Error e;
  auto resolved = resolve_base_url(base_url, &e);
  if (!resolved) return e;
  if (!access_token) {
    if (client_id.empty()) {
      return config_error("client_id",
                          "client_id is missing (set it, FALCON_CLIENT_ID, or access_token)");
    }
    if (client_secret.empty()) {
      return config_error(
          "client_secret",
          "client_secret is missing (set it, FALCON_CLIENT_SECRET, or access_token)");
    }
  } else if (access_token->empty()) {
    return config_error("access_token", "access_token is set but empty");
  } else {
    for (unsigned char c : *access_token) {
      if (c < 0x21 || c > 0x7E) {
        return config_error("access_token",
                            "access_token holds a control character, space or non-ASCII byte "
                            "(CR, LF or NUL would split the Authorization header)");
      }
    }
  }
  if (internal::has_line_break_or_nul(user_agent)) {
    return config_error("user_agent", "user_agent contains CR, LF or NUL");
  }
  if (member_cid && internal::has_line_break_or_nul(*member_cid)) {
    return config_error("member_cid", "member_cid contains CR, LF or NUL");
  }
  if (internal::lower(resolved->url.substr(0, 7)) == "http://" && !allow_insecure_http &&
      !internal::is_loopback_host(internal::url_host(resolved->url))) {
    return config_error("base_url", "plain http:// is refused for non-loopback host '" +
                                        internal::url_host(resolved->url) +
                                        "'; use https:// or set allow_insecure_http");
  }
  if (connect_timeout.count() < 0 || timeout.count() < 0) {
    return config_error("timeout", "timeouts must not be negative");
  }
  if (deadline.count() < 0) {
    return config_error("deadline", "must not be negative (0 means no limit)");
  }
  if (max_response_bytes < 1024) {
    return config_error("max_response_bytes", "must be at least 1024 bytes");
  }
  if (auto why = check_accept_encoding(accept_encoding))
    return config_error("accept_encoding", *why);
  if (renew_window.count() < 0) return config_error("renew_window", "must not be negative");
  if (retry.max_attempts < 1) return config_error("retry.max_attempts", "must be at least 1");
  if (retry.multiplier < 1.0) return config_error("retry.multiplier", "must be at least 1.0");
  if (retry.jitter < 0.0 || retry.jitter > 1.0) {
    return config_error("retry.jitter", "must be between 0 and 1");
  }
  if (!ca_bundle.empty() && !internal::file_readable(ca_bundle)) {
    return config_error("ca_bundle", "cannot read '" + ca_bundle + "'");
  }
  return std::nullopt;
}

}  // namespace falcon
