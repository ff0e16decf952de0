#include "validate.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>

namespace falcon::internal {

namespace {

constexpr std::array<std::string_view, 5> kTypes = {"sha256", "md5", "domain", "ipv4", "ipv6"};
constexpr std::array<std::string_view, 5> kActions = {"no_action", "allow", "prevent_no_ui",
                                                      "prevent", "detect"};
constexpr std::array<std::string_view, 5> kSeverities = {"informational", "low", "medium", "high",
                                                         "critical"};
constexpr std::array<std::string_view, 5> kPlatforms = {"windows", "mac", "linux", "ios",
                                                        "android"};
constexpr std::array<std::string_view, 4> kMobileActions = {"no_action", "allow", "detect",
                                                            "prevent"};
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
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  for (auto s : set) {
    if (iequals(s, v)) return true;
  }
  return false;
}

template <std::size_t N>
std::string list(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto s : set) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

template <std::size_t N>
std::optional<Error> check_enum(const nlohmann::json& ind, const char* key,
                                const std::array<std::string_view, N>& set,
                                const std::string& prefix) {
  auto it = ind.find(key);
  if (it == ind.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    return validation_error(prefix + key, std::string(key) + " must be a string");
  if (!one_of(set, it->get_ref<const std::string&>())) {
    return validation_error(prefix + key,
                            "'" + it->get<std::string>() + "' is not one of: " + list(set));
  }
  return std::nullopt;
}

}  // namespace

bool is_hex(std::string_view s, std::size_t length) noexcept {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool is_ipv4(const std::string& s) noexcept {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) noexcept {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool is_domain(std::string_view s) noexcept {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '*')) return false;
  }
  return s.front() != '.' && s.front() != '-';
}

bool is_timestamp(std::string_view s) noexcept {
  auto digits = [&](std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return false;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
  };
  if (!(digits(0, 4) && s.size() >= 10 && s[4] == '-' && digits(5, 2) && s[7] == '-' &&
        digits(8, 2))) {
    return false;
  }
  if (s.size() == 10) return true;
  if (!((s[10] == 'T' || s[10] == 't') && digits(11, 2) && s.size() >= 19 && s[13] == ':' &&
        digits(14, 2) && s[16] == ':' && digits(17, 2))) {
    return false;
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
  }
  if (i == s.size()) return false;  // a zone is required
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digits(i + 1, 2) && s[i + 3] == ':' &&
      digits(i + 4, 2)) {
    return true;
  }
  return false;
}

std::optional<Error> check_type(std::string_view type, const std::string& field) {
  if (one_of(kTypes, type)) return std::nullopt;
  return validation_error(field, "'" + std::string(type) + "' is not one of: " + list(kTypes));
}

std::optional<Error> check_type_value(std::string_view type, std::string_view value,
                                      const std::string& prefix) {
  if (!one_of(kTypes, type)) {
    return validation_error(prefix + "type",
                            "'" + std::string(type) + "' is not one of: " + list(kTypes));
  }
  const std::string t = lower(type);
  const std::string v(value);
  const std::string field = prefix + "value";
  if (t == "sha256" && !is_hex(v, 64)) {
    return validation_error(
        field, "a sha256 value must be 64 hex characters (got " + std::to_string(v.size()) + ")");
  }
  if (t == "md5" && !is_hex(v, 32)) {
    return validation_error(
        field, "an md5 value must be 32 hex characters (got " + std::to_string(v.size()) + ")");
  }
  if (t == "ipv4" && !is_ipv4(v)) {
    return validation_error(field, "'" + v + "' is not a valid IPv4 address");
  }
  if (t == "ipv6" && !is_ipv6(v)) {
    return validation_error(field, "'" + v + "' is not a valid IPv6 address");
  }
  if (t == "domain" && !is_domain(v)) {
    return validation_error(field,
                            "a domain must be 1-200 characters of letters, digits, '-', "
                            "'.' and '_'");
  }
  return std::nullopt;
}

std::optional<Error> check_indicator(const nlohmann::json& ind, const std::string& prefix,
                                     bool for_create) {
  if (!ind.is_object()) {
    // The field is the indicator itself: "indicators[3]", not the "indicators[3]." prefix.
    std::string field = prefix;
    if (!field.empty() && field.back() == '.') field.pop_back();
    return validation_error(field, "each indicator must be a JSON object");
  }
  auto str = [&](const char* key) -> const std::string* {
    auto it = ind.find(key);
    return (it != ind.end() && it->is_string()) ? &it->get_ref<const std::string&>() : nullptr;
  };
  for (const char* key : {"type", "value", "action", "severity", "mobile_action", "source",
                          "description", "expiration", "id"}) {
    auto it = ind.find(key);
    if (it != ind.end() && !it->is_null() && !it->is_string()) {
      return validation_error(prefix + key, std::string(key) + " must be a string");
    }
  }
  if (for_create) {
    if (str("type") == nullptr) return validation_error(prefix + "type", "type is required");
    if (str("value") == nullptr) return validation_error(prefix + "value", "value is required");
  } else if (str("id") == nullptr || str("id")->empty()) {
    return validation_error(prefix + "id", "id is required to update an indicator");
  }
  if (str("type") != nullptr && str("value") != nullptr) {
    if (auto e = check_type_value(*str("type"), *str("value"), prefix)) return e;
  }
  if (auto e = check_enum(ind, "action", kActions, prefix)) return e;
  if (auto e = check_enum(ind, "severity", kSeverities, prefix)) return e;
  if (auto e = check_enum(ind, "mobile_action", kMobileActions, prefix)) return e;
  for (const char* key : {"platforms", "tags", "host_groups"}) {
    auto it = ind.find(key);
    if (it == ind.end() || it->is_null()) continue;
    if (!it->is_array())
      return validation_error(prefix + key, std::string(key) + " must be a list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& item = (*it)[i];
      const std::string f = prefix + key + "[" + std::to_string(i) + "]";
      if (!item.is_string()) return validation_error(f, "must be a string");
      if (std::string_view(key) == "platforms" && !one_of(kPlatforms, item.get<std::string>())) {
        return validation_error(
            f, "'" + item.get<std::string>() + "' is not one of: " + list(kPlatforms));
      }
      if (std::string_view(key) == "host_groups" && !is_hex(item.get<std::string>(), 32)) {
        return validation_error(f, "a host group id is 32 hex characters");
      }
    }
  }
  if (const auto* exp = str("expiration"); exp != nullptr && !is_timestamp(*exp)) {
    return validation_error(prefix + "expiration",
                            "'" + *exp + "' is not an RFC 3339 date-time or YYYY-MM-DD date");
  }
  if (const auto* src = str("source"); src != nullptr && src->size() > 256) {
    return validation_error(prefix + "source", "source is longer than 256 characters");
  }
  auto ag = ind.find("applied_globally");
  if (ag != ind.end() && !ag->is_null() && !ag->is_boolean()) {
    return validation_error(prefix + "applied_globally", "applied_globally must be true or false");
  }
  if (for_create) {
    const bool global = ag != ind.end() && ag->is_boolean() && ag->get<bool>();
    auto hg = ind.find("host_groups");
    const bool groups = hg != ind.end() && hg->is_array() && !hg->empty();
    if (!global && !groups) {
      return validation_error(
          prefix + "applied_globally",
          "an indicator needs applied_globally=true or at least one host_groups "
          "id");
    }
  }
  return std::nullopt;
}

std::optional<Error> check_indicators(const nlohmann::json& body, bool for_create) {
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
    if (auto e = check_indicator((*it)[i], "indicators[" + std::to_string(i) + "].", for_create)) {
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
