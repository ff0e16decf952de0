// The one rule for where an `after`-cursor listing ends, shared by the callback helpers
// (pagination.cpp) and the ranges (ranges.cpp).
#pragma once

#include <optional>
#include <string>

#include "falcon/response.hpp"

namespace falcon::internal {

/// The cursor of the page after `page`, or nullopt when `page` is the last: it is empty, has no
/// (or an empty) cursor, or repeats `current`.
std::optional<std::string> next_cursor(const Response& page,
                                       const std::optional<std::string>& current);

}  // namespace falcon::internal
