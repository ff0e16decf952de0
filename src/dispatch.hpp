// One dispatch for the service class and the Uber class: build -> check(op, query, body) -> send.
// Every client-side check lives behind check(), so both entry points refuse the same input with
// the same message.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "falcon/client.hpp"
#include "falcon/endpoints.hpp"
#include "falcon/indicators.hpp"
#include "falcon/response.hpp"
#include "lookups.hpp"
#include "query.hpp"

namespace falcon::internal {

/// Every client-side check of operation `ep` on the query and body as they will be sent
/// (`body` null when there is none). Reads are held to what cannot succeed; writes also get the
/// value rules of create/update.
/// An enum value the SDK does not know is judged by `lookup` (the API's value lists).
std::optional<Error> check(const Endpoint& ep, const Query& query, const nlohmann::json* body,
                           const rules::EnumLookup& lookup = {});

/// Checks (when Config::validate), serialises the body and sends. `build_error` is an error
/// found while building (always reported, even with validation off).
Response dispatch(const Client& client, const Endpoint& ep, const Query& query,
                  const std::optional<nlohmann::json>& body, std::optional<Error> build_error,
                  const CallOptions& call);

}  // namespace falcon::internal
