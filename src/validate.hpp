// Client-side input checks (Config::validate): known-bad input fails before any HTTP call with
// an error naming the field and the rule. The server stays the authority on everything else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"
#include "falcon/indicators.hpp"
#include "query.hpp"
#include "strings.hpp"

namespace falcon::internal {

inline constexpr std::size_t kMaxIndicatorsPerWrite = 2000;
inline constexpr std::int64_t kOffsetCeiling = 10000;

/// An indicator type; an unknown one is judged by `lookup` (the API's ioc_type_query).
std::optional<Error> check_type(std::string_view type, const std::string& field,
                                const rules::EnumLookup& lookup);
/// One indicator object of a create (for_create) or update body, by the rulebook
/// (falcon/indicators.hpp); `prefix` names it in errors ("indicators[3].").
std::optional<Error> check_indicator(const nlohmann::json& ind, const std::string& prefix,
                                     bool for_create, const rules::EnumLookup& lookup);
/// body.indicators of a create/update.
std::optional<Error> check_indicators(const nlohmann::json& body, bool for_create,
                                      const rules::EnumLookup& lookup);
/// A sort string: one of the 18 sort fields with an optional .asc/.desc/|asc/|desc.
std::optional<Error> check_sort(std::string_view sort);
/// Required query parameters of `ep` are present and non-empty in `q`.
std::optional<Error> check_required(const Endpoint& ep, const Query& q);

}  // namespace falcon::internal
