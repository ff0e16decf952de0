// The per-Client cache of the API's value lists (value_lists.hpp).
#include "value_lists.hpp"

#include <algorithm>

#include "falcon/ioc.hpp"
#include "strings.hpp"

namespace falcon::internal {

namespace {

// The value-list operation for `table`; mobile actions are actions.
Response fetch(const IOC& ioc, rules::Enum table, const ValueQueryOptions& o) {
  switch (table) {
    case rules::Enum::type:
      return ioc.ioc_type_query(o);
    case rules::Enum::severity:
      return ioc.severity_query(o);
    case rules::Enum::platform:
      return ioc.platform_query(o);
    case rules::Enum::action:
    case rules::Enum::mobile_action:
      break;
  }
  return ioc.action_query(o);
}

}  // namespace

std::optional<bool> ValueLists::accepts(const Client& client, rules::Enum table,
                                        std::string_view value) {
  if (table == rules::Enum::mobile_action) table = rules::Enum::action;
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = lists_[table];
  const auto now = std::chrono::steady_clock::now();
  const bool tried = e.values || e.failed_at != std::chrono::steady_clock::time_point{};
  if (!e.values && (!tried || now - e.failed_at >= kRetryAfterFailure)) {
    // The lists are short (five values today); a few pages bound a server that never ends one.
    constexpr int kMaxPages = 10;
    constexpr std::int64_t kPage = 500;
    std::vector<std::string> values;
    bool ok = true;
    IOC ioc(client);
    for (int page = 0; page < kMaxPages; ++page) {
      ValueQueryOptions o;
      o.limit = kPage;
      if (page > 0) o.offset = std::to_string(values.size());
      Response r = fetch(ioc, table, o);
      ++requests_;
      if (!r.ok() || !r.resources().is_array()) {
        ok = false;
        break;
      }
      for (const auto& v : r.resources()) {
        if (v.is_string()) values.push_back(lower(v.get<std::string>()));
      }
      if (static_cast<std::int64_t>(r.resources().size()) < kPage) break;
    }
    // An empty list says nothing about the value: treat it like a failed lookup.
    if (ok && !values.empty()) {
      e.values = std::move(values);
    } else {
      e.failed_at = now;
    }
  }
  if (!e.values) return std::nullopt;
  const std::string v = lower(value);
  return std::find(e.values->begin(), e.values->end(), v) != e.values->end();
}

std::size_t ValueLists::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

rules::EnumLookup enum_lookup(const Client& client) {
  return [client](rules::Enum table, std::string_view value) {
    return value_lists(client).accepts(client, table, value);
  };
}

}  // namespace falcon::internal

namespace falcon::rules {

EnumLookup api_lookup(const Client& client) {
  return internal::enum_lookup(client);
}

}  // namespace falcon::rules
