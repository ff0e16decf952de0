// Building Responses and reading rate-limit headers: internal, reached by the SDK, its tests and
// its fuzzers, never installed.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "falcon/http.hpp"
#include "falcon/response.hpp"

namespace falcon {

/// Builds a Response from an HTTP reply: parses the body, keeping the raw text and setting a
/// decode error (naming the reply's Content-Type) when it is not JSON, or is empty where JSON
/// was promised.
Response make_response(HttpResponse&& http, bool expect_json = true);

/// A Response that carries only an SDK-side error (attempts copied from the error).
Response make_error_response(Error error);

/// Parses an X-RateLimit-RetryAfter / Retry-After value into a time point: a plain number is
/// epoch seconds (milliseconds when above 10^12); with `relative_seconds` it is a delay from
/// `now`. Values past 2096 or negative are refused (nullopt).
std::optional<std::chrono::system_clock::time_point> parse_retry_after(
    std::string_view value, bool relative_seconds, std::chrono::system_clock::time_point now);

/// The one reader of the X-RateLimit-* and Retry-After headers, used by Response::rate_limit()
/// and by the retry loop (with the client's clock).
RateLimit parse_rate_limit(const Headers& headers, std::chrono::system_clock::time_point now);

}  // namespace falcon
