#include "validate.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace falcon::emulator {

namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

const std::vector<std::string> kDesktop{"windows", "mac", "linux"};

bool has_message(const std::vector<RowMessage>& messages, int row, std::string_view field) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const RowMessage& m) { return m.row == row && m.field_name == field; });
}

void add(std::vector<RowMessage>& messages, int row, const json& record, bool error,
         std::string field, std::string message) {
  RowMessage m;
  m.row = row;
  m.value = record.contains("value") ? record["value"] : json(nullptr);
  m.type = record.contains("type") ? record["type"] : json(nullptr);
  m.error = error;
  m.field_name = std::move(field);
  m.message = std::move(message);
  messages.push_back(std::move(m));
}

json expect_string_or_null(const json& v, const std::string& where) {
  if (!v.is_string() && !v.is_null()) throw BodyError(where + ": expected a string");
  return v;
}

std::vector<std::string> string_array(const json& v, const std::string& where) {
  if (!v.is_array()) throw BodyError(where + ": expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      throw BodyError(where + "[" + std::to_string(i) + "]: expected a string");
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 200) return false;
  for (const auto& label : split(d, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) return false;
    }
  }
  return true;
}

// A string member, or "" when absent or not a string.
std::string str(const json& rec, const char* key) {
  auto it = rec.find(key);
  return it != rec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_zero_time(std::string_view s) {
  return s.rfind("0001-01-01", 0) == 0;
}

// The keys each write kind may carry.
const std::vector<std::string>& allowed_keys(WriteKind kind) {
  static const std::vector<std::string> kCommon{
      "action",        "applied_globally", "description", "expiration", "host_groups", "metadata",
      "mobile_action", "platforms",        "severity",    "source",     "tags"};
  static const std::vector<std::string> kCreate = [] {
    auto v = kCommon;
    v.insert(v.end(), {"type", "value"});
    return v;
  }();
  // FalconPy's update builder may echo type/value; they are accepted and ignored.
  static const std::vector<std::string> kUpdate = [] {
    auto v = kCommon;
    v.insert(v.end(), {"id", "type", "value"});
    return v;
  }();
  static const std::vector<std::string> kBulk = [] {
    auto v = kCommon;
    v.insert(v.end(), {"filter", "from_parent"});
    return v;
  }();
  return kind == WriteKind::create ? kCreate : kind == WriteKind::update ? kUpdate : kBulk;
}

// Lower-cases a member of a fixed set; records an error and returns nullopt when not a member.
std::optional<std::string> enum_value(const std::string& raw, const std::vector<std::string>& set,
                                      const std::string& field, int row, const json& record,
                                      std::vector<RowMessage>& messages) {
  const std::string v = to_lower(raw);
  if (contains(set, v)) return v;
  add(messages, row, record, true, field,
      "invalid " + field + " '" + raw + "', must be one of: " + join(set));
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& indicator_types() {
  static const std::vector<std::string> v{"sha256", "md5", "domain", "ipv4", "ipv6"};
  return v;
}
const std::vector<std::string>& indicator_actions() {
  static const std::vector<std::string> v{"no_action", "allow", "prevent_no_ui", "prevent",
                                          "detect"};
  return v;
}
const std::vector<std::string>& indicator_platforms() {
  static const std::vector<std::string> v{"windows", "mac", "linux", "ios", "android"};
  return v;
}
const std::vector<std::string>& indicator_severities() {
  static const std::vector<std::string> v{"informational", "low", "medium", "high", "critical"};
  return v;
}
const std::vector<std::string>& mobile_actions() {
  static const std::vector<std::string> v{"no_action", "allow", "detect", "prevent"};
  return v;
}

bool is_hash_type(std::string_view type) {
  return type == "sha256" || type == "md5";
}

bool action_allows_type(std::string_view action, std::string_view type) {
  if (!contains(indicator_types(), type)) return false;
  if (action == "no_action" || action == "detect") return true;
  // Network indicators cannot block: only hashes take allow/prevent (spec §5.4).
  if (action == "allow" || action == "prevent" || action == "prevent_no_ui") {
    return is_hash_type(type);
  }
  return false;
}

std::vector<std::string> platforms_for(std::string_view action, std::string_view type) {
  if (!action_allows_type(action, type)) return {};
  if (action == "no_action" || action == "detect") return indicator_platforms();
  return kDesktop;  // prevention and allow-listing are desktop-sensor features
}

bool severity_required(std::string_view action) {
  return action == "detect" || action == "prevent";
}

json action_v1(std::string_view action) {
  if (!contains(indicator_actions(), action)) return nullptr;
  json by_type = json::object();
  for (const auto& t : indicator_types()) {
    auto p = platforms_for(action, t);
    if (!p.empty()) by_type[t] = p;
  }
  return {{"id", std::string(action)},
          {"platforms_by_type", by_type},
          {"severities", indicator_severities()}};
}

std::optional<std::string> value_problem(std::string_view type, std::string_view value) {
  if (value.empty()) return "required string is missing";
  if (type == "sha256" && !is_hex(value, 64)) {
    return "invalid sha256 value, must be 64 hexadecimal characters";
  }
  if (type == "md5" && !is_hex(value, 32)) {
    return "invalid md5 value, must be 32 hexadecimal characters";
  }
  if (type == "domain" && !valid_domain(value)) {
    return "invalid domain value, must be a host name of 1-200 characters";
  }
  const std::string s(value);
  if (type == "ipv4") {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return "invalid ipv4 address";
  }
  if (type == "ipv6") {
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return "invalid ipv6 address";
  }
  return std::nullopt;
}

std::string normalize_value(std::string_view type, std::string_view value) {
  if (is_hash_type(type) || type == "domain") return to_lower(value);
  return std::string(value);
}

json RowMessage::to_json() const {
  return {{"row", row},
          {"value", value},
          {"type", type},
          {"message_type", error ? "error" : "warning"},
          {"field_name", field_name},
          {"message", message}};
}

json parse_body(const std::string& body) {
  if (trim(body).empty()) throw BodyError("request body is required");
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > 64) throw BodyError("JSON nested too deeply");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw BodyError(std::string("invalid JSON: ") + e.what());
  }
}

