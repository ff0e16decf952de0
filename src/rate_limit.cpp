// The X-RateLimit-* and Retry-After headers (response_internal.hpp): read by
// Response::rate_limit() and by the attempt loop, with the client's clock.
#include <charconv>

#include "response_internal.hpp"
#include "strings.hpp"

namespace falcon {

namespace internal {

std::optional<std::int64_t> decimal_int64(std::string_view s) noexcept {
  s = trim(s);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace internal

std::optional<std::chrono::system_clock::time_point> parse_retry_after(
    std::string_view value, bool relative_seconds, std::chrono::system_clock::time_point now) {
  auto n = internal::decimal_int64(value);
  // Past 2096 a value is garbage, and the clock's nanoseconds overflow in 2262: refuse it.
  constexpr std::int64_t kMaxSeconds = 4'000'000'000LL;
  if (!n || *n < 0 || *n > kMaxSeconds * 1000) return std::nullopt;
  using namespace std::chrono;
  if (relative_seconds) {
    if (*n > kMaxSeconds) return std::nullopt;
    return now + seconds(*n);
  }
  // The spec's text says milliseconds, the SDKs parse seconds: accept both.
  if (*n > 1'000'000'000'000LL) return system_clock::time_point(milliseconds(*n));
  if (*n > kMaxSeconds) return std::nullopt;
  return system_clock::time_point(seconds(*n));
}

RateLimit parse_rate_limit(const Headers& headers, std::chrono::system_clock::time_point now) {
  // One pass over the reply's few headers instead of a lookup per name; the first of repeated
  // fields counts.
  std::optional<std::string_view> limit, remaining, retry_after, retry_after_std;
  for (const auto& [name, value] : headers) {
    switch (name.size()) {
      case 17:
        if (!limit && internal::iequals(name, "X-RateLimit-Limit")) limit = value;
        break;
      case 21:
        if (!remaining && internal::iequals(name, "X-RateLimit-Remaining")) remaining = value;
        break;
      case 22:
        if (!retry_after && internal::iequals(name, "X-RateLimit-RetryAfter")) retry_after = value;
        break;
      case 11:
        if (!retry_after_std && internal::iequals(name, "Retry-After")) retry_after_std = value;
        break;
      default:
        break;
    }
  }
  RateLimit r;
  if (limit) r.limit = internal::decimal_int64(*limit);
  if (remaining) r.remaining = internal::decimal_int64(*remaining);
  if (retry_after) {
    r.retry_after = parse_retry_after(*retry_after, false, now);
  } else if (retry_after_std) {
    r.retry_after = parse_retry_after(*retry_after_std, true, now);
  }
  return r;
}

}  // namespace falcon
