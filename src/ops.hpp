// Op: the index of each operation in endpoints(), beside the endpoint table; the service class
// and the shared dispatch refer to rows by these.
#pragma once

#include <cstddef>

#include "falcon/endpoints.hpp"

namespace falcon::internal {

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