void check_object(const json& obj, const std::vector<std::string>& allowed,
                  const std::string& where) {
  if (!obj.is_object()) throw BodyError(where + ": expected a JSON object");
  for (const auto& item : obj.items()) {
    if (!contains(allowed, item.key())) {
      throw BodyError(where + ": unknown field '" + item.key() + "'");
    }
  }
}

void apply_fields(const json& item, WriteKind kind, int row, const std::string& where, json& record,
                  std::vector<RowMessage>& messages) {
  check_object(item, allowed_keys(kind), where);
  const bool create = kind == WriteKind::create;
  const auto at = [&](const char* key) { return where + "." + key; };

  if (create) {
    // type and value are identity: set first so later messages can echo them.
    const json t = expect_string_or_null(item.value("type", json()), at("type"));
    const json v = expect_string_or_null(item.value("value", json()), at("value"));
    if (v.is_string()) record["value"] = v;
    if (t.is_string() && !t.get<std::string>().empty()) record["type"] = t;
    if (t.is_null() || t.get<std::string>().empty()) {
      add(messages, row, record, true, "type", "required string is missing");
    } else if (auto ty = enum_value(t.get<std::string>(), indicator_types(), "type", row, record,
                                    messages)) {
      record["type"] = *ty;
      if (v.is_string()) record["value"] = normalize_value(*ty, v.get<std::string>());
    }
  }

  for (const auto& [key, val] : item.items()) {
    const std::string w = at(key.c_str());
    if (key == "type" || key == "value" || key == "id" || key == "filter" || key == "from_parent") {
      continue;  // handled by the caller or above
    }
    if (key == "applied_globally") {
      if (!val.is_boolean() && !val.is_null()) throw BodyError(w + ": expected a boolean");
      if (val.is_boolean()) record["applied_globally"] = val.get<bool>();
    } else if (key == "action" || key == "mobile_action" || key == "severity") {
      expect_string_or_null(val, w);
      if (val.is_null() || val.get<std::string>().empty()) {
        // Only severity is nullable (gofalcon #643/#644); "" means "not given" everywhere.
        if (key == "severity" && val.is_null() && !create) record.erase(key);
        continue;
      }
      const auto& set = key == "action"          ? indicator_actions()
                        : key == "mobile_action" ? mobile_actions()
                                                 : indicator_severities();
      if (auto v = enum_value(val.get<std::string>(), set, key, row, record, messages)) {
        record[key] = *v;
      }
    } else if (key == "description" || key == "source") {
      expect_string_or_null(val, w);
      if (val.is_null()) {
        if (!create) record.erase(key);
        continue;
      }
      const auto s = val.get<std::string>();
      if (key == "source" && s.size() > 256) {
        add(messages, row, record, true, "source", "source must be at most 256 characters");
        continue;
      }
      if (s.empty()) {
        record.erase(key);
      } else {
        record[key] = s;
      }
    } else if (key == "expiration") {
      expect_string_or_null(val, w);
      if (val.is_null() || val.get<std::string>().empty() || is_zero_time(val.get<std::string>())) {
        // null or the Go zero time clears (gofalcon #643 sent the zero time for "unset")
        record.erase("expiration");
        continue;
      }
      const auto t = parse_time(val.get<std::string>());
      if (!t) {
        add(messages, row, record, true, "expiration",
            "invalid expiration '" + val.get<std::string>() +
                "', must be an RFC 3339 date-time or YYYY-MM-DD");
        continue;
      }
      record["expiration"] = format_time(*t);
    } else if (key == "platforms" || key == "tags" || key == "host_groups") {
      if (val.is_null()) continue;  // gofalcon sends null for an unset slice
      auto list = string_array(val, w);
      std::vector<std::string> out;
      bool bad = false;
      for (auto& s : list) {
        if (key == "platforms") {
          auto p = enum_value(s, indicator_platforms(), "platforms", row, record, messages);
          if (!p) {
            bad = true;
            continue;
          }
          s = *p;
        } else if (key == "host_groups") {
          if (!is_hex(s, 32)) {
            add(messages, row, record, true, "host_groups",
                "invalid host group id '" + s + "', must be 32 hexadecimal characters");
            bad = true;
            continue;
          }
          s = to_lower(s);
        }
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
      }
      if (!bad) record[key] = out;
    } else if (key == "metadata") {
      if (val.is_null()) continue;
      check_object(val, {"filename"}, w);
      const json f = expect_string_or_null(val.value("filename", json()), w + ".filename");
      json md = record.value("metadata", json::object());
      if (f.is_string() && !f.get<std::string>().empty()) {
        md["filename"] = f;
      } else {
        md.erase("filename");
      }
      record["metadata"] = md;
    }
  }
}

