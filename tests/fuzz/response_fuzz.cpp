// libFuzzer target: the response/envelope parser and every accessor on what it produced.
// Input layout: first line is a header value used for the rate-limit and pagination headers,
// the rest is the body.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "falcon/models.hpp"
#include "falcon/response.hpp"
#include "response_internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  std::string header = nl == std::string::npos ? std::string() : input.substr(0, nl);
  falcon::HttpResponse http;
  http.status = size > 0 ? 100 + data[0] % 500 : 200;
  http.body = nl == std::string::npos ? input : input.substr(nl + 1);
  http.headers.emplace("X-RateLimit-Limit", header);
  http.headers.emplace("X-RateLimit-Remaining", header);
  http.headers.emplace("X-RateLimit-RetryAfter", header);
  http.headers.emplace("Retry-After", header);
  // The lazy paths first (pagination and Indicators straight from the text), on a copy whose
  // body() is never built; then every accessor on one whose body() is.
  {
    falcon::HttpResponse copy = http;
    const falcon::Response lazy = falcon::make_response(std::move(copy));
    (void)lazy.pagination();
    try {
      (void)lazy.resources_as<falcon::Indicator>();
    } catch (const nlohmann::json::exception&) {
    }
  }
  falcon::Response r = falcon::make_response(std::move(http));
  (void)r.ok();
  (void)r.resources().size();
  (void)r.errors().size();
  (void)r.meta().size();
  (void)r.api_errors();
  (void)r.pagination();
  (void)r.rate_limit();
  (void)r.trace_id();
  (void)falcon::parse_retry_after(header, true, std::chrono::system_clock::now());
  try {
    (void)r.resources_as<falcon::Indicator>();
    (void)r.resources_as<falcon::RowMessage>();
    (void)r.resources_as<falcon::DeviceCount>();
  } catch (const nlohmann::json::exception&) {
    // resources that are not objects: a typed conversion may refuse them, never crash.
  }
  try {
    r.raise_for_status();
  } catch (const falcon::Exception&) {
  }
  return 0;
}
