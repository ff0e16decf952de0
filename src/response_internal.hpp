// Building Responses and reading rate-limit headers: internal, reached by the SDK, its tests and
// its fuzzers, never installed. The functions keep namespace falcon (exported from the shared
// library as they always were); the body's type and its accessor are falcon::internal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "falcon/http.hpp"
#include "falcon/models.hpp"
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

namespace falcon::internal {

/// A whole decimal int64 with blanks around it allowed ("42", " 7 "); nullopt otherwise. Header
/// values and string-typed JSON numbers are read with it.
std::optional<std::int64_t> decimal_int64(std::string_view s) noexcept;

/// The reply text of a Response and its JSON, decoded lazily (Response::body()). Shared by
/// copies of the Response; the JSON is never changed in place while shared.
struct ResponseBody {
  ResponseBody() : id(next_id()) {}
  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  const std::uint64_t id;  // names this text in the thread's parser cache (response.cpp)
  std::string text;
  bool fast_ok = false;  // simdjson accepted `text`, and `json` was not changed since
  std::once_flag once;
  std::atomic<bool> decoded{false};
  nlohmann::json json;  // valid once `decoded`

  // For a body whose JSON is already known (set_body, or decoded eagerly).
  void set_decoded(nlohmann::json j) {
    std::call_once(once, [&] { json = std::move(j); });
    decoded.store(true, std::memory_order_release);
  }
};

/// What a listing needs of a page to go on: its pagination and whether `resources` is a
/// non-empty array, from one parse (the fast parser when the body was not decoded yet, so
/// paging never builds the page's JSON tree).
struct PageShape {
  Pagination pagination;
  bool has_resources = false;
};
PageShape page_shape(const Response& page);

/// One record of a page, for a reader that needs a few fields of every record and the whole of
/// a few (sync's scope read).
class RecordView {
 public:
  virtual ~RecordView() = default;
  /// The record with the fields asked for; the others are at their defaults. Valid during the
  /// call only (it is reused for the next record).
  virtual const Indicator& slim() const = 0;
  /// The whole record, as Response::resources_as<Indicator>() decodes it.
  virtual Indicator full() const = 0;
};
/// Calls fn for each record of `page`'s resources, in order, the same records
/// resources_as<Indicator>() gives. `fields`: a bit per position in the field table
/// (rules::fields()) to decode; one Indicator is reused, so a page costs no allocation per record
/// for fields whose values fit the buffers of the record before. `fn` must not decode another
/// reply on this thread: the records are read from the thread's parser.
void for_each_record(const Response& page, std::uint64_t fields,
                     const std::function<void(const RecordView&)>& fn);

/// The one way into a Response's private body, for make_response() and the Response members.
struct ResponseAccess {
  static std::shared_ptr<ResponseBody>& body(Response& r) noexcept { return r.body_; }
  static const std::shared_ptr<ResponseBody>& body(const Response& r) noexcept { return r.body_; }
};

}  // namespace falcon::internal
