#include "validate.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <system_error>

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

std::optional<Error> check_update_body(const nlohmann::json& b) {
  if (!b.contains("indicators") && !b.contains("bulk_update")) {
    return validation_error("indicators",
                            "nothing to update: set id and fields, indicators, or bulk_update");
  }
  if (auto e = check_indicators(b, false)) return e;
  if (b.contains("bulk_update") && !b["bulk_update"].is_object()) {
    return validation_error("bulk_update", "bulk_update must be a JSON object");
  }
  return std::nullopt;
}

std::optional<Error> check_url_length(const Endpoint& ep, const Query& q) {
  // The URL: route + '?' + query. Ids travel in it, and servers refuse past about 8 KiB.
  const std::string encoded = q.encode();
  const std::size_t url = ep.route.size() + 1 + encoded.size();
  if (url <= kMaxUrlBytes - 64) return std::nullopt;  // room for the host
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

std::optional<Error> check(const Endpoint& ep, const Query& q, const nlohmann::json* body) {
  if (auto e = check_required(ep, q)) return e;
  const std::string_view name = ep.method_name;
  if (name == "indicator_combined" || name == "indicator_search") {
    if (auto e = check_paging(ep, q)) return e;
  }
  // Device and process lookups are reads: only the type is held to the known set; the value
  // rules that guard writes (hash length, domain characters) do not refuse a lookup.
  if (name.rfind("devices_", 0) == 0 || name.rfind("processes_ran_on", 0) == 0) {
    if (const std::string* type = q.first("type")) {
      if (auto e = check_type(*type, "type")) return e;
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
    if (auto e =
            name == "indicator_create" ? check_indicators(*body, true) : check_update_body(*body)) {
      return e;
    }
  }
  return check_url_length(ep, q);
}

}  // namespace falcon::internal
