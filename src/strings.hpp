// String and URL helpers shared by the SDK's translation units. Never installed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace falcon::internal {

/// ASCII whitespace: space, \t, \r, \n, \f, \v.
bool is_space(char c) noexcept;
std::string_view trim(std::string_view s) noexcept;
/// ASCII lower case (bytes past 0x7F are kept as they are).
std::string lower(std::string_view s);
/// The parts of `s` between `sep`, each trimmed; empty parts dropped.
std::vector<std::string> split_trimmed(std::string_view s, char sep);
/// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;
/// `s` for a message, a terminal or JSON: control bytes and bytes that are not UTF-8 shown as
/// \xNN, cut (never inside a character) to at most `max` bytes plus "...".
std::string printable(std::string_view s, std::size_t max = 200);
bool iequals(std::string_view a, std::string_view b) noexcept;
/// Host part of an absolute URL ("https://user@host:8080/x" -> "host"; "[::1]" -> "::1").
std::string url_host(std::string_view url);
/// "scheme://host:port" of an absolute URL, lower-case, with the scheme's default port made
/// explicit, for comparing origins ("" when it is not an absolute URL).
std::string url_origin(std::string_view url);
/// Only literal loopback: "localhost", "::1" and dotted-quad IPv4 addresses in 127.0.0.0/8.
bool is_loopback_host(std::string_view host) noexcept;
bool file_readable(const std::string& path);
/// True when `s` holds a CR, LF or NUL: such text would split or cut an HTTP header.
bool has_line_break_or_nul(std::string_view s) noexcept;
/// True when `name` is an HTTP header field name (RFC 9110 token characters only).
bool is_header_name(std::string_view name) noexcept;
std::string base64(std::string_view in);

/// Percent-encodes everything but the RFC 3986 unreserved set (so '+' -> %2B, ' ' -> %20).
void percent_encode_to(std::string& out, std::string_view in);
std::string percent_encode(std::string_view in);
/// percent_encode(in).size(), without building it.
std::size_t percent_encoded_size(std::string_view in) noexcept;
/// application/x-www-form-urlencoded pair list.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace falcon::internal
