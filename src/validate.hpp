// Client-side input checks (Config::validate): known-bad input fails before any HTTP call with
// an error naming the field and the rule. The server stays the authority on everything else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"
#include "falcon/indicators.hpp"
#include "lookups.hpp"
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
/// A sort string: one of `fields` (an operation's Endpoint::sort_fields) with an optional
/// .asc/.desc/|asc/|desc.
std::optional<Error> check_sort(std::string_view sort, const std::vector<std::string_view>& fields);
/// Required query parameters of `ep` are present and non-empty in `q`.
std::optional<Error> check_required(const Endpoint& ep, const Query& q);

// ---- The checks of one request (dispatch's check step) ------------------------------------

/// Paging of the indicator searches: sort (against the row's sort fields), offset and after
/// not combined, offset not negative, offset + limit within the 10,000 ceiling.
std::optional<Error> check_paging(const Endpoint& ep, const Query& q);
/// A delete names ids or a filter: an unscoped delete is never sent.
std::optional<Error> check_scoped_delete(const Query& q);
/// An update body sets indicators or bulk_update, each well formed.
std::optional<Error> check_update_body(const nlohmann::json& body,
                                       const rules::EnumLookup& lookup);
/// route + '?' + the encoded query stays under kMaxUrlBytes (with room for the host); the error
/// names the helper that splits ids when ids made it too long.
std::optional<Error> check_url_length(const Endpoint& ep, const Query& q);

/// Every client-side check of operation `ep` on the query and body as they will be sent
/// (`body` null when there is none). Reads are held to what cannot succeed; writes also get the
/// value rules of create/update. The one entry point of IOC and APIHarness alike.
/// An enum value the SDK does not know is judged by `lookup` (the API's value lists).
std::optional<Error> check(const Endpoint& ep, const Query& query, const nlohmann::json* body,
                           const rules::EnumLookup& lookup = {});

}  // namespace falcon::internal
