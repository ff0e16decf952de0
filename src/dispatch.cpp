// The shared dispatch (dispatch.hpp).
#include "dispatch.hpp"

#include "response_internal.hpp"
#include "validate.hpp"
#include "value_lists.hpp"

namespace falcon::internal {

std::optional<Error> build_request(std::string_view operation, std::string_view method,
                                   std::string_view route, bool idempotent, const Query& query,
                                   const nlohmann::json* body, ApiRequest& out) {
  out.operation = std::string(operation);
  out.method = std::string(method);
  out.path = std::string(route);
  out.query = query.encode();
  out.idempotent = idempotent;
  out.body.reset();
  if (body != nullptr) {
    try {
      out.body = body->dump();
    } catch (const nlohmann::json::exception& e) {
      return validation_error("body", std::string("cannot be sent as JSON: ") + e.what());
    }
  }
  return std::nullopt;
}

Response dispatch(const Client& client, const Endpoint& ep, const Query& query,
                  const std::optional<nlohmann::json>& body, std::optional<Error> build_error,
                  const CallOptions& call) {
  if (build_error) return make_error_response(std::move(*build_error));
  const nlohmann::json* given = body ? &*body : nullptr;
  if (client.config().validate) {
    // Enum values the SDK does not know are judged by the API's own lists (cached per client).
    const rules::EnumLookup lookup = [&client](rules::Enum t, std::string_view v) {
      return value_lists(client).accepts(client, t, v);
    };
    if (auto e = check(ep, query, given, lookup)) return make_error_response(std::move(*e));
  }
  static const nlohmann::json kEmptyObject = nlohmann::json::object();
  const nlohmann::json* sent = nullptr;
  if (ep.has_body) sent = given != nullptr ? given : &kEmptyObject;
  ApiRequest req;
  if (auto e = build_request(ep.operation_id, ep.http_method, ep.route, ep.idempotent, query, sent,
                             req)) {
    return make_error_response(std::move(*e));
  }
  return client.send(req, call);
}

}  // namespace falcon::internal
