// One dispatch for the service class and the Uber class: build -> check(op, query, body) -> send.
// The checks live in validate.hpp behind check(), so both entry points refuse the same input with
// the same message; build_request() is the one builder of an ApiRequest, used here and by
// APIHarness::override() (a route with no row to check).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/endpoints.hpp"
#include "falcon/indicators.hpp"
#include "falcon/response.hpp"
#include "lookups.hpp"
#include "query.hpp"

namespace falcon::internal {

/// Builds the request of `operation` (an operation id, for log lines): `method` to `route` with
/// `query` encoded and `body` serialised as JSON (null: no body). A body that cannot be
/// serialised (a string that is not UTF-8) is a validation error naming `body`.
std::optional<Error> build_request(std::string_view operation, std::string_view method,
                                   std::string_view route, bool idempotent, const Query& query,
                                   const nlohmann::json* body, ApiRequest& out);

/// Checks (when Config::validate), builds the request of row `ep` (a row that has a body sends
/// `{}` when none is given) and sends it. `build_error` is an error found while building the
/// query or body (always reported, even with validation off).
Response dispatch(const Client& client, const Endpoint& ep, const Query& query,
                  const std::optional<nlohmann::json>& body, std::optional<Error> build_error,
                  const CallOptions& call);

}  // namespace falcon::internal
