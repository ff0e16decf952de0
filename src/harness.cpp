// APIHarness: the Uber class over the same endpoint table as falcon::IOC.
#include "falcon/harness.hpp"

#include "dispatch.hpp"
#include "falcon/endpoints.hpp"
#include "query.hpp"
#include "response_internal.hpp"
#include "strings.hpp"

namespace falcon {

namespace {

// The Uber class goes through the same dispatch as falcon::IOC when the operation is known, so
// every client-side check applies to both. override() (an arbitrary route) has no row to check.
Response send_raw(const Client& client, std::string_view operation, const std::string& method,
                  std::string_view route, const Endpoint* ep, const CommandOptions& o,
                  const CallOptions& call) {
  internal::Query q;
  std::optional<Error> build_error;
  if (o.parameters) build_error = internal::query_from_parameters(*o.parameters, ep, q);
  const bool has_body = o.body && !o.body->is_null();  // a JSON null body is no body
  if (!build_error && has_body && (method == "GET" || method == "DELETE")) {
    build_error = internal::validation_error(
        "body", method + " sends no body; pass the values in parameters");
  }
  if (ep != nullptr) {
    std::optional<nlohmann::json> body;
    if (has_body) body = *o.body;
    return internal::dispatch(client, *ep, q, body, std::move(build_error), call);
  }
  if (build_error) return make_error_response(std::move(*build_error));
  // No row: the route is the caller's; GET and DELETE are the methods safe to resend.
  ApiRequest req;
  const bool idempotent = method == "GET" || method == "DELETE";
  if (auto e = internal::build_request(operation, method, route, idempotent, q,
                                       has_body ? &*o.body : nullptr, req)) {
    return make_error_response(std::move(*e));
  }
  return client.send(req, call);
}

}  // namespace

APIHarness::APIHarness(Client client) : client_(std::move(client)) {}
APIHarness::APIHarness(Config config) : client_(std::move(config)) {}

Response APIHarness::command(std::string_view operation, const CommandOptions& options,
                             const CallOptions& call) const {
  const Endpoint* ep = find_endpoint(operation);
  if (ep == nullptr) {
    return make_error_response(internal::validation_error(
        "operation", "'" + std::string(operation) + "' is not an IOC operation id"));
  }
  return send_raw(client_, ep->operation_id, std::string(ep->http_method), ep->route, ep, options,
                  call);
}

Response APIHarness::override(std::string_view method, std::string_view route,
                              const CommandOptions& options, const CallOptions& call) const {
  std::string m = internal::lower(method);
  for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (m != "GET" && m != "POST" && m != "PATCH" && m != "PUT" && m != "DELETE") {
    return make_error_response(
        internal::validation_error("method", "'" + std::string(method) + "' is not supported"));
  }
  if (route.empty() || route.front() != '/' || route.find("://") != std::string_view::npos) {
    return make_error_response(internal::validation_error(
        "route", "route must be a path starting with '/' on the configured host"));
  }
  return send_raw(client_, "override", m, route, nullptr, options, call);
}

}  // namespace falcon
