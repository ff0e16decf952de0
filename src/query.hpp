// The ordered query of one request and its construction from a raw `parameters` object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"

namespace falcon::internal {

/// An ordered query: each key once, with one or more values (repeated keys on the wire).
class Query {
 public:
  /// Replaces the values of `key` in place, or appends it.
  void set(std::string_view key, std::vector<std::string> values);
  void set(std::string_view key, std::string value) {
    set(key, std::vector<std::string>{std::move(value)});
  }
  void set(std::string_view key, bool value) { set(key, std::string(value ? "true" : "false")); }
  void set(std::string_view key, std::int64_t value) { set(key, std::to_string(value)); }
  template <typename T>
  void set_opt(std::string_view key, const std::optional<T>& value) {
    if (value) set(key, *value);
  }
  bool empty() const noexcept { return params_.empty(); }
  const std::vector<std::pair<std::string, std::vector<std::string>>>& params() const noexcept {
    return params_;
  }
  /// The first value of `key`, or nullptr when the key is absent or has no value.
  const std::string* first(std::string_view key) const noexcept;
  /// "k=v&k=v2&..." with every key and value percent-encoded on its own.
  std::string encode() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> params_;
};

/// Starts a query from a raw `parameters` JSON object (never modified). Values: strings as
/// given (split on ',' for array parameters of `endpoint`), booleans true/false, numbers in
/// decimal, arrays as repeated keys, null omitted. Returns a validation error for a
/// non-object or a nested object.
std::optional<Error> query_from_parameters(const nlohmann::json& parameters,
                                           const Endpoint* endpoint, Query& out);

/// A validation Error naming `field`; request_sent is false.
Error validation_error(std::string field, std::string message);

}  // namespace falcon::internal
