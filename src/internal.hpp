// Internal helpers shared by the SDK's translation units. Never installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/config.hpp"
#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"

namespace falcon::internal {

std::string_view trim(std::string_view s) noexcept;
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;
/// Host part of an absolute URL ("https://user@host:8080/x" -> "host"; "[::1]" -> "::1").
std::string url_host(std::string_view url);
/// "scheme://authority" of an absolute URL, for comparing origins.
std::string url_origin(std::string_view url);
bool is_loopback_host(std::string_view host) noexcept;
bool file_readable(const std::string& path);

/// Percent-encodes everything but the RFC 3986 unreserved set (so '+' -> %2B, ' ' -> %20).
void percent_encode_to(std::string& out, std::string_view in);
std::string percent_encode(std::string_view in);
/// application/x-www-form-urlencoded pair list.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

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

Error validation_error(std::string field, std::string message);

/// Writes a line to the client's sink when `level` passes its threshold.
void log(const Config& cfg, LogLevel level, std::string_view line);
inline bool log_enabled(const Config& cfg, LogLevel level) {
  return cfg.log && level >= cfg.log_level && cfg.log_level != LogLevel::off;
}

/// Index of each operation in endpoints(); the service class refers to rows by these.
enum class Op : std::size_t {
  indicator_aggregate = 0,
  indicator_combined,
  action_get,
  get_indicators_report,
  indicator_get,
  indicator_create,
  indicator_delete,
  indicator_update,
  action_query,
  indicator_search,
  ioc_type_query,
  platform_query,
  severity_query,
  devices_count_legacy,
  devices_count,
  devices_ran_on_legacy,
  devices_ran_on,
  processes_ran_on_legacy,
  processes_ran_on,
  entities_processes,
  count_
};
const Endpoint& endpoint(Op op) noexcept;

}  // namespace falcon::internal
