/// @file response.hpp
/// What every operation returns: status, headers, the whole JSON envelope, and an SDK-side error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/error.hpp"
#include "falcon/http.hpp"

namespace falcon {

/// meta.pagination, read leniently (offset may be a number or a string on the wire).
/// A number is kept when it is an integer in int64's range; a float is truncated when in range.
/// Anything outside that range (`1e30`, `18446744073709551615`) is treated as absent.
struct Pagination {
  std::optional<std::int64_t> offset;      ///< The next offset, as the API reports it.
  std::optional<std::string> offset_text;  ///< offset as sent when it was a string.
  std::optional<std::int64_t> limit;       ///< The page size the API applied.
  /// Matching results in all; the device and process lookups (api.DetectsQueryPaging) have none.
  std::optional<std::int64_t> total;
  std::optional<std::string> after;  ///< Cursor for the next page; empty or absent: last page.
};

/// The X-RateLimit-* headers of a reply.
struct RateLimit {
  std::optional<std::int64_t> limit;      ///< X-RateLimit-Limit, requests per minute.
  std::optional<std::int64_t> remaining;  ///< X-RateLimit-Remaining.
  /// X-RateLimit-RetryAfter (epoch seconds, or milliseconds when above 10^12), else Retry-After.
  std::optional<std::chrono::system_clock::time_point> retry_after;
};

/// One entry of the envelope's errors[] array.
struct ApiError {
  /// `code`: usually the HTTP status. 0 when absent, not a number, or outside int's range
  /// (a reply's `1e101` is never cast).
  int code = 0;
  std::string message;  ///< `message`, e.g. "access denied, invalid bearer token".
  std::string id;       ///< `id`, when the API sets one; else "".
};

struct Indicator;  // models.hpp

/// @cond internal
namespace internal {
struct ResponseBody;    // the reply text and its lazily decoded JSON (src/response_internal.hpp)
struct ResponseAccess;  // the SDK's access to a Response's body, for make_response()
}  // namespace internal
/// @endcond

/// The result of one API call.
/// API errors (4xx/5xx) are data here, never exceptions, unless raise_for_status() is called.
/// @par Thread safety
/// A Response is a plain value: const access from many threads is safe.
class Response {
 public:
  int status_code = 0;  ///< 0 when no HTTP reply arrived.
  Headers headers;      ///< Case-insensitive.
  /// SDK-side failure, if any (transport, timeout, auth, validation, rate_limited, decode).
  std::optional<Error> error;
  /// HTTP attempts the call took (retries and a 401 replay included).
  int attempts = 0;

  /// The parsed body, the whole envelope with nothing dropped; null when there was no body or
  /// it is not JSON (then error is a decode error and text() has the reply).
  /// Decoded on first access and kept: a caller that only uses resources_as<Indicator>(),
  /// pagination() or ok() never pays for it. Safe to call from many threads at once.
  const nlohmann::json& body() const;
  /// The body for changing in place (decoded first if it was not yet). text() keeps the reply
  /// as received. Not safe while another thread reads this Response.
  nlohmann::json& mutable_body();
  /// Replaces the body (for fakes and tests); text() becomes empty.
  void set_body(nlohmann::json body);
  /// The reply body as received (decompressed), whether or not it is JSON; "" when none.
  const std::string& text() const noexcept;

  /// True when there is no SDK-side error and the status is 2xx.
  bool ok() const noexcept { return !error && status_code >= 200 && status_code < 300; }
  /// body["resources"], or an empty array when absent or null.
  const nlohmann::json& resources() const noexcept;
  /// body["errors"], or an empty array when absent or null.
  const nlohmann::json& errors() const noexcept;
  /// body["meta"], or an empty object when absent.
  const nlohmann::json& meta() const noexcept;
  /// errors() as typed values (entries that are not objects are skipped).
  std::vector<ApiError> api_errors() const;
  /// meta.pagination.
  Pagination pagination() const;
  /// X-RateLimit-* headers.
  RateLimit rate_limit() const;
  /// X-CS-TRACEID header, else meta.trace_id, else "".
  std::string trace_id() const;
  /// Throws falcon::Exception when !ok(): the SDK error, or the status with the first API error.
  const Response& raise_for_status() const;

  /// resources() converted element-wise with nlohmann's from_json (see models.hpp). For
  /// Indicator the records are decoded straight from the reply text, without building body()
  /// (same leniency: a field of an unexpected type is left unset).
  template <typename T>
  std::vector<T> resources_as() const {
    if constexpr (std::is_same_v<T, Indicator>) {
      // Through a dependent local: a C++20 compiler would otherwise instantiate
      // ~vector<Indicator> here, where Indicator may be incomplete (clang refuses it).
      std::vector<T> out;
      indicators_fast(out);
      return out;
    } else {
      std::vector<T> out;
      const auto& r = resources();
      out.reserve(r.size());
      for (const auto& item : r) out.push_back(item.template get<T>());
      return out;
    }
  }

 private:
  friend struct internal::ResponseAccess;
  void indicators_fast(std::vector<Indicator>& out) const;
  // Shared by copies; the decoded JSON is never changed in place while shared (mutable_body()
  // copies first).
  std::shared_ptr<internal::ResponseBody> body_;
};

}  // namespace falcon
