#include "validate.hpp"

#include <array>

#include "falcon/indicators.hpp"

namespace falcon::internal {

namespace {

constexpr std::array<std::string_view, 18> kSortFields = {"action",
                                                          "applied_globally",
                                                          "created_by",
                                                          "created_on",
                                                          "expiration",
                                                          "expired",
                                                          "metadata.av_hits",
                                                          "metadata.company_name.raw",
                                                          "metadata.filename.raw",
                                                          "metadata.original_filename.raw",
                                                          "metadata.product_name.raw",
                                                          "metadata.product_version",
                                                          "modified_by",
                                                          "modified_on",
                                                          "severity_number",
                                                          "source",
                                                          "type",
                                                          "value"};

template <std::size_t N>
std::string list(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto s : set) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

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

std::optional<Error> check_sort(std::string_view sort) {
  std::string_view field = trim(sort);
  for (std::string_view suffix : {".asc", ".desc", "|asc", "|desc"}) {
    if (field.size() > suffix.size() &&
        iequals(field.substr(field.size() - suffix.size()), suffix)) {
      field.remove_suffix(suffix.size());
      break;
    }
  }
  for (auto f : kSortFields) {
    if (f == field) return std::nullopt;
  }
  return validation_error("sort", "'" + std::string(sort) + "' is not a sort field; use one of: " +
                                      list(kSortFields) + " (optionally with .asc or .desc)");
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

}  // namespace falcon::internal
