// Small helpers shared by the emulator's parts: ids, encodings, parameter parsing (and, through
// fql_time.hpp, time).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fql_time.hpp"

namespace falcon::emulator {

/// An error the API answers with `status` and one errors[] entry carrying `message`.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
bool is_hex(std::string_view s, std::size_t length);  ///< exactly `length` hex digits
std::vector<std::string> split(std::string_view s, char sep);

/// Random lowercase hex of `n` characters (thread-safe).
std::string random_hex(std::size_t n);
/// A random uuid-shaped trace id.
std::string random_uuid();

std::string base64_encode(std::string_view data);
/// Standard or URL-safe alphabet, padding optional; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

/// Percent-decoding for application/x-www-form-urlencoded ('+' is a space).
std::string url_decode(std::string_view s);
/// Splits a form body into key/value pairs (order kept, repeated keys kept).
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

/// 64-bit FNV-1a followed by a splitmix finaliser: stable across platforms and runs.
std::uint64_t stable_hash(std::string_view data, std::uint64_t seed);
std::uint64_t mix64(std::uint64_t x);

/// Strict decimal integer (optional leading '-'); nullopt on anything else or overflow.
std::optional<long long> parse_int(std::string_view s);
/// Go strconv.ParseBool spellings; nullopt otherwise.
std::optional<bool> parse_bool(std::string_view s);

/// True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace falcon::emulator
