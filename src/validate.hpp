// Client-side input checks (Config::validate): known-bad input fails before any HTTP call with
// an error naming the field and the rule. The server stays the authority on everything else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"
#include "query.hpp"
#include "strings.hpp"

namespace falcon::internal {

inline constexpr std::size_t kMaxIndicatorsPerWrite = 2000;
inline constexpr std::int64_t kOffsetCeiling = 10000;

bool is_hex(std::string_view s, std::size_t length) noexcept;
bool is_ipv4(const std::string& s) noexcept;
bool is_ipv6(const std::string& s) noexcept;
bool is_domain(std::string_view s) noexcept;
bool is_timestamp(std::string_view s) noexcept;  // RFC 3339 or YYYY-MM-DD

/// An indicator type (sha256, md5, domain, ipv4, ipv6), case-insensitive.
std::optional<Error> check_type(std::string_view type, const std::string& field);
/// type and value of one indicator (or of a device/process lookup).
std::optional<Error> check_type_value(std::string_view type, std::string_view value,
                                      const std::string& prefix);
/// One indicator object of a create (for_create) or update body.
std::optional<Error> check_indicator(const nlohmann::json& ind, const std::string& prefix,
                                     bool for_create);
/// body.indicators of a create/update.
std::optional<Error> check_indicators(const nlohmann::json& body, bool for_create);
/// A sort string: one of the 18 sort fields with an optional .asc/.desc/|asc/|desc.
std::optional<Error> check_sort(std::string_view sort);
/// Required query parameters of `ep` are present and non-empty in `q`.
std::optional<Error> check_required(const Endpoint& ep, const Query& q);

}  // namespace falcon::internal
