// The API's own value lists (ioc_type_query, action_query, platform_query, severity_query),
// fetched once per Client and cached, so a client-side check never blocks an enum value the API
// has added since this SDK was built (indicators.hpp, "Extensible enums").
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "falcon/client.hpp"
#include "falcon/indicators.hpp"

namespace falcon::internal {

class ValueLists {
 public:
  /// How long a failed lookup is remembered before it is tried again.
  static constexpr std::chrono::minutes kRetryAfterFailure{5};

  /// True when the API's list for `table` holds `value` (lower case), false when it does not,
  /// nullopt when the list could not be read (the value then goes to the server to judge).
  /// mobile_action has no list of its own: it is judged against action_query's.
  std::optional<bool> accepts(const Client& client, rules::Enum table, std::string_view value);

  /// Requests made so far (for tests: "asks once").
  std::size_t requests() const;

 private:
  struct Entry {
    std::optional<std::vector<std::string>> values;  // nullopt: the last lookup failed
    std::chrono::steady_clock::time_point failed_at{};
  };
  mutable std::mutex mu_;  // held while fetching: one lookup per list at a time
  std::map<rules::Enum, Entry> lists_;
  std::size_t requests_ = 0;
};

/// The value-list cache of `client` (shared by its copies).
ValueLists& value_lists(const Client& client);

/// An EnumLookup bound to `client`'s cache.
rules::EnumLookup enum_lookup(const Client& client);

}  // namespace falcon::internal
