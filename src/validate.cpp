#include "validate.hpp"

#include <charconv>
#include <system_error>

#include "falcon/indicators.hpp"

namespace falcon::internal {

namespace {

Error problem_error(const rules::Problem& p, const std::string& prefix) {
  return validation_error(prefix + p.field, p.reason);
}

}  // namespace

std::optional<Error> check_type(std::string_view type, const std::string& field,
                                const rules::EnumLookup& lookup) {
  if (auto why = rules::check_enum(rules::Enum::type, type, lookup)) {
    return validation_error(field, *why);
  }
  return std::nullopt;
}

std::optional<Error> check_indicator(const nlohmann::json& ind, const std::string& prefix,
                                     bool for_create, const rules::EnumLookup& lookup) {
  if (!ind.is_object()) {
    // The field is the indicator itself: "indicators[3]", not the "indicators[3]." prefix.
    std::string field = prefix;
    if (!field.empty() && field.back() == '.') field.pop_back();
    return validation_error(field, "each indicator must be a JSON object");
  }
  // The rulebook judges the item as it will be sent; the body itself is never rewritten.
  IndicatorSpec spec;
  if (auto p = rules::from_json(ind, spec, rules::UnknownKeys::ignore)) {
    return problem_error(*p, prefix);
  }
  if (auto id = ind.find("id"); id != ind.end() && !id->is_null() && !id->is_string()) {
    return validation_error(prefix + "id", "id must be a string");
  }
  if (auto p = rules::normalize(spec, lookup)) return problem_error(*p, prefix);
  if (auto p = rules::check_write(spec, for_create)) return problem_error(*p, prefix);
  return std::nullopt;
}

std::optional<Error> check_indicators(const nlohmann::json& body, bool for_create,
                                      const rules::EnumLookup& lookup) {
  auto it = body.find("indicators");
  if (it == body.end() || it->is_null()) {
    if (for_create) {
      return validation_error("indicators", "nothing to create: set type and value, or indicators");
    }
    return std::nullopt;
  }
  if (!it->is_array()) return validation_error("indicators", "indicators must be a list");
  if (for_create && it->empty()) {
    return validation_error("indicators", "indicators is empty: nothing to create");
  }
  if (it->size() > kMaxIndicatorsPerWrite) {
    return validation_error(
        "indicators",
        std::to_string(it->size()) +
            " indicators in one request; the API "
            "takes at most 2000 (falcon::bulk_create and bulk_update batch any number)");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (auto e = check_indicator((*it)[i], "indicators[" + std::to_string(i) + "].", for_create,
                                 lookup)) {
      return e;
    }
  }
  return std::nullopt;
}

std::optional<Error> check_sort(std::string_view sort,
                                const std::vector<std::string_view>& fields) {
  std::string_view field = trim(sort);
  for (std::string_view suffix : {".asc", ".desc", "|asc", "|desc"}) {
    if (field.size() > suffix.size() &&
        iequals(field.substr(field.size() - suffix.size()), suffix)) {
      field.remove_suffix(suffix.size());
      break;
    }
  }
  std::string names;
  for (auto f : fields) {
    if (f == field) return std::nullopt;
    names += names.empty() ? "" : ", ";
    names += f;
  }
  return validation_error("sort", "'" + std::string(sort) + "' is not a sort field; use one of: " +
                                      names + " (optionally with .asc or .desc)");
}

std::optional<Error> check_required(const Endpoint& ep, const Query& q) {
  for (const auto& p : ep.query) {
    if (!p.required) continue;
    bool present = false;
    for (const auto& [k, values] : q.params()) {
      if (k != p.name) continue;
      for (const auto& v : values) present = present || !v.empty();
    }
    if (!present) {
      return validation_error(std::string(p.name), std::string(p.name) + " is required by " +
                                                       std::string(ep.operation_id));
    }
  }
  return std::nullopt;
}

// ---- The checks of one request (dispatch's check step) ------------------------------------

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

}  // namespace

std::optional<Error> check_paging(const Endpoint& ep, const Query& q) {
  if (const std::string* sort = q.first("sort")) {
    if (auto e = check_sort(*sort, ep.sort_fields)) return e;
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

std::optional<Error> check_url_length(const Endpoint& ep, const Query& q) {
  // The URL: route + '?' + query. Ids travel in it, and servers refuse past about 8 KiB.
  const std::string encoded = q.encode();
  const std::size_t url = ep.route.size() + 1 + encoded.size();
  if (url <= kMaxUrlBytes - kHostRoom) return std::nullopt;
  std::size_t ids = 0;
  for (const auto& [k, v] : q.params()) {
    if (k == "ids") ids += v.size();
  }
  std::string msg =
      "the request URL would be " + std::to_string(url) + " bytes, above the 8 KiB servers accept";
  if (ids > 0) {
    msg += " (" + std::to_string(ids) + " ids); " +
           (ep.method_name == "indicator_delete"
                ? std::string("falcon::bulk_delete splits ids into requests that fit")
                : std::string("falcon::get_indicators(ioc, ids) splits ids into requests that "
                              "fit"));
    return validation_error("ids", msg);
  }
  return validation_error("parameters", msg);
}

std::optional<Error> check(const Endpoint& ep, const Query& q, const nlohmann::json* body,
                           const rules::EnumLookup& lookup) {
  if (auto e = check_required(ep, q)) return e;
  const std::string_view name = ep.method_name;
  if (name == "indicator_combined" || name == "indicator_search") {
    if (auto e = check_paging(ep, q)) return e;
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
  return check_url_length(ep, q);
}

}  // namespace falcon::internal
