// The shared dispatch (dispatch.hpp).
#include "dispatch.hpp"

#include <charconv>
#include <system_error>

#include "response_internal.hpp"
#include "validate.hpp"
#include "value_lists.hpp"

namespace falcon::internal {

namespace {

// query value `key` as a decimal integer; nullopt when absent or not a whole decimal number
// (the server is left to judge those).
std::optional<std::int64_t> query_int(const Query& q, std::string_view key) {
  const std::string* v = q.first(key);
  if (v == nullptr || v->empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return n;
}

std::optional<Error> check_paging(const Query& q) {
  if (const std::string* sort = q.first("sort")) {
    if (auto e = check_sort(*sort)) return e;
  }
  const std::optional<std::int64_t> offset = query_int(q, "offset");
  if (offset && q.first("after") != nullptr) {
    return validation_error("after", "offset and after cannot be combined; page with after only");
  }
  if (offset && *offset < 0) return validation_error("offset", "offset must not be negative");
  const std::int64_t limit = query_int(q, "limit").value_or(100);
  // offset >= 0 here; compare without computing a sum that could overflow.
  const std::int64_t ceiling = kOffsetCeiling;
  if (offset && (*offset > ceiling || limit > ceiling - *offset)) {
    const std::string sum = *offset <= ceiling && limit <= ceiling
                                ? std::to_string(*offset + limit)
                                : std::to_string(*offset) + " + " + std::to_string(limit);
    return validation_error(
        "offset",
        "offset + limit is " + sum + ", above the API's 10000 ceiling; page with after instead");
  }
  return std::nullopt;
}

std::optional<Error> check_scoped_delete(const Query& q) {
  for (const auto& [k, values] : q.params()) {
    if (k != "ids" && k != "filter") continue;
    for (const auto& v : values) {
      if (!v.empty()) return std::nullopt;
    }
  }
  return validation_error(
      "ids", "indicator_delete needs ids or a filter (refusing to send an unscoped delete)");
}

std::optional<Error> check_update_body(const nlohmann::json& b, const rules::EnumLookup& lookup) {
  if (!b.contains("indicators") && !b.contains("bulk_update")) {
    return validation_error("indicators",
                            "nothing to update: set id and fields, indicators, or bulk_update");
  }
  if (auto e = check_indicators(b, false, lookup)) return e;
  if (b.contains("bulk_update") && !b["bulk_update"].is_object()) {
    return validation_error("bulk_update", "bulk_update must be a JSON object");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> check(const Endpoint& ep, const Query& q, const nlohmann::json* body,
                           const rules::EnumLookup& lookup) {
  if (auto e = check_required(ep, q)) return e;
  const std::string_view name = ep.method_name;
  if (name == "indicator_combined" || name == "indicator_search") {
    if (auto e = check_paging(q)) return e;
  }
  // Device and process lookups are reads: only the type is held to the known set; the value
  // rules that guard writes (hash length, domain characters) do not refuse a lookup.
  if (name.rfind("devices_", 0) == 0 || name.rfind("processes_ran_on", 0) == 0) {
    if (const std::string* type = q.first("type")) {
      if (auto e = check_type(*type, "type", lookup)) return e;
    }
  }
  if (name == "indicator_delete") {
    if (auto e = check_scoped_delete(q)) return e;
  }
  if (name == "indicator_create" || name == "indicator_update") {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    if (body == nullptr) body = &kEmpty;  // sent as {}
    if (!body->is_object()) {
      return validation_error("body", std::string(ep.operation_id) + " takes a JSON object body");
    }
    if (auto e = name == "indicator_create" ? check_indicators(*body, true, lookup)
                                            : check_update_body(*body, lookup)) {
      return e;
    }
  }
  // The URL: route + '?' + query. Ids travel in it, and servers refuse past about 8 KiB.
  const std::string encoded = q.encode();
  const std::size_t url = ep.route.size() + 1 + encoded.size();
  if (url > kMaxUrlBytes - kHostRoom) {
    std::size_t ids = 0;
    for (const auto& [k, v] : q.params()) {
      if (k == "ids") ids += v.size();
    }
    std::string msg = "the request URL would be " + std::to_string(url) +
                      " bytes, above the 8 KiB servers accept";
    if (ids > 0) {
      msg += " (" + std::to_string(ids) + " ids); " +
             (name == "indicator_delete"
                  ? std::string("falcon::bulk_delete splits ids into requests that fit")
                  : std::string("falcon::get_indicators(ioc, ids) splits ids into requests that "
                                "fit"));
      return validation_error("ids", msg);
    }
    return validation_error("parameters", msg);
  }
  return std::nullopt;
}

Response dispatch(const Client& client, const Endpoint& ep, const Query& query,
                  const std::optional<nlohmann::json>& body, std::optional<Error> build_error,
                  const CallOptions& call) {
  if (build_error) return make_error_response(std::move(*build_error));
  if (client.config().validate) {
    // Enum values the SDK does not know are judged by the API's own lists (cached per client).
    const rules::EnumLookup lookup = [&client](rules::Enum t, std::string_view v) {
      return value_lists(client).accepts(client, t, v);
    };
    if (auto e = check(ep, query, body ? &*body : nullptr, lookup))
      return make_error_response(std::move(*e));
  }
  ApiRequest req;
  req.operation = std::string(ep.operation_id);
  req.method = std::string(ep.http_method);
  req.path = std::string(ep.route);
  req.query = query.encode();
  req.idempotent = ep.idempotent;
  if (ep.has_body) {
    try {
      req.body = body ? body->dump() : std::string("{}");
    } catch (const nlohmann::json::exception& e) {
      return make_error_response(
          validation_error("body", std::string("cannot be sent as JSON: ") + e.what()));
    }
  }
  return client.send(req, call);
}

}  // namespace falcon::internal