void check_record(const json& record, int row, TimePoint now, std::vector<RowMessage>& messages) {
  const std::string type = str(record, "type");
  const std::string value = str(record, "value");
  if (!has_message(messages, row, "type") && !has_message(messages, row, "value")) {
    if (auto p = value_problem(type, value)) add(messages, row, record, true, "value", *p);
  }
  const std::string action = str(record, "action");
  if (!has_message(messages, row, "action")) {
    if (action.empty()) {
      add(messages, row, record, true, "action", "required string is missing");
    } else if (!type.empty() && !has_message(messages, row, "type") &&
               !action_allows_type(action, type)) {
      add(messages, row, record, true, "action",
          "action '" + action + "' is not allowed for " + type +
              " indicators (allow, prevent and prevent_no_ui apply to sha256 and md5 only)");
    }
  }
  if (!has_message(messages, row, "severity") && severity_required(action) &&
      !record.contains("severity")) {
    add(messages, row, record, true, "severity",
        "severity is required for action '" + action + "'");
  }
  if (!has_message(messages, row, "platforms")) {
    const auto platforms = record.value("platforms", std::vector<std::string>{});
    if (platforms.empty()) {
      add(messages, row, record, true, "platforms", "at least one platform is required");
    } else if (action_allows_type(action, type)) {
      const auto allowed = platforms_for(action, type);
      for (const auto& p : platforms) {
        if (!contains(allowed, p)) {
          add(messages, row, record, true, "platforms",
              "platform '" + p + "' is not supported for action '" + action + "' on " + type +
                  " indicators");
        }
      }
    }
  }
  if (!has_message(messages, row, "host_groups")) {
    const bool global = record.contains("applied_globally") &&
                        record["applied_globally"].is_boolean() &&
                        record["applied_globally"].get<bool>();
    const auto groups = record.value("host_groups", std::vector<std::string>{});
    if (!global && groups.empty()) {
      add(messages, row, record, true, "applied_globally",
          "applied_globally must be true or host_groups must not be empty");
    } else if (global && !groups.empty()) {
      add(messages, row, record, false, "host_groups",
          "host_groups are ignored when applied_globally is true");
    }
  }
  if (record.contains("expiration") && !has_message(messages, row, "expiration")) {
    const auto t = parse_time(record["expiration"].get<std::string>());
    if (t && *t <= now) {
      add(messages, row, record, false, "expiration",
          "expiration is in the past, the indicator will be expired immediately");
    }
  }
}

}  // namespace falcon::emulator
