// Query building (query.hpp).
#include "query.hpp"

#include <algorithm>
#include <cctype>

#include "strings.hpp"

namespace falcon::internal {

void Query::set(std::string_view key, std::vector<std::string> values) {
  for (auto& [k, v] : params_) {
    if (k == key) {
      v = std::move(values);
      return;
    }
  }
  params_.emplace_back(std::string(key), std::move(values));
}

const std::string* Query::first(std::string_view key) const noexcept {
  for (const auto& [k, values] : params_) {
    if (k == key) return values.empty() ? nullptr : &values.front();
  }
  return nullptr;
}

std::string Query::encode() const {
  std::string out;
  for (const auto& [k, values] : params_) {
    for (const auto& v : values) {
      if (!out.empty()) out.push_back('&');
      percent_encode_to(out, k);
      out.push_back('=');
      percent_encode_to(out, v);
    }
  }
  return out;
}

Error validation_error(std::string field, std::string message) {
  Error e;
  e.kind = ErrorKind::validation;
  e.field = std::move(field);
  e.message = std::move(message);
  e.request_sent = false;
  return e;
}

namespace {

std::optional<std::string> scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return v.dump();
  return std::nullopt;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    auto piece = trim(std::string_view(s).substr(start, comma - start));
    if (!piece.empty()) out.emplace_back(piece);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<Error> query_from_parameters(const nlohmann::json& parameters,
                                           const Endpoint* endpoint, Query& out) {
  if (parameters.is_null()) return std::nullopt;
  if (!parameters.is_object()) {
    return validation_error("parameters", "parameters must be a JSON object of query parameters");
  }
  for (const auto& [key, value] : parameters.items()) {
    if (value.is_null()) continue;  // like FalconPy's None: omitted
    const ParamSpec* spec = endpoint != nullptr ? endpoint->find_param(key) : nullptr;
    bool is_array = spec != nullptr && spec->type == ParamType::string_array;
    std::vector<std::string> values;
    if (value.is_array()) {
      for (const auto& item : value) {
        auto text = scalar_text(item);
        if (!text) {
          return validation_error("parameters." + key,
                                  "array items must be strings, numbers or booleans");
        }
        values.push_back(std::move(*text));
      }
    } else if (auto text = scalar_text(value)) {
      if (is_array && value.is_string()) {
        values = split_commas(*text);
      } else {
        values.push_back(std::move(*text));
      }
    } else {
      return validation_error("parameters." + key,
                              "must be a string, number, boolean or array, not an object");
    }
    out.set(key, std::move(values));
  }
  return std::nullopt;
}

}  // namespace falcon::internal
