// Lookups by value and id sets, split by URL bytes (lookups.hpp).
#include "lookups.hpp"

#include "falcon/fql.hpp"
#include "ops.hpp"
#include "strings.hpp"

namespace falcon::internal {

std::size_t encoded_size(std::string_view s) noexcept {
  return percent_encoded_size(s);
}

std::size_t query_budget(std::string_view route, std::size_t reserved) noexcept {
  const std::size_t fixed = kHostRoom + route.size() + 1 + reserved;
  return fixed >= kMaxUrlBytes ? 0 : kMaxUrlBytes - fixed;
}

std::vector<std::pair<std::size_t, std::size_t>> runs_within(
    std::size_t n, std::size_t budget, const std::function<std::size_t(std::size_t)>& cost) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  std::size_t start = 0, used = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = cost(i);
    if (i > start && used + c > budget) {
      runs.emplace_back(start, i);
      start = i;
      used = 0;
    }
    used += c;
  }
  if (start < n) runs.emplace_back(start, n);
  return runs;
}

std::vector<std::pair<std::size_t, std::size_t>> any_of_runs(std::string_view field,
                                                             const std::vector<std::string>& values,
                                                             std::string_view extra) {
  // filter=<extra>+<field>:[...]&limit=2000&after=<cursor>
  const std::size_t fixed = encoded_size("filter=") + encoded_size(extra) +
                            (extra.empty() ? 0 : encoded_size("+")) + encoded_size(field) +
                            encoded_size(":[]") + encoded_size("&limit=2000&after=") + kCursorRoom;
  const std::size_t budget = query_budget(endpoint(Op::indicator_combined).route, fixed);
  return runs_within(values.size(), budget, [&](std::size_t i) {
    return encoded_size(fql::quote(values[i])) + encoded_size(",");
  });
}

}  // namespace falcon::internal
