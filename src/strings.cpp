// String and URL helpers (strings.hpp).
#include "strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <fstream>

namespace falcon::internal {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  // ASCII only: no locale lookup per byte (this runs for every value of a feed).
  std::string out(s);
  for (auto& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch | 0x20);
  }
  return out;
}

std::vector<std::string> split_trimmed(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    auto part = trim(s.substr(start, end - start));
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 when there is none: no
// overlong forms, surrogates or code points past U+10FFFF.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;  // a continuation byte, an overlong lead (C0, C1) or past U+10FFFF
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // the common case: a run of ASCII
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string printable(std::string_view s, std::size_t max) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(s.size(), max) + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Control bytes and bytes of no UTF-8 sequence are shown as \xNN: the text stays valid
    // UTF-8 (it may end up in JSON) and cannot drive a terminal.
    std::size_t n = utf8_sequence(s, i);
    const bool escape = n == 0 || c < 0x20 || c == 0x7f;
    if (escape) n = 1;
    if (out.size() + (escape ? 4 : n) > max) {
      out += "...";
      break;
    }
    if (escape) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  // ASCII only (header names, schemes, hosts): no locale lookup per byte.
  auto fold = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'A' && u <= 'Z') ? static_cast<unsigned char>(u | 0x20) : u;
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

std::string url_origin(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  const std::string scheme = lower(url.substr(0, p));
  auto rest = url.substr(p + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end == std::string_view::npos ? rest.size() : end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view port;
  if (auto close = authority.rfind(']'); close != std::string_view::npos) {
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
  }
  std::string host = url_host(url);
  if (host.empty()) return {};
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string out = scheme + "://" + host + ":";
  if (!port.empty()) {
    out += port;
  } else {
    out += scheme == "https" ? "443" : scheme == "http" ? "80" : "";
  }
  return out;
}

std::string url_host(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto rest = url.substr(p + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end == std::string_view::npos ? rest.size() : end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return {};
    return lower(authority.substr(1, close - 1));
  }
  auto colon = authority.find(':');
  return lower(authority.substr(0, colon));
}

bool is_loopback_host(std::string_view host) noexcept {
  if (iequals(host, "localhost") || host == "::1") return true;
  // A dotted quad whose first octet is 127; "127.evil.example" is a name, not loopback.
  int octets = 0;
  int first = -1;
  std::size_t i = 0;
  while (i < host.size()) {
    int value = 0;
    std::size_t digits = 0;
    while (i < host.size() && host[i] >= '0' && host[i] <= '9' && digits < 4) {
      value = value * 10 + (host[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    if (octets == 0) first = value;
    ++octets;
    if (i == host.size()) break;
    if (host[i] != '.' || octets == 4) return false;
    ++i;
    if (i == host.size()) return false;
  }
  return octets == 4 && first == 127;
}

bool has_line_break_or_nul(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_header_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool file_readable(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

namespace {
// RFC 3986 unreserved characters, by table: no locale lookup per byte.
constexpr std::array<bool, 256> unreserved_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  t['-'] = t['.'] = t['_'] = t['~'] = true;
  return t;
}
constexpr std::array<bool, 256> kUnreserved = unreserved_table();
}  // namespace

void percent_encode_to(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t i = 0;
  while (i < in.size()) {
    // Runs of unreserved bytes (ids, hashes, most values) are appended whole.
    std::size_t run = i;
    while (run < in.size() && kUnreserved[static_cast<unsigned char>(in[run])]) ++run;
    out.append(in.data() + i, run - i);
    if (run == in.size()) break;
    const auto ch = static_cast<unsigned char>(in[run]);
    const char esc[3] = {'%', kHex[ch >> 4], kHex[ch & 0xF]};
    out.append(esc, 3);
    i = run + 1;
  }
}

std::size_t percent_encoded_size(std::string_view in) noexcept {
  std::size_t n = 0;
  for (char c : in) n += kUnreserved[static_cast<unsigned char>(c)] ? 1 : 3;
  return n;
}

std::string percent_encode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  percent_encode_to(out, in);
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    percent_encode_to(out, k);
    out.push_back('=');
    percent_encode_to(out, v);
  }
  return out;
}

}  // namespace falcon::internal
