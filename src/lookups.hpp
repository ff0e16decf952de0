// Lookups by a set of values or ids: as many requests as it takes to keep each URL under the
// 8 KiB servers accept, counted in bytes after encoding (a count of items says nothing: one
// 180-character domain costs what four 64-hex ids cost). Used by get_indicators, bulk_delete,
// combined_any_of (sync's conflict lookups, bulk reconciliation) and through them the CLI.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace falcon::internal {

/// Longest request URL sent: servers and gateways commonly refuse more than 8 KiB.
inline constexpr std::size_t kMaxUrlBytes = 8192;
/// Room kept for the scheme and host in front of the route.
inline constexpr std::size_t kHostRoom = 64;
/// Room kept for an `after` cursor on a paged lookup (the API's are a few hundred bytes).
inline constexpr std::size_t kCursorRoom = 1024;

/// Bytes of `s` once percent-encoded (internal::percent_encode).
std::size_t encoded_size(std::string_view s) noexcept;

/// Bytes the query string may take on `route` (fixed parameters excluded by the caller).
std::size_t query_budget(std::string_view route, std::size_t reserved) noexcept;

/// Cuts items [0, n) into consecutive runs whose costs add up to at most `budget` (a run has at
/// least one item: an item too large alone is refused by the request's own URL check).
std::vector<std::pair<std::size_t, std::size_t>> runs_within(
    std::size_t n, std::size_t budget, const std::function<std::size_t(std::size_t)>& cost);

/// The runs of `values` for a `field:['a','b',...]` filter (with `extra`, an FQL term ANDed in
/// front, e.g. "type:'domain'") on the combined route, with room for limit and the cursor.
std::vector<std::pair<std::size_t, std::size_t>> any_of_runs(std::string_view field,
                                                             const std::vector<std::string>& values,
                                                             std::string_view extra = {});

}  // namespace falcon::internal
